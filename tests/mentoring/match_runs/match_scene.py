"""The scene of the matching run's tests: one primary school whose best proposal is known by hand.

`build_scene` (see its docstring) is shared by the services', the API's and the worker's
tests of the run; `clock` fixes the moment inside the factories' term.
"""

import datetime
from collections import Counter
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from mentoring.models import (
    AssessmentStatus,
    Gender,
    MatchRun,
    Mentor,
    MentorKind,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
    Role,
    School,
    Student,
    Subject,
    Term,
    User,
)
from mentoring.services.match_runs import match_run_start
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)
from workers.models import Job

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every test runs at this moment, inside the 2026-autumn term of the factories,
# so that volunteers' vetting and start dates do not depend on the real date.
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
ACADEMIC, CARE = PairingKind.ACADEMIC, PairingKind.CARE


@pytest.fixture
def clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW) as frozen:
        yield frozen


@dataclass
class Scene:
    """School A of a district (with school B beside it), its term and the term before.

    Academic students of school A (all struggling; age on 2026-09-01):
    - s1: girl, 9, grade 3, weak in maths;
    - s2: boy, 9, grade 4, weak in Chinese;
    - s3: boy, 8, grade 3, weak in maths and English; the vetted volunteer
      mentored him last term;
    - older: boy, 13, grade 6, weak in maths (safeguarding: male mentors only);
    - conflicted: girl, 9, grade 3, weak in maths, on p1's conflict list;
    - unmatchable: boy, 14, grade 6, on p2's conflict list; the only other man
      is an unvetted volunteer, so no mentor may take him.
    Care students (approved assessments, not struggling): c_special
    (special hardship) and c_general (general hardship); c_pending (submitted)
    and c_not (approved as not in hardship) are not matched.

    Mentors of school A: p1 (party teacher, woman, maths, grades 3-4, capacity
    2), p2 (party teacher, man, Chinese, grade 4, capacity 2), t1 (teacher,
    woman, English, grade 3, capacity 1), vetted (volunteer, woman, maths,
    grades 3-4), unvetted (volunteer, man, never vetted), leader (woman,
    capacity 2). b_teacher teaches maths in school B, which has its own
    struggling student.

    The academic optimum (default weights): s1→p1, s2→p2, s3→vetted
    (continuity), older→p2, conflicted→vetted; unmatchable is left out for
    the safeguarding rule.
    """

    school_a: School
    school_b: School
    term: Term
    previous_term: Term
    admin: User
    students: dict[str, Student]
    mentors: dict[str, Mentor]

    def s(self, label: str) -> int:
        return self.students[label].pk

    def m(self, label: str) -> int:
        return self.mentors[label].pk

    def labels(self, pairs: dict) -> dict:
        """{(student pk, kind): mentor pk} as {student label: mentor label}, to read asserts."""
        student_label = {s.pk: label for label, s in self.students.items()}
        mentor_label = {m.pk: label for label, m in self.mentors.items()}
        return {student_label[s]: mentor_label[m] for (s, _kind), m in pairs.items()}


ACADEMIC_OPTIMUM = {
    "s1": "p1",
    "s2": "p2",
    "s3": "vetted",
    "older": "p2",
    "conflicted": "vetted",
}


def _student(school, term, label, *, gender, birth, grade=3, weak=(), struggling=True):
    student = StudentFactory(school=school, gender=gender, birth_date=birth, name=label)
    StudentRecordFactory(
        student=student, term=term, grade=grade, struggling=struggling, weak_subjects=list(weak)
    )
    return student


def _mentor(school, label, kind, *, role=Role.TEACHER, **fields):
    user = member(role, school, username=label)
    return MentorFactory(user=user, kind=kind, schools=[school], **fields)


def build_scene() -> Scene:
    district = DistrictFactory()
    school_a = SchoolFactory(district=district)
    school_b = SchoolFactory(district=district)
    term = TermFactory(district=district)
    previous = TermFactory(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 23),
        end_date=datetime.date(2026, 7, 10),
        holiday_weeks=[],
    )
    born_9 = datetime.date(2017, 5, 1)
    students = {
        "s1": _student(school_a, term, "s1", gender=Gender.FEMALE, birth=born_9, weak=["math"]),
        "s2": _student(
            school_a, term, "s2", gender=Gender.MALE, birth=born_9, grade=4, weak=["chinese"]
        ),
        "s3": _student(
            school_a,
            term,
            "s3",
            gender=Gender.MALE,
            birth=datetime.date(2018, 3, 1),
            weak=["math", "english"],
        ),
        "older": _student(
            school_a,
            term,
            "older",
            gender=Gender.MALE,
            birth=datetime.date(2013, 3, 1),
            grade=6,
            weak=["math"],
        ),
        "conflicted": _student(
            school_a, term, "conflicted", gender=Gender.FEMALE, birth=born_9, weak=["math"]
        ),
        "unmatchable": _student(
            school_a,
            term,
            "unmatchable",
            gender=Gender.MALE,
            birth=datetime.date(2012, 5, 1),
            grade=6,
            weak=["math"],
        ),
        "b_student": _student(
            school_b, term, "b_student", gender=Gender.FEMALE, birth=born_9, weak=["math"]
        ),
    }
    for label, status, tier in [
        ("c_special", AssessmentStatus.APPROVED, "special_hardship"),
        ("c_general", AssessmentStatus.APPROVED, "general_hardship"),
        ("c_pending", AssessmentStatus.SUBMITTED, "hardship"),
        ("c_not", AssessmentStatus.APPROVED, "not_in_hardship"),
    ]:
        student = _student(
            school_a, term, label, gender=Gender.FEMALE, birth=born_9, grade=5, struggling=False
        )
        AssessmentFactory(student=student, term=term, status=status, tier=tier)
        students[label] = student
    mentors = {
        "p1": _mentor(
            school_a,
            "p1",
            MentorKind.PARTY_TEACHER,
            gender=Gender.FEMALE,
            subjects=[Subject.MATH],
            grades=[3, 4],
            capacity=2,
        ),
        "p2": _mentor(
            school_a,
            "p2",
            MentorKind.PARTY_TEACHER,
            gender=Gender.MALE,
            subjects=[Subject.CHINESE],
            grades=[4],
            capacity=2,
        ),
        "t1": _mentor(
            school_a,
            "t1",
            MentorKind.TEACHER,
            gender=Gender.FEMALE,
            subjects=[Subject.ENGLISH],
            grades=[3],
            capacity=1,
        ),
        "vetted": _mentor(
            school_a,
            "vetted",
            MentorKind.VOLUNTEER,
            role=Role.VOLUNTEER,
            gender=Gender.FEMALE,
            subjects=[Subject.MATH],
            grades=[3, 4],
            capacity=3,
            vetted_until=datetime.date(2027, 8, 31),
        ),
        "unvetted": _mentor(
            school_a,
            "unvetted",
            MentorKind.VOLUNTEER,
            role=Role.VOLUNTEER,
            gender=Gender.MALE,
            subjects=[Subject.MATH],
            grades=[3, 4],
            capacity=3,
            vetted_until=None,
        ),
        "leader": _mentor(
            school_a,
            "leader",
            MentorKind.LEADER,
            gender=Gender.FEMALE,
            subjects=[],
            grades=[],
            capacity=2,
        ),
        "b_teacher": _mentor(
            school_b,
            "b_teacher",
            MentorKind.TEACHER,
            gender=Gender.FEMALE,
            subjects=[Subject.MATH],
            grades=[3, 4],
            capacity=5,
        ),
    }
    mentors["p1"].conflicts.add(students["conflicted"])
    mentors["p2"].conflicts.add(students["unmatchable"])
    # Last term's pairing gives continuity for s3 with the vetted volunteer; s3's
    # record there shows the spring term was run in Bangfu.
    StudentRecordFactory(student=students["s3"], term=previous, grade=2)
    PairingFactory(
        student=students["s3"],
        mentor=mentors["vetted"],
        term=previous,
        kind=ACADEMIC,
        status=PairingStatus.ENDED,
        started_on=datetime.date(2026, 3, 2),
        ended_on=datetime.date(2026, 7, 10),
    )
    return Scene(
        school_a=school_a,
        school_b=school_b,
        term=term,
        previous_term=previous,
        admin=member(Role.ADMINISTRATOR, school_a, username="admin.a"),
        students=students,
        mentors=mentors,
    )


@pytest.fixture
def scene(db, clock) -> Scene:
    return build_scene()


@pytest.fixture
def run_match(django_capture_on_commit_callbacks):
    """Start a run and let its task run (eagerly) once the start commits."""

    def run(*, by: User, term: Term, kinds=(ACADEMIC,), **fields) -> MatchRun:
        with django_capture_on_commit_callbacks(execute=True):
            started = match_run_start(by=by, term_id=term.pk, kinds=list(kinds), **fields)
        started.refresh_from_db()
        return started

    return run


def proposal(run: MatchRun) -> dict[tuple[int, str], int]:
    """The run's proposal: {(student, kind): mentor}."""
    rows = ProposedPair.objects.filter(run=run).values_list(
        "pairing__student_id", "pairing__kind", "pairing__mentor_id"
    )
    pairs = {(student, kind): mentor for student, kind, mentor in rows}
    assert len(pairs) == len(rows), "a student appears twice for one kind"
    return pairs


def reasons_of(run: MatchRun, student: int, kind: str = ACADEMIC) -> ProposedPair:
    return ProposedPair.objects.select_related("pairing").get(
        run=run, pairing__student_id=student, pairing__kind=kind
    )


def row_counts() -> tuple[int, int, int, int]:
    return (
        MatchRun.objects.count(),
        Job.objects.count(),
        Pairing.objects.count(),
        ProposedPair.objects.count(),
    )


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def assert_hard_rules_hold(term: Term) -> None:
    """Every proposed or active pairing of the term keeps every hard rule and capacity."""
    pairings = list(
        Pairing.objects.filter(
            term=term, status__in=[PairingStatus.PROPOSED, PairingStatus.ACTIVE]
        ).select_related("student", "mentor")
    )
    assert pairings
    for pairing in pairings:
        mentor, student = pairing.mentor, pairing.student
        assert mentor.schools.filter(pk=student.school_id).exists(), pairing
        if mentor.kind == MentorKind.VOLUNTEER:
            assert mentor.vetted_until is not None and mentor.vetted_until >= TODAY, pairing
        assert not mentor.conflicts.filter(pk=student.pk).exists(), pairing
        if _age(student.birth_date, term.start_date) >= 12:
            assert student.gender == mentor.gender, pairing
    load = Counter(p.mentor_id for p in pairings)
    for mentor in Mentor.objects.filter(pk__in=load):
        assert load[mentor.pk] <= mentor.capacity, mentor
