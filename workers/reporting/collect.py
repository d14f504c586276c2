"""The term report's database part: a fixed number of aggregate queries, whatever the size.

Each function below is one query (or two for the merged figures), grouped
by school and the few dimensions the report needs; nothing is read per
student, pairing or session. `term_rows` returns plain data for
`workers.reporting.figures.compose`; the money (aid, donations and the
ledger's own sums) is read by `workers.reporting.collect_money`.
"""

from django.db.models import (
    Count,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)

from donations.models import (
    AidProject,
    AidRefusal,
    Award,
    AwardStatus,
)
from mentoring.models import (
    PAIRED_STATUSES,
    Assessment,
    Mentor,
    MentorKind,
    Objection,
    Pairing,
    PairingKind,
    PairingStatus,
    School,
    StudentRecord,
    SubjectScore,
    Term,
    WeeklyCompliance,
)
from mentoring.selectors.school_year import hardship_identifications
from mentoring.selectors.tutoring import term_tutoring_rows
from mentoring.streaks import STREAK_WEEKS
from oversight.selectors import complaint_rows
from workers.reporting.aggregates import plain_rows
from workers.reporting.collect_committees import committee_rows
from workers.reporting.collect_money import aid_rows, donation_rows
from workers.reporting.figures_aid import own_projects

PAIRED = PAIRED_STATUSES
# Records listed by name in a report's details, per kind; the counts are always whole.
DETAIL_LIMIT = 500


def _enrolment(term, school_ids):
    # Uncorrelated subqueries: PostgreSQL hashes each once instead of probing per student.
    approved = Q(student__in=hardship_identifications(term).values("student"))
    paired = Q(
        student__in=Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE).values("student")
    )
    needs = Q(struggling=True) | approved
    return plain_rows(
        StudentRecord.objects.filter(term=term, student__school__in=school_ids)
        .values("level", "boarding", school=F("student__school_id"))
        .annotate(
            students=Count("pk"),
            needing_mentor=Count("pk", filter=needs),
            without_mentor=Count("pk", filter=needs & ~paired),
        )
    )


def _scores(term, school_ids):
    """Struggling students with scores at both ends of the term, and those whose total rose."""
    delta = (
        SubjectScore.objects.filter(
            record=OuterRef("pk"), start_score__isnull=False, end_score__isnull=False
        )
        .values("record")
        .annotate(delta=Sum(F("end_score") - F("start_score")))
        .values("delta")
    )
    return plain_rows(
        StudentRecord.objects.filter(term=term, student__school__in=school_ids, struggling=True)
        .annotate(delta=Subquery(delta))
        .values(school=F("student__school_id"))
        .annotate(
            students=Count("pk", filter=Q(delta__isnull=False)),
            rose=Count("pk", filter=Q(delta__gt=0)),
        )
    )


def _identification(term, school_ids):
    assessments = plain_rows(
        Assessment.objects.filter(term=term, student__school__in=school_ids)
        .values("route", "status", "tier", school=F("student__school_id"))
        .annotate(n=Count("pk"))
    )
    objections = plain_rows(
        Objection.objects.filter(assessment__term=term, assessment__student__school__in=school_ids)
        .values(school=F("assessment__student__school_id"))
        .annotate(raised=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    )
    return assessments, objections


def _mentoring(term, school_ids):
    pairings = Pairing.objects.filter(term=term, status__in=PAIRED, student__school__in=school_ids)
    pairing_rows = plain_rows(
        pairings.values("kind", school=F("student__school_id")).annotate(pairings=Count("pk"))
    )
    branch_pairings = plain_rows(
        pairings.values("kind", branch=F("mentor__party_branch")).annotate(pairings=Count("pk"))
    )
    care = Q(kind=PairingKind.CARE)
    branch_mentors = plain_rows(
        pairings.values(branch=F("mentor__party_branch")).annotate(
            mentors=Count("mentor", distinct=True),
            party_teachers_with_mentee=Count(
                "mentor", distinct=True, filter=Q(mentor__kind=MentorKind.PARTY_TEACHER)
            ),
            leaders_sponsoring=Count(
                "mentor", distinct=True, filter=Q(mentor__kind=MentorKind.LEADER) & care
            ),
        )
    )
    with_mentee = plain_rows(
        pairings.values(mentor_kind=F("mentor__kind"), school=F("student__school_id")).annotate(
            with_mentee=Count("mentor", distinct=True),
            sponsoring=Count("mentor", distinct=True, filter=care),
        )
    )
    with_mentee_total = plain_rows(
        pairings.values(mentor_kind=F("mentor__kind")).annotate(
            with_mentee=Count("mentor", distinct=True),
            sponsoring=Count("mentor", distinct=True, filter=care),
        )
    )
    mentors = Mentor.objects.filter(active=True, schools__in=school_ids)
    roster = plain_rows(
        mentors.values("kind", school_id=F("schools")).annotate(mentors=Count("pk", distinct=True))
    )
    for row in roster:
        row["school"] = row.pop("school_id")
    for row in [*with_mentee, *with_mentee_total]:
        row["kind"] = row.pop("mentor_kind")
    roster_total = plain_rows(mentors.values("kind").annotate(mentors=Count("pk", distinct=True)))

    by_school = {(r["school"], r["kind"]): {**r, "with_mentee": 0} for r in roster}
    for row in with_mentee:
        key = (row["school"], row["kind"])
        by_school.setdefault(key, {"school": row["school"], "kind": row["kind"], "mentors": 0})
        by_school[key]["with_mentee"] = row["with_mentee"]
    totals = {r["kind"]: {**r, "with_mentee": 0} for r in roster_total}
    for row in with_mentee_total:
        totals.setdefault(row["kind"], {"kind": row["kind"], "mentors": 0})
        totals[row["kind"]]["with_mentee"] = row["with_mentee"]
    leader_rows = [r for r in with_mentee if r["kind"] == MentorKind.LEADER]
    # The console counts the term's sessions and home visits with the same selector.
    sessions = term_tutoring_rows(term=term, school_ids=school_ids)
    compliance = plain_rows(
        WeeklyCompliance.objects.filter(term=term, school__in=school_ids)
        .values("school", branch=F("mentor__party_branch"), week=F("week_start"))
        .annotate(weeks=Count("pk"), met=Count("pk", filter=Q(met=True)))
    )
    for row in compliance:
        row["week"] = row["week"].isoformat()
    streaks = plain_rows(
        WeeklyCompliance.objects.filter(
            term=term, school__in=school_ids, missed_streak__gte=STREAK_WEEKS
        )
        .values("school")
        .annotate(pairings=Count("pairing", distinct=True), longest=Max("missed_streak"))
    )
    return {
        "pairings": pairing_rows,
        "branch_pairings": branch_pairings,
        "branch_mentors": branch_mentors,
        "mentors": list(by_school.values()),
        "mentors_total": list(totals.values()),
        "sponsoring": [{"school": r["school"], "leaders": r["sponsoring"]} for r in leader_rows],
        "sponsoring_total": sum(
            r["sponsoring"] for r in with_mentee_total if r["kind"] == MentorKind.LEADER
        ),
        "sessions": sessions,
        "compliance": compliance,
        "streaks": streaks,
    }


def term_rows(*, term: Term, schools: list[School], scope: str) -> dict:
    """Everything the report counts for `term` in `schools`, as plain rows."""
    district = term.district
    school_ids = [school.pk for school in schools]
    assessments, objections = _identification(term, school_ids)
    rows = {
        "term": {
            "code": term.code,
            "school_year": term.school_year,
            "start_date": term.start_date.isoformat(),
            "end_date": term.end_date.isoformat(),
        },
        "scope": scope,
        "district": {"code": district.code, "name": district.name},
        "schools": [
            {"id": s.pk, "code": s.code, "name": s.name, "level": s.level} for s in schools
        ],
        "tiers": list(district.tiers),
        # Every table names a project by its name; its code stays the key of the figures.
        "project_names": dict(
            AidProject.objects.filter(district=district).values_list("code", "name")
        ),
        "enrolment": _enrolment(term, school_ids),
        "scores": _scores(term, school_ids),
        "assessments": assessments,
        "objections": objections,
        **aid_rows(term, school_ids, district),
        **_mentoring(term, school_ids),
        # Students aided and money per village committee, where a project uses committees.
        "committees": committee_rows(term=term, school_ids=school_ids, district=district),
        # Every refusal of duplicate aid is recorded (by hand or by an allocation run).
        "refusals": plain_rows(
            AidRefusal.objects.filter(term=term, student__school__in=school_ids)
            .values(school=F("student__school_id"))
            .annotate(refused=Count("pk"))
        ),
        "refusals_recorded": True,
        # Complaints received in the term (the district's own in a district's report).
        "complaints": complaint_rows(
            district=district,
            school_ids=school_ids,
            start=term.start_date,
            end=term.end_date,
            with_district=scope == "district",
        ),
    }
    # A school's report counts the donations to its own projects, as it counts their funds.
    rows.update(donation_rows(term, school_ids, district, projects=own_projects(rows)))
    return rows


def details(*, term: Term, schools: list[School]) -> dict:
    """The records behind "what went wrong", for administrators: ids and links, no names."""
    school_ids = [school.pk for school in schools]
    late = (
        Award.objects.filter(term=term, student__school__in=school_ids)
        .filter(Q(late_since__isnull=False) | Q(status=AwardStatus.AWARDED))
        .exclude(status=AwardStatus.CANCELLED)
        .order_by("created_at", "pk")
        .values(
            "id",
            "status",
            "late_since",
            "amount_fen",
            project_code=F("project__code"),
            school_code=F("student__school__code"),
        )[:DETAIL_LIMIT]
    )
    objections = (
        Objection.objects.filter(
            assessment__term=term,
            assessment__student__school__in=school_ids,
            answered_at__isnull=True,
        )
        .order_by("filed_at", "pk")
        .values(
            "id", "assessment_id", "filed_at", school_code=F("assessment__student__school__code")
        )[:DETAIL_LIMIT]
    )
    streaks = (
        WeeklyCompliance.objects.filter(
            term=term, school__in=school_ids, missed_streak__gte=STREAK_WEEKS
        )
        .values("pairing_id", school_code=F("school__code"))
        .annotate(longest=Max("missed_streak"))
        .order_by("-longest", "pairing_id")[:DETAIL_LIMIT]
    )
    return {
        "late_or_unpaid_awards": [
            {
                "award": row["id"],
                "status": row["status"],
                "late_since": row["late_since"].isoformat() if row["late_since"] else None,
                "amount_fen": row["amount_fen"],
                "project": row["project_code"],
                "school": row["school_code"],
                "link": f"/api/v1/awards/{row['id']}/",
            }
            for row in late
        ],
        "unanswered_objections": [
            {
                "objection": row["id"],
                "school": row["school_code"],
                "filed_at": row["filed_at"].isoformat(),
                "link": f"/api/v1/assessments/{row['assessment_id']}/",
            }
            for row in objections
        ],
        "missed_streaks": [
            {
                "pairing": row["pairing_id"],
                "school": row["school_code"],
                "longest": row["longest"],
                "link": f"/api/v1/pairings/{row['pairing_id']}/",
            }
            for row in streaks
        ],
    }
