"""A student's growth archive (成长档案): everything Bangfu holds on one student, by term.

The class teacher's archive of the seeds holds, per student and across
school years, the identification history, the aid received and paid, the
pairings, tutoring sessions and home visits, and the scores. Those records
live in both apps, so the archive is assembled here: donations imports
mentoring, never the reverse (tests/project/test_import_cycles.py).

Who sees what follows the selectors of each record, the same that scope the
API's lists, so the archive never shows more than those endpoints would:

- the student at all: `students_visible_to` (the student detail's scope:
  administrators of the student's school, the student's mentors);
- identification: `assessments_visible_to` (administrators; a teacher the
  assessments they proposed);
- aid: `awards_visible_to` and `disbursements_visible_to` (administrators);
- pairings and sessions: `pairings_visible_to` and `sessions_visible_to`
  (administrators all of them; a mentor their own);
- the term records and scores: as the student detail shows them.

A section a reader may not see is None (not an empty list), so that a page
can say it is not shown rather than that there is nothing. The number of
queries does not depend on how many terms, sessions or awards there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from donations.models import Award, AwardStatus, Disbursement
from donations.selectors.scoping import awards_visible_to, disbursements_visible_to
from mentoring.models import (
    AssessmentEvent,
    AssessmentStatus,
    SessionKind,
    Student,
    StudentRecord,
    SubjectScore,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.identification import assessments_visible_to
from mentoring.selectors.scoping import (
    pairings_visible_to,
    scores_visible_to,
    sessions_visible_to,
    students_visible_to,
)
from mentoring.services.identification import tier_name

# What of a term's record a mentor may see (mentoring.apis.students.MENTOR_RECORD_FIELDS).
RECORD_FIELDS = ("level", "grade", "class_name", "boarding", "struggling", "weak_subjects")


@dataclass
class TermArchive:
    term: Term
    record: StudentRecord | None = None
    scores: list[SubjectScore] = field(default_factory=list)
    assessments: list = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    pairings: list = field(default_factory=list)
    sessions: list = field(default_factory=list)
    visits: list = field(default_factory=list)


@dataclass
class YearTotals:
    school_year: str
    awarded_fen: int = 0
    paid_fen: int = 0
    sessions: int = 0
    session_minutes: int = 0
    visits: int = 0


@dataclass
class GrowthArchive:
    student: Student
    # Whether the reader administers the student's school: the record's
    # income, indicators and such, the identification and the aid.
    full: bool
    shows_identification: bool
    shows_aid: bool
    terms: list[TermArchive]
    years: list[YearTotals]


def archive_student(user: User, student_id: int) -> Student | None:
    """The student if `user` may read their archive (the student detail's scope), else None."""
    return students_visible_to(user).select_related("school").filter(pk=student_id).first()


def growth_archive(*, user: User, student: Student) -> GrowthArchive:
    """The archive of a student `user` sees (`archive_student`), term by term, oldest first."""
    full = user.is_superuser or schools_administered_by(user).filter(pk=student.school_id).exists()
    by_term: dict[int, TermArchive] = {}

    def term_of(term: Term) -> TermArchive:
        if term.pk not in by_term:
            by_term[term.pk] = TermArchive(term=term)
        return by_term[term.pk]

    for record in StudentRecord.objects.filter(student=student).select_related("term"):
        term_of(record.term).record = record
    for score in (
        scores_visible_to(user)
        .filter(record__student=student)
        .select_related("record__term")
        .order_by("subject")
    ):
        term_of(score.record.term).scores.append(score)

    assessments = list(
        assessments_visible_to(user)
        .filter(student=student)
        .select_related("term__district")
        .prefetch_related(Prefetch("events", queryset=AssessmentEvent.objects.select_related("by")))
        .order_by("term__start_date", "created_at", "pk")
    )
    for assessment in assessments:
        # Words for the page: the district's name of the tier, the state each step led to.
        assessment.tier_label = (
            tier_name(assessment.term.district, assessment.tier) if assessment.tier else ""
        )
        for event in assessment.events.all():
            event.label = _status_label(event.to_status) or event.action
        term_of(assessment.term).assessments.append(assessment)

    awards = list(
        awards_visible_to(user)
        .filter(student=student)
        .prefetch_related(
            Prefetch(
                "disbursements",
                queryset=disbursements_visible_to(user)
                .filter(award__student=student)
                .order_by("paid_on", "pk"),
                to_attr="payments",
            )
        )
        .order_by("term__start_date", "created_at", "pk")
    )
    for award in awards:
        term_of(award.term).awards.append(award)

    pairings = (
        pairings_visible_to(user)
        .filter(student=student)
        .select_related("term", "mentor__user")
        .order_by("term__start_date", "pk")
    )
    for pairing in pairings:
        term_of(pairing.term).pairings.append(pairing)
    sessions = (
        sessions_visible_to(user)
        .filter(pairing__student=student)
        .select_related("pairing__term", "pairing__mentor__user")
        .order_by("date", "pk")
    )
    for session in sessions:
        entry = term_of(session.pairing.term)
        (entry.visits if session.kind == SessionKind.HOME_VISIT else entry.sessions).append(session)

    terms = sorted(by_term.values(), key=lambda t: (t.term.start_date, t.term.pk))
    return GrowthArchive(
        student=student,
        full=full,
        shows_identification=bool(assessments) or full,
        shows_aid=full,
        terms=terms,
        years=_years(terms),
    )


def _status_label(code: str) -> str:
    return AssessmentStatus(code).label if code in AssessmentStatus.values else ""


def _years(terms: list[TermArchive]) -> list[YearTotals]:
    years: dict[str, YearTotals] = defaultdict(lambda: None)
    ordered = []
    for entry in terms:
        year = years[entry.term.school_year]
        if year is None:
            year = years[entry.term.school_year] = YearTotals(entry.term.school_year)
            ordered.append(year)
        for award in entry.awards:
            if award.status != AwardStatus.CANCELLED:
                year.awarded_fen += award.amount_fen
            year.paid_fen += award.paid_fen
        year.sessions += len(entry.sessions)
        year.session_minutes += sum(s.minutes for s in entry.sessions)
        year.visits += len(entry.visits)
    return ordered


def payments_of(award: Award) -> list[Disbursement]:
    return getattr(award, "payments", [])
