"""Reads of the weekly check's rows: who sees which rows, and the figures per school and mentor.

- administrators (school or district): the rows of the schools they administer;
- teachers and volunteers: the rows of their own pairings;
- supervisors: the figures of the schools they supervise, never a row or a mentor;
- donors: nothing.

Every read is a fixed number of aggregate queries, whatever the number of rows.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import is_active_account
from mentoring.models import (
    PAIRED_STATUSES,
    Membership,
    Mentor,
    MentorKind,
    Notification,
    NotificationKind,
    Pairing,
    PairingKind,
    PairingStatus,
    Role,
    School,
    SessionKind,
    Term,
    TutoringSession,
    User,
    WeeklyCompliance,
    person_name,
)
from mentoring.school_weeks import ONE_WEEK, parse_week, week_label
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import schools_visible_to
from mentoring.services.compliance import CONTACT_KINDS
from mentoring.services.compliance_reminders import REMINDER_KINDS
from mentoring.streaks import STREAK_WEEKS
from mentoring.workdays import week_monday


def compliance_visible_to(user: User) -> QuerySet[WeeklyCompliance]:
    """The rows a user may read one by one: their schools' (administrators) or their own."""
    if not is_active_account(user):
        return WeeklyCompliance.objects.none()
    if user.is_superuser:
        return WeeklyCompliance.objects.all()
    return WeeklyCompliance.objects.filter(
        Q(school__in=schools_administered_by(user)) | Q(mentor__user=user)
    )


def schools_supervised_by(user: User) -> QuerySet[School]:
    if not is_active_account(user):
        return School.objects.none()
    return School.objects.filter(
        memberships__user=user, memberships__role=Role.SUPERVISOR
    ).distinct()


def _figures() -> dict:
    return {
        "pairings": Count("pairing", distinct=True),
        "pair_weeks": Count("pk"),
        "pair_weeks_met": Count("pk", filter=Q(met=True)),
        "sessions": Sum("sessions"),
        "minutes": Sum("minutes"),
        "home_visits": Sum("home_visits"),
        "students_with_streak": Count(
            "pairing__student", distinct=True, filter=Q(missed_streak__gte=STREAK_WEEKS)
        ),
    }


# The holiday figures: sessions dated in the holiday, never counted for a school week.
HOLIDAY_FIGURES = ("holiday_sessions", "holiday_minutes", "holiday_home_visits")


def _holiday_figures(term: Term, sessions: QuerySet[TutoringSession]) -> dict[tuple, list[int]]:
    """{(school id, mentor id): [contact sessions, their minutes, home visits]} in the holiday.

    One aggregate query per day and kind; each day is judged by the term's
    calendar (`Term.is_holiday`), so the figures follow the weekly check's
    own rule of what a school week counts.
    """
    rows = (
        sessions.filter(
            pairing__term=term,
            pairing__kind=PairingKind.ACADEMIC,
            pairing__status__in=PAIRED_STATUSES,
        )
        .values("pairing__student__school", "pairing__mentor", "date", "kind")
        .annotate(n=Count("pk"), total=Sum("minutes"))
        .order_by()
        .values_list("pairing__student__school", "pairing__mentor", "date", "kind", "n", "total")
    )
    figures: dict[tuple, list[int]] = {}
    for school_id, mentor_id, day, kind, n, total in rows:
        if not term.is_holiday(day):
            continue
        tally = figures.setdefault((school_id, mentor_id), [0, 0, 0])
        if kind in CONTACT_KINDS:
            tally[0] += n
            tally[1] += total or 0
        elif kind == SessionKind.HOME_VISIT:
            tally[2] += n
    return figures


def _add_holiday(row: dict, tallies) -> dict:
    sums = [sum(column) for column in zip(*tallies, strict=True)] if tallies else [0, 0, 0]
    row.update(zip(HOLIDAY_FIGURES, sums, strict=True))
    return row


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _clean(row: dict) -> dict:
    for name in ("sessions", "minutes", "home_visits"):
        row[name] = row[name] or 0
    row["met_percent"] = _percent(row["pair_weeks_met"], row["pair_weeks"])
    return row


@dataclass
class SummaryScope:
    term: Term
    school: School | None


def summary_scope(*, user: User, term_id: int, school_id: int | None) -> SummaryScope:
    """The term and school asked for, refused (400) when outside the user's schools."""
    term = (
        Term.objects.filter(pk=term_id, district__schools__in=schools_visible_to(user))
        .distinct()
        .first()
    )
    if term is None:
        raise DomainError(_("Unknown term."), field="term")
    school = None
    if school_id is not None:
        school = schools_visible_to(user).filter(pk=school_id, district_id=term.district_id).first()
        if school is None:
            raise DomainError(_("Unknown school."), field="school")
    return SummaryScope(term=term, school=school)


@dataclass
class SummaryCounted:
    """What a user's summary counts: its schools, the weekly check's rows, the rows the
    user reads one by one (for the mentors' figures) and the term's sessions.

    `sessions` are every session of the term's pairings in the counted schools,
    and the user's own pairings' elsewhere; a mentor's sessions count towards
    their figures only where `reads_mentor` says so.
    """

    scope: SummaryScope
    schools: QuerySet[School]
    rows: QuerySet[WeeklyCompliance]
    visible_rows: QuerySet[WeeklyCompliance]
    sessions: QuerySet[TutoringSession]
    administered: set[int] | None
    own: set[int]

    def reads_mentor(self, school_id: int, mentor_id: int) -> bool:
        return self.administered is None or school_id in self.administered or mentor_id in self.own


def summary_counted(
    *, user: User, term_id: int, school_id: int | None = None, administered_only: bool = False
) -> SummaryCounted:
    """What `compliance_summary` counts for the user (see there): refused (400) outside
    the user's terms and schools."""
    scope = summary_scope(user=user, term_id=term_id, school_id=school_id)
    term = scope.term
    if administered_only:
        counted_schools = School.objects.filter(
            pk__in=schools_administered_by(user), district_id=term.district_id
        )
        rows = WeeklyCompliance.objects.filter(school__in=counted_schools, term=term)
    elif user.is_superuser:
        counted_schools = School.objects.filter(district_id=term.district_id)
        rows = WeeklyCompliance.objects.filter(term=term)
    else:
        counted_schools = School.objects.filter(
            Q(pk__in=schools_administered_by(user)) | Q(pk__in=schools_supervised_by(user)),
            district_id=term.district_id,
        )
        rows = WeeklyCompliance.objects.filter(
            Q(school__in=counted_schools) | Q(mentor__user=user), term=term
        )
    visible_rows = compliance_visible_to(user).filter(term=term)
    if administered_only:
        visible_rows = visible_rows.filter(school__in=counted_schools)
    if scope.school is not None:
        counted_schools = counted_schools.filter(pk=scope.school.pk)
        rows = rows.filter(school=scope.school)
        visible_rows = visible_rows.filter(school=scope.school)

    sessions = TutoringSession.objects.filter(pairing__term=term)
    if administered_only:
        sessions = sessions.filter(pairing__student__school__in=counted_schools)
        administered = None
    elif user.is_superuser:
        administered = None
    else:
        sessions = sessions.filter(
            Q(pairing__student__school__in=counted_schools) | Q(pairing__mentor__user=user)
        )
        administered = set(schools_administered_by(user).values_list("pk", flat=True))
    if scope.school is not None:
        sessions = sessions.filter(pairing__student__school=scope.school)
    own = set(Mentor.objects.filter(user=user).values_list("pk", flat=True))
    return SummaryCounted(
        scope=scope,
        schools=counted_schools,
        rows=rows,
        visible_rows=visible_rows,
        sessions=sessions,
        administered=administered,
        own=own,
    )


def compliance_summary(
    *, user: User, term_id: int, school_id: int | None = None, administered_only: bool = False
) -> dict:
    """Figures of a term per school and per mentor, for the rows the user may count.

    `administered_only` counts the schools the user administers and nothing
    else (the administrators' console): not the schools it only supervises,
    nor its own mentees elsewhere.

    Per school: share of pair-weeks met, sessions, minutes, home visits (the
    weekly check's, school weeks of academic pairings only: the term's are
    `mentoring.selectors.tutoring.term_tutoring_summary`), the sessions,
    minutes and home visits of the holiday apart (they meet no week's target),
    students with a streak of missed weeks, and the party-member teachers
    (how many, how many with at least one academic mentee in the term).
    Per mentor: the same figures, for administrators and the mentor themself;
    supervisors get the per-school figures only.
    """
    return compliance_figures(
        summary_counted(
            user=user, term_id=term_id, school_id=school_id, administered_only=administered_only
        )
    )


def compliance_figures(counted: SummaryCounted) -> dict:
    """`compliance_summary` of what `summary_counted` gave."""
    term, scope = counted.scope.term, counted.scope
    counted_schools, rows, visible_rows = counted.schools, counted.rows, counted.visible_rows
    holiday = _holiday_figures(term, counted.sessions)

    by_school = {
        row["school"]: _clean(row)
        for row in rows.values("school").annotate(**_figures()).order_by()
    }
    school_ids = set(by_school) | set(counted_schools.values_list("pk", flat=True))
    schools = {
        school.pk: school for school in School.objects.filter(pk__in=school_ids).order_by("code")
    }
    party_teachers = dict(
        Mentor.objects.filter(kind=MentorKind.PARTY_TEACHER, active=True, schools__in=school_ids)
        .values("schools")
        .annotate(n=Count("pk", distinct=True))
        .values_list("schools", "n")
    )
    with_mentee = dict(
        Pairing.objects.filter(
            term=term,
            kind=PairingKind.ACADEMIC,
            status__in=[PairingStatus.ACTIVE, PairingStatus.ENDED],
            mentor__kind=MentorKind.PARTY_TEACHER,
            student__school_id__in=school_ids,
        )
        .values("student__school")
        .annotate(n=Count("mentor", distinct=True))
        .values_list("student__school", "n")
    )
    empty = _clean(dict.fromkeys(_figures(), 0))
    school_rows = []
    for school in schools.values():
        figures = by_school.get(school.pk, dict(empty))
        figures.pop("school", None)
        _add_holiday(figures, [t for (sid, _m), t in holiday.items() if sid == school.pk])
        school_rows.append(
            {
                "school": school.pk,
                "school_code": school.code,
                "school_name": school.name,
                "party_teachers": party_teachers.get(school.pk, 0),
                "party_teachers_with_mentee": with_mentee.get(school.pk, 0),
                **figures,
            }
        )

    totals = _add_holiday(_clean(rows.aggregate(**_figures())), list(holiday.values()))
    totals["party_teachers"] = sum(row["party_teachers"] for row in school_rows)
    totals["party_teachers_with_mentee"] = sum(
        row["party_teachers_with_mentee"] for row in school_rows
    )

    # Per mentor only from the rows the user may read one by one: a
    # supervisor's schools give none.
    mentor_rows = []
    for row in (
        visible_rows.values(
            "mentor",
            "mentor__kind",
            "mentor__user__username",
            "mentor__user__first_name",
            "mentor__user__last_name",
        )
        .annotate(**_figures())
        .order_by("mentor__user__username")
    ):
        # A mentor's holiday sessions in the schools whose rows the user reads one by one.
        mentor_holiday = [
            tally
            for (school_id, mentor_id), tally in holiday.items()
            if mentor_id == row["mentor"] and counted.reads_mentor(school_id, mentor_id)
        ]
        _add_holiday(row, mentor_holiday)
        name = person_name(row.pop("mentor__user__first_name"), row.pop("mentor__user__last_name"))
        username = row.pop("mentor__user__username")
        mentor_rows.append(
            {
                "mentor": row.pop("mentor"),
                "mentor_name": name.strip() or username,
                "mentor_kind": row.pop("mentor__kind"),
                **_clean(row),
            }
        )
    return {
        "term": term.pk,
        "term_code": term.code,
        "school": scope.school.pk if scope.school else None,
        "totals": totals,
        "by_school": school_rows,
        "by_mentor": mentor_rows,
    }


def may_read_compliance_figures(user: User) -> bool:
    """Administrators, teachers, volunteers and supervisors; never donors."""
    if not is_active_account(user):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user,
        role__in=[Role.ADMINISTRATOR, Role.TEACHER, Role.VOLUNTEER, Role.SUPERVISOR],
    ).exists()


@dataclass
class ReminderSent:
    """The weekly check's reminders about one pairing's missed week, as the console lists them.

    `mentor_reminded` is the mentor's reminder; `escalated` the streak told to
    the school's administrators (None when it was not); `resolved` says the
    records no longer bear it out (a session logged late into the week).
    """

    week_start: datetime.date
    pairing: int
    student: int
    student_name: str
    mentor_name: str
    mentor_reminded: bool = False
    mentor_read: bool = False
    escalated: int | None = None
    resolved: bool = False

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + ONE_WEEK - datetime.timedelta(days=1)


def reminders_sent(*, user: User, term: Term, limit: int = 300) -> list[ReminderSent]:
    """The reminders of the term's weeks in the schools the user administers, newest week
    first, one row per pairing and week; three queries however many.
    """
    labels = []
    monday = week_monday(term.start_date)
    while monday <= term.end_date:
        labels.append(week_label(monday))
        monday += ONE_WEEK
    notifications = list(
        Notification.objects.filter(
            kind__in=REMINDER_KINDS,
            school__in=schools_administered_by(user).filter(district_id=term.district_id),
            data__week__in=labels,
        )
        .values_list("kind", "data", "read_at", "resolved_at")
        .order_by("-created_at", "-pk")[: limit * 4]
    )
    pairing_ids = {data.get("pairing") for _kind, data, _read, _resolved in notifications}
    pairings = {
        row["pk"]: row
        for row in Pairing.objects.filter(pk__in=pairing_ids - {None}, term=term).values(
            "pk",
            "student_id",
            "student__name",
            "mentor__user__username",
            "mentor__user__first_name",
            "mentor__user__last_name",
        )
    }
    rows: dict[tuple[int, str], ReminderSent] = {}
    for kind, data, read_at, resolved_at in notifications:
        pairing = pairings.get(data.get("pairing"))
        if pairing is None:
            continue
        key = (pairing["pk"], data["week"])
        row = rows.get(key)
        if row is None:
            name = person_name(
                pairing["mentor__user__first_name"], pairing["mentor__user__last_name"]
            )
            row = rows[key] = ReminderSent(
                week_start=parse_week(data["week"]),
                pairing=pairing["pk"],
                student=pairing["student_id"],
                student_name=pairing["student__name"],
                mentor_name=name or pairing["mentor__user__username"],
            )
        if kind == NotificationKind.MISSED_WEEK:
            row.mentor_reminded = True
            row.mentor_read = read_at is not None
        else:
            row.escalated = data.get("streak")
        row.resolved = row.resolved or resolved_at is not None
    ordered = sorted(rows.values(), key=lambda r: (-r.week_start.toordinal(), r.mentor_name))
    return ordered[:limit]
