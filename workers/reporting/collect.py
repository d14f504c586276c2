"""The term report's database part: a fixed number of aggregate queries, whatever the size.

Each function below is one query (or two for the merged figures), grouped
by school and the few dimensions the report needs; nothing is read per
student, pairing or session. `term_rows` returns plain data for
`workers.reporting.figures.compose`.
"""

import datetime

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncDate

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    AwardStatus,
    Contribution,
    ContributionStatus,
    Disbursement,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    LedgerEntry,
    LedgerKind,
    Pledge,
    ProjectFunding,
)
from donations.selectors.totals import PAYMENT_STANDS
from mentoring.models import (
    Assessment,
    AssessmentStatus,
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
    TutoringSession,
    WeeklyCompliance,
)
from mentoring.outcomes import NOT_IN_HARDSHIP
from workers.reporting.figures import STREAK_WEEKS

PAIRED = [PairingStatus.ACTIVE, PairingStatus.ENDED]
# Records listed by name in a report's details, per kind; the counts are always whole.
DETAIL_LIMIT = 500


def _sum(expression, **extra):
    return Coalesce(Sum(expression, **extra), Value(0))


def _rows(queryset) -> list[dict]:
    return list(queryset.order_by())


def _days(delta) -> int:
    if delta is None:
        return 0
    if isinstance(delta, datetime.timedelta):
        return delta.days
    # Some backends answer a duration in microseconds.
    return int(delta) // 86_400_000_000


def _enrolment(term, school_ids):
    # Uncorrelated subqueries: PostgreSQL hashes each once instead of probing per student.
    approved = Q(
        student__in=Assessment.objects.filter(term=term, status=AssessmentStatus.APPROVED)
        .exclude(tier=NOT_IN_HARDSHIP)
        .values("student")
    )
    paired = Q(
        student__in=Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE).values("student")
    )
    needs = Q(struggling=True) | approved
    return _rows(
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
    return _rows(
        StudentRecord.objects.filter(term=term, student__school__in=school_ids, struggling=True)
        .annotate(delta=Subquery(delta))
        .values(school=F("student__school_id"))
        .annotate(
            students=Count("pk", filter=Q(delta__isnull=False)),
            rose=Count("pk", filter=Q(delta__gt=0)),
        )
    )


def _identification(term, school_ids):
    assessments = _rows(
        Assessment.objects.filter(term=term, student__school__in=school_ids)
        .values("route", "status", "tier", school=F("student__school_id"))
        .annotate(n=Count("pk"))
    )
    objections = _rows(
        Objection.objects.filter(assessment__term=term, assessment__student__school__in=school_ids)
        .values(school=F("assessment__student__school_id"))
        .annotate(raised=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    )
    return assessments, objections


def _received_in(term: Term, prefix: str = "") -> Q:
    """Appropriations that count as the term's received (到位): against the term's
    funding, or naming no funding and posted during the term."""
    return Q(**{f"{prefix}funding__term": term}) | Q(
        **{
            f"{prefix}funding__isnull": True,
            f"{prefix}created_at__date__gte": term.start_date,
            f"{prefix}created_at__date__lte": term.end_date,
        }
    )


def _aid(term, school_ids, district):
    awards = Award.objects.filter(term=term, student__school__in=school_ids).exclude(
        status=AwardStatus.CANCELLED
    )
    unpaid = Q(status=AwardStatus.AWARDED)
    late = Q(late_since__isnull=False)
    award_rows = _rows(
        awards.values("project", school=F("student__school_id")).annotate(
            students=Count("student", distinct=True),
            awards=Count("pk"),
            awarded_fen=_sum("amount_fen"),
            paid_awards=Count("pk", filter=Q(status=AwardStatus.PAID)),
            unpaid_awards=Count("pk", filter=unpaid),
            unpaid_fen=_sum("amount_fen", filter=unpaid),
            late=Count("pk", filter=late),
            late_fen=_sum("amount_fen", filter=late),
        )
    )
    # The bureau's table splits aid by the government list the student is on, if any:
    # the student's assessment of this term, joined (a LEFT JOIN, not a subquery per award).
    categories = _rows(
        awards.annotate(
            assessed=FilteredRelation(
                "student__assessments", condition=Q(student__assessments__term=term)
            )
        )
        .values(
            "project", category=F("assessed__government_category"), school=F("student__school_id")
        )
        .annotate(
            students=Count("student", distinct=True),
            awards=Count("pk"),
            awarded_fen=_sum("amount_fen"),
        )
    )
    for row in [*award_rows, *categories]:
        row["amount_fen"] = row.pop("awarded_fen")
    aided = _rows(
        awards.values(school=F("student__school_id")).annotate(
            students=Count("student", distinct=True)
        )
    )
    days = ExpressionWrapper(
        F("paid_on") - TruncDate("award__created_at"), output_field=DurationField()
    )
    payments = _rows(
        Disbursement.objects.filter(award__term=term, award__student__school__in=school_ids)
        .values(school=F("award__student__school_id"), project=F("award__project_id"))
        .annotate(
            # Paid (实发) is net of payments reversed: a reversed payment counts neither way.
            payments=Count("pk", filter=PAYMENT_STANDS),
            paid_fen=_sum("amount_fen", filter=PAYMENT_STANDS),
            # What the ledger took out for these payments, net of any reversal of them.
            ledger_fen=_sum("ledger_entry__amount_fen")
            + _sum("ledger_entry__reversed_by__amount_fen"),
            days_total=Sum(days, filter=PAYMENT_STANDS),
            days_max=Max(days, filter=PAYMENT_STANDS),
        )
    )
    for row in payments:
        row["days_total"], row["days_max"] = _days(row["days_total"]), _days(row["days_max"])
    projects = _rows(
        AidProject.objects.filter(district=district).values(
            "id", "code", "name", "source", "purpose"
        )
    )
    funding = _rows(
        ProjectFunding.objects.filter(term=term, project__district=district)
        .values("project", "source")
        .annotate(allocated_fen=_sum("amount_fen"))
    )
    # Appropriations against the term's funding, and those that name no funding
    # but arrived during the term (by their own source, else the project's).
    received = _rows(
        LedgerEntry.objects.filter(
            kind=LedgerKind.APPROPRIATION, account__project__district=district
        )
        .filter(_received_in(term))
        .values(
            project=F("account__project_id"),
            funding_source=Coalesce(
                F("funding__source"), NullIf(F("source"), Value("")), F("account__project__source")
            ),
        )
        .annotate(received_fen=_sum("amount_fen") + _sum("reversed_by__amount_fen"))
    )
    for row in received:
        row["source"] = row.pop("funding_source")
    # Who was left out, and why: each student's latest entry over the project's
    # allocation runs (a run may cover one school only), unless an award of
    # the project reached them since.
    scope = set(school_ids)
    awarded = set(
        Award.objects.filter(term=term, project__district=district)
        .exclude(status=AwardStatus.CANCELLED)
        .values_list("project", "student")
    )
    latest: dict[tuple, dict] = {}
    for row in (
        Allocation.objects.filter(term=term, project__district=district)
        .order_by("-created_at", "-pk")
        .values("project", "left_out")
    ):
        for entry in row["left_out"] or []:
            key = (row["project"], entry.get("student"))
            if entry.get("school") in scope and key not in awarded:
                latest.setdefault(key, entry)
    left_out = [
        {
            "project": project,
            "school": entry.get("school"),
            "student": entry.get("student"),
            "reason": entry.get("reason", ""),
            "detail": entry.get("detail", ""),
        }
        for (project, _student), entry in sorted(latest.items(), key=lambda kv: kv[0])
    ]
    accounts = _rows(
        FundAccount.objects.filter(project__district=district)
        .annotate(ledger_fen=_sum("entries__amount_fen"))
        .values("balance_fen", "ledger_fen", "project")
    )
    # How many awards each project made in the whole district: a school report
    # tells a project shared with other schools from one that is the school's own.
    project_awards = _rows(
        Award.objects.filter(term=term, project__district=district)
        .exclude(status=AwardStatus.CANCELLED)
        .values("project")
        .annotate(awards=Count("pk"))
    )
    return {
        "project_awards": project_awards,
        "awards": award_rows,
        "award_categories": categories,
        "aided": aided,
        "payments": payments,
        "projects": projects,
        "funding": funding,
        "received": received,
        "left_out": left_out,
        "accounts": accounts,
    }


def _mentoring(term, school_ids):
    pairings = Pairing.objects.filter(term=term, status__in=PAIRED, student__school__in=school_ids)
    pairing_rows = _rows(
        pairings.values("kind", school=F("student__school_id")).annotate(pairings=Count("pk"))
    )
    branch_pairings = _rows(
        pairings.values("kind", branch=F("mentor__party_branch")).annotate(pairings=Count("pk"))
    )
    care = Q(kind=PairingKind.CARE)
    branch_mentors = _rows(
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
    with_mentee = _rows(
        pairings.values(mentor_kind=F("mentor__kind"), school=F("student__school_id")).annotate(
            with_mentee=Count("mentor", distinct=True),
            sponsoring=Count("mentor", distinct=True, filter=care),
        )
    )
    with_mentee_total = _rows(
        pairings.values(mentor_kind=F("mentor__kind")).annotate(
            with_mentee=Count("mentor", distinct=True),
            sponsoring=Count("mentor", distinct=True, filter=care),
        )
    )
    mentors = Mentor.objects.filter(active=True, schools__in=school_ids)
    roster = _rows(
        mentors.values("kind", school_id=F("schools")).annotate(mentors=Count("pk", distinct=True))
    )
    for row in roster:
        row["school"] = row.pop("school_id")
    for row in [*with_mentee, *with_mentee_total]:
        row["kind"] = row.pop("mentor_kind")
    roster_total = _rows(mentors.values("kind").annotate(mentors=Count("pk", distinct=True)))

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
    sessions = _rows(
        TutoringSession.objects.filter(pairing__term=term, pairing__student__school__in=school_ids)
        .values(
            "kind",
            school=F("pairing__student__school_id"),
            branch=F("pairing__mentor__party_branch"),
        )
        .annotate(sessions=Count("pk"), minutes=_sum("minutes"))
    )
    compliance = _rows(
        WeeklyCompliance.objects.filter(term=term, school__in=school_ids)
        .values("school", branch=F("mentor__party_branch"), week=F("week_start"))
        .annotate(weeks=Count("pk"), met=Count("pk", filter=Q(met=True)))
    )
    for row in compliance:
        row["week"] = row["week"].isoformat()
    streaks = _rows(
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


def _donations(term, school_ids, district):
    in_term = Q(received_on__gte=term.start_date, received_on__lte=term.end_date)
    contributions = Contribution.objects.filter(
        in_term, project__district=district, status=ContributionStatus.POSTED
    )
    donations = _rows(
        contributions.values(
            donor_name=F("donor__name"),
            donor_kind=F("donor__kind"),
            anonymous=F("donor__anonymous"),
            project_code=F("project__code"),
        ).annotate(given_fen=_sum("amount_fen"), contributions=Count("pk"))
    )
    donation_ledger = _rows(
        contributions.values("project").annotate(
            given_fen=_sum("amount_fen"),
            ledger_fen=_sum("ledger_entry__amount_fen")
            + _sum("ledger_entry__reversed_by__amount_fen"),
        )
    )
    pledges = _rows(
        Pledge.objects.filter(
            donor__district=district,
            instalments__due_on__gte=term.start_date,
            instalments__due_on__lte=term.end_date,
        )
        .values("status")
        .annotate(n=Count("pk", distinct=True))
    )
    items_received = _rows(
        ItemDonation.objects.filter(item_kind__district=district)
        .values(item=F("item_kind_id"), name=F("item_kind__name"), unit=F("item_kind__unit"))
        .annotate(
            all_quantity=_sum("quantity"),
            all_value_fen=_sum("value_fen"),
            term_quantity=_sum("quantity", filter=in_term),
            term_value_fen=_sum("value_fen", filter=in_term),
        )
    )
    items_given = _rows(
        ItemDistribution.objects.filter(
            item_kind__district=district,
            student__school__in=school_ids,
            given_on__gte=term.start_date,
            given_on__lte=term.end_date,
        )
        .values(item=F("item_kind_id"))
        .annotate(given=_sum("quantity"))
    )
    for row in [*donations, *donation_ledger]:
        row["amount_fen"] = row.pop("given_fen")
    for row in items_received:
        row["quantity"], row["value_fen"] = row.pop("term_quantity"), row.pop("term_value_fen")
    for row in items_given:
        row["quantity"] = row.pop("given")
    return {
        "donations": donations,
        "donation_ledger": donation_ledger,
        "pledges": pledges,
        "items_received": items_received,
        "items_given": items_given,
    }


def term_rows(*, term: Term, schools: list[School], scope: str) -> dict:
    """Everything the report counts for `term` in `schools`, as plain rows."""
    district = term.district
    school_ids = [school.pk for school in schools]
    assessments, objections = _identification(term, school_ids)
    return {
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
        "enrolment": _enrolment(term, school_ids),
        "scores": _scores(term, school_ids),
        "assessments": assessments,
        "objections": objections,
        **_aid(term, school_ids, district),
        **_mentoring(term, school_ids),
        **_donations(term, school_ids, district),
        # Every refusal of duplicate aid is recorded (by hand or by an allocation run).
        "refusals": _rows(
            AidRefusal.objects.filter(term=term, student__school__in=school_ids)
            .values(school=F("student__school_id"))
            .annotate(refused=Count("pk"))
        ),
        "refusals_recorded": True,
    }


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


def ledger_sums(*, term: Term, schools: list[School]) -> dict[str, dict[str, int]]:
    """The ledger's own sums of the term's money per project code, in fen, for reconciliation.

    Read from the ledger's rows by their kind (one query), not through the
    records the report counts, so the two can disagree: `received` is the
    appropriations that count for the term, `paid` the money out for payments
    of the term's awards to `schools`' students, `donated` the contributions
    received during the term; each net of its reversals.
    """
    school_ids = [school.pk for school in schools]

    def kind(name: str, prefix: str = "") -> Q:
        return Q(kind=name) if not prefix else Q(kind=LedgerKind.REVERSAL, reverses__kind=name)

    def received(prefix=""):
        return kind(LedgerKind.APPROPRIATION, prefix) & _received_in(term, prefix)

    def paid(prefix=""):
        return kind(LedgerKind.DISBURSEMENT, prefix) & Q(
            **{
                f"{prefix}disbursement__award__term": term,
                f"{prefix}disbursement__award__student__school__in": school_ids,
            }
        )

    def donated(prefix=""):
        return kind(LedgerKind.CONTRIBUTION, prefix) & Q(
            **{
                f"{prefix}contribution__received_on__gte": term.start_date,
                f"{prefix}contribution__received_on__lte": term.end_date,
            }
        )

    rows = (
        LedgerEntry.objects.filter(account__project__district=term.district)
        .values(code=F("account__project__code"))
        .annotate(
            received=_sum("amount_fen", filter=received() | received("reverses__")),
            # Money out is negative in the ledger; paid is what went out.
            paid=-_sum("amount_fen", filter=paid() | paid("reverses__")),
            donated=_sum("amount_fen", filter=donated() | donated("reverses__")),
        )
    )
    return {
        name: {row["code"]: row[name] for row in _rows(rows) if row[name]}
        for name in ("received", "paid", "donated")
    }
