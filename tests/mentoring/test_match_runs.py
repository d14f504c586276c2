"""The term's matching run as services: start, solve in a (eager) task, review, approve.

`build_scene` is shared with the API and worker tests: one primary school
whose optimal proposal is known by hand (see its docstring).
"""

import dataclasses
import datetime
from collections import Counter
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from core.errors import Conflict, DomainError, NotPermitted
from mentoring.matching.candidates import Weights
from mentoring.matching.problem import load_inputs, solve_inputs
from mentoring.models import (
    AssessmentStatus,
    District,
    Gender,
    MatchRun,
    MatchRunStatus,
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
from mentoring.services.match_runs import (
    match_run_approve,
    match_run_execute,
    match_run_pair_add,
    match_run_pair_change,
    match_run_pair_remove,
    match_run_start,
)
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    member,
)
from workers.models import Job, JobStatus

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
    # Last term's pairing gives continuity for s3 with the vetted volunteer.
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


# The proposal


def test_run_proposes_the_optimum_within_every_rule_and_ends_its_job_succeeded(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert run.status == MatchRunStatus.PROPOSED
    assert scene.labels(proposal(run)) == ACADEMIC_OPTIMUM
    assert_hard_rules_hold(scene.term)
    assert set(
        Pairing.objects.filter(term=scene.term).values_list("status", "kind").distinct()
    ) == {(PairingStatus.PROPOSED, ACADEMIC)}
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.job.progress == 100
    assert run.job.school == scene.school_a
    assert run.job.result == run.summary


def test_every_party_teacher_gets_a_mentee(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    mentees = Counter(proposal(run).values())
    assert mentees[scene.m("p1")] >= 1
    assert mentees[scene.m("p2")] >= 1
    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == []


def _lonely_party_teacher(scene: Scene, conflicts: list[str]) -> Mentor:
    """A party teacher of PE for grade 1, whom no student's needs fit."""
    lonely = _mentor(
        scene.school_a,
        "lonely",
        MentorKind.PARTY_TEACHER,
        gender=Gender.MALE,
        subjects=[Subject.PE],
        grades=[1],
        capacity=1,
    )
    lonely.conflicts.add(*[scene.students[label] for label in conflicts])
    return lonely


def test_a_party_teacher_gets_a_mentee_even_when_others_fit_better(scene, run_match):
    # Only the two girls under 12 may take him; every pair with him costs more.
    lonely = _lonely_party_teacher(scene, ["s2", "s3", "older", "unmatchable"])

    run = run_match(by=scene.admin, term=scene.term)

    mentees = Counter(proposal(run).values())
    assert mentees[lonely.pk] == 1
    assert mentees[scene.m("p1")] >= 1
    assert mentees[scene.m("p2")] >= 1
    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == []
    assert_hard_rules_hold(scene.term)


def test_a_party_teacher_no_student_may_take_is_listed_below_minimum_with_why(scene, run_match):
    lonely = _lonely_party_teacher(scene, ["s1", "s2", "s3", "older", "conflicted", "unmatchable"])

    run = run_match(by=scene.admin, term=scene.term)

    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == [
        {
            "mentor": lonely.pk,
            "assigned": 0,
            "minimum": 1,
            "reason": "not_enough_eligible_students",
        }
    ]
    # The rest of the proposal is the optimum as before.
    assert scene.labels(proposal(run)) == ACADEMIC_OPTIMUM


def test_reasons_name_matched_subjects_grade_fit_and_continuity(scene, run_match):
    # The pairing's reason is written in the language active when the run executes.
    with translation.override("en"):
        run = run_match(by=scene.admin, term=scene.term)

    with_continuity = reasons_of(run, scene.s("s3"))
    assert with_continuity.reasons == {
        "subjects_matched": ["math"],
        "grade_fit": True,
        "continuity": True,
    }
    # English is missed (30), continuity saves 20.
    assert with_continuity.cost == 10
    assert with_continuity.by_hand is False
    plain = reasons_of(run, scene.s("s1"))
    assert plain.reasons == {"subjects_matched": ["math"], "grade_fit": True}
    assert plain.cost == 0
    poor_fit = reasons_of(run, scene.s("older"))
    assert poor_fit.reasons == {"subjects_matched": [], "grade_fit": False}
    assert poor_fit.cost == 40
    assert poor_fit.pairing.reason == f"Proposed by match run #{run.pk}."
    assert scene.term.start_date <= poor_fit.pairing.started_on <= scene.term.end_date


def test_continuity_comes_only_from_the_previous_term_of_the_same_district(scene, run_match):
    # A pairing in another district's term of the same dates gives no continuity.
    elsewhere = TermFactory(
        code="2026-spring",
        start_date=scene.previous_term.start_date,
        end_date=scene.previous_term.end_date,
    )
    PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["vetted"],
        term=elsewhere,
        kind=ACADEMIC,
        status=PairingStatus.ENDED,
        started_on=datetime.date(2026, 3, 2),
        ended_on=datetime.date(2026, 7, 10),
    )

    run = run_match(by=scene.admin, term=scene.term)

    previous = {s["id"]: s["previous_mentor"] for s in run.inputs["students"][ACADEMIC]}
    assert previous[scene.s("s3")] == scene.m("vetted")
    assert previous[scene.s("s1")] is None
    assert "continuity" not in reasons_of(run, scene.s("s1")).reasons


def test_unmatched_students_are_listed_with_the_reason_in_the_summary(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    academic = run.summary["kinds"][ACADEMIC]
    assert run.summary["term"] == "2026-autumn"
    assert academic["students"] == 6
    assert academic["mentors"] == 6
    assert academic["proposed"] == 5
    assert academic["kept"] == 0
    assert academic["unmatched"] == 1
    assert academic["unmatched_by_reason"] == {"safeguarding_gender": 1}
    assert academic["unmatched_students"] == [
        {"student": scene.s("unmatchable"), "reason": "safeguarding_gender"}
    ]
    assert academic["parts"] == 1


def test_when_capacity_runs_short_the_neediest_student_is_served(scene, run_match):
    # Only p1 may tutor these two girls (every other mentor of school A is away).
    Mentor.objects.exclude(pk=scene.m("p1")).update(active=False)
    Mentor.objects.filter(pk=scene.m("p1")).update(capacity=1)
    scene.mentors["p1"].conflicts.clear()
    Student.objects.filter(
        pk__in=[scene.s(k) for k in ("s2", "s3", "older", "unmatchable")]
    ).update(gender=Gender.FEMALE)
    needy = scene.students["conflicted"]
    AssessmentFactory(
        student=needy, term=scene.term, status=AssessmentStatus.APPROVED, tier="special_hardship"
    )

    run = run_match(by=scene.admin, term=scene.term)

    assert proposal(run) == {(needy.pk, ACADEMIC): scene.m("p1")}
    academic = run.summary["kinds"][ACADEMIC]
    assert academic["unmatched"] == 5
    assert academic["unmatched_by_reason"] == {"capacity_short": 5}


def test_only_schools_of_the_run_are_matched(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert scene.s("b_student") not in {s for s, _kind in proposal(run)}
    assert scene.m("b_teacher") not in proposal(run).values()
    assert scene.m("b_teacher") not in {m["id"] for m in run.inputs["mentors"]}
    assert list(run.schools.all()) == [scene.school_a]


def test_care_run_pairs_students_with_an_approved_tier_and_meets_leaders_minimum(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term, kinds=[CARE])

    care = {s["id"]: s["need_rank"] for s in run.inputs["students"][CARE]}
    assert care == {scene.s("c_special"): 0, scene.s("c_general"): 2}
    assert set(run.inputs["students"]) == {CARE}
    pairs = proposal(run)
    assert {s for s, _kind in pairs} == {scene.s("c_special"), scene.s("c_general")}
    assert Counter(pairs.values())[scene.m("leader")] >= 1
    assert run.summary["kinds"][CARE]["mentors_below_minimum"] == []
    assert set(Pairing.objects.filter(term=scene.term).values_list("kind", flat=True)) == {CARE}
    assert_hard_rules_hold(scene.term)


def test_one_run_for_both_kinds_shares_each_mentors_capacity(clock, run_match, db):
    school = SchoolFactory()
    term = TermFactory(district=school.district)
    admin = member(Role.ADMINISTRATOR, school)
    only = _mentor(
        school,
        "only",
        MentorKind.TEACHER,
        gender=Gender.FEMALE,
        subjects=[Subject.MATH],
        grades=[3],
        capacity=1,
    )
    born = datetime.date(2017, 5, 1)
    struggling = _student(
        school, term, "struggling", gender=Gender.FEMALE, birth=born, weak=["math"]
    )
    poor = _student(school, term, "poor", gender=Gender.FEMALE, birth=born, struggling=False)
    AssessmentFactory(student=poor, term=term, status=AssessmentStatus.APPROVED, tier="hardship")

    run = run_match(by=admin, term=term, kinds=[ACADEMIC, CARE])

    # One place, two kinds: academic is solved first and takes it; the care
    # student is reported as left for lack of places.
    assert Pairing.objects.filter(mentor=only, status=PairingStatus.PROPOSED).count() == 1
    assert proposal(run) == {(struggling.pk, ACADEMIC): only.pk}
    care = run.summary["kinds"][CARE]
    assert care["proposed"] == 0
    assert care["unmatched_students"] == [{"student": poor.pk, "reason": "capacity_short"}]
    assert_hard_rules_hold(term)
    # Each kind of the stored run reproduces on its own, places taken included.
    result, _reasons, _why = solve_inputs(
        run.inputs, weights=run.weights, rules=run.rules, kind=CARE
    )
    assert result.pairs == []


# Running again


def test_running_again_for_the_term_gives_the_same_proposal_without_duplicates(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    first_pairs = proposal(first)

    second = run_match(by=scene.admin, term=scene.term)

    assert proposal(second) == first_pairs
    # The first run's proposal was replaced, not piled up.
    assert proposal(first) == {}
    assert Pairing.objects.filter(term=scene.term).count() == len(first_pairs)
    assert ProposedPair.objects.count() == len(first_pairs)
    assert second.summary["kinds"] == first.summary["kinds"]
    # Each replaced proposal leaves its deletion in the pairing's history.
    assert Pairing.history.filter(history_type="-").count() == len(first_pairs)


def test_executing_the_same_run_twice_writes_the_same_proposal_once(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    before = proposal(run)
    progress = []

    summary = match_run_execute(run, progress.append)

    assert proposal(run) == before
    assert summary == run.summary
    assert Pairing.objects.filter(term=scene.term).count() == len(before)
    assert progress[-1] == 100
    assert progress == sorted(progress)


def test_active_pairings_are_kept_as_they_are_and_counted_as_kept(scene, run_match):
    active = PairingFactory(
        student=scene.students["s2"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        kind=ACADEMIC,
        started_on=datetime.date(2026, 9, 7),
    )

    run = run_match(by=scene.admin, term=scene.term)

    active.refresh_from_db()
    assert (active.status, active.mentor_id, active.started_on) == (
        PairingStatus.ACTIVE,
        scene.m("t1"),
        datetime.date(2026, 9, 7),
    )
    assert (scene.s("s2"), ACADEMIC) not in proposal(run)
    assert Pairing.objects.filter(student=scene.students["s2"], term=scene.term).count() == 1
    assert run.summary["kinds"][ACADEMIC]["kept"] == 1
    assert run.summary["kinds"][ACADEMIC]["proposed"] == 4
    # t1's one place is taken by the kept pairing.
    assert scene.m("t1") not in proposal(run).values()
    assert_hard_rules_hold(scene.term)


def test_after_approval_a_new_run_keeps_every_approved_pairing(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    match_run_approve(run=first, by=scene.admin)
    active_before = set(
        Pairing.objects.filter(term=scene.term).values_list("pk", "status", "mentor_id")
    )

    second = run_match(by=scene.admin, term=scene.term)

    assert proposal(second) == {}
    assert second.summary["kinds"][ACADEMIC]["kept"] == 5
    assert second.summary["kinds"][ACADEMIC]["proposed"] == 0
    assert (
        set(Pairing.objects.filter(term=scene.term).values_list("pk", "status", "mentor_id"))
        == active_before
    )


def test_an_active_pairing_the_run_would_no_longer_make_is_kept_and_the_run_succeeds(
    scene, run_match
):
    # s1 is no longer recorded as struggling, and the leader who sponsors
    # c_pending has left; both pairings still stand.
    tutored = PairingFactory(
        student=scene.students["s1"], mentor=scene.mentors["t1"], term=scene.term
    )
    scene.students["s1"].records.update(struggling=False)
    sponsored = PairingFactory(
        student=scene.students["c_pending"],
        mentor=scene.mentors["leader"],
        term=scene.term,
        kind=CARE,
    )
    Mentor.objects.filter(pk=scene.m("leader")).update(active=False)

    run = run_match(by=scene.admin, term=scene.term, kinds=[ACADEMIC, CARE])

    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.status == MatchRunStatus.PROPOSED
    for pairing in (tutored, sponsored):
        pairing.refresh_from_db()
        assert pairing.status == PairingStatus.ACTIVE
    # t1's only place stays taken.
    assert scene.m("t1") not in proposal(run).values()
    assert_hard_rules_hold(scene.term)


def test_a_student_whose_mentor_has_left_keeps_the_active_pairing(scene, run_match):
    gone = _mentor(
        scene.school_a, "gone", MentorKind.TEACHER, gender=Gender.MALE, subjects=[], grades=[]
    )
    standing = PairingFactory(student=scene.students["s2"], mentor=gone, term=scene.term)
    Mentor.objects.filter(pk=gone.pk).update(active=False)

    run = run_match(by=scene.admin, term=scene.term)

    assert run.status == MatchRunStatus.PROPOSED
    assert (scene.s("s2"), ACADEMIC) not in proposal(run)
    standing.refresh_from_db()
    assert (standing.status, standing.mentor_id) == (PairingStatus.ACTIVE, gone.pk)


def test_a_mentor_over_capacity_keeps_every_standing_pairing_and_gets_no_more(scene, run_match):
    # t1 (capacity 1) was given two mentees before the capacity was lowered.
    standing = [
        PairingFactory(student=scene.students[label], mentor=scene.mentors["t1"], term=scene.term)
        for label in ("s1", "s3")
    ]

    run = run_match(by=scene.admin, term=scene.term)

    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.summary["kinds"][ACADEMIC]["kept"] == 2
    assert scene.m("t1") not in proposal(run).values()
    for pairing in standing:
        pairing.refresh_from_db()
        assert pairing.status == PairingStatus.ACTIVE


def test_inputs_are_read_in_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    run = MatchRun.objects.create(term=scene.term, kinds=[ACADEMIC, CARE], created_by=scene.admin)
    run.schools.set([scene.school_a])
    with django_assert_max_num_queries(10):
        small = load_inputs(run)
    for n in range(45):
        student = _student(
            scene.school_a,
            scene.term,
            f"extra{n}",
            gender=Gender.MALE,
            birth=TODAY.replace(year=2017),
        )
        AssessmentFactory(
            student=student, term=scene.term, status=AssessmentStatus.APPROVED, tier="hardship"
        )
        mentor = _mentor(scene.school_a, f"extra{n}", MentorKind.TEACHER, gender=Gender.MALE)
        mentor.conflicts.add(student)
        PairingFactory(student=student, mentor=mentor, term=scene.previous_term)
    with django_assert_max_num_queries(10):
        large = load_inputs(run)

    assert len(large["students"][ACADEMIC]) == len(small["students"][ACADEMIC]) + 45
    assert len(large["students"][CARE]) == len(small["students"][CARE]) + 45
    assert len(large["mentors"]) == len(small["mentors"]) + 45


# Validation: nothing is written


@pytest.mark.parametrize(
    "weights",
    [
        {"kindness": 5},
        {"subject_miss": -1},
        {"grade_miss": True},
        {"continuity": 2.5},
        {"continuity": "20"},
        {"load_step": 100_001},
        {"unmatched": []},
        {"unmatched": 400},
        {"unmatched": [400, -1]},
        {"unmatched": [400, False]},
        {"max_candidates": 0},
    ],
)
def test_bad_weights_are_refused_naming_weights_and_nothing_is_written(scene, run_match, weights):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, weights=weights)

    assert refused.value.field == "weights"
    assert refused.value.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize(
    "rules",
    [
        {"same_gender_for_all": True},
        {"same_gender_from_age": 21},
        {"same_gender_from_age": -1},
        {"same_gender_from_age": "12"},
        {"same_gender_from_age": True},
        {"same_gender_from_age": 12.5},
    ],
)
def test_bad_rules_are_refused_naming_rules_and_nothing_is_written(scene, run_match, rules):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, rules=rules)

    assert refused.value.field == "rules"
    assert refused.value.status_code == 400
    assert row_counts() == before


def test_a_term_of_another_district_is_unknown_and_nothing_is_written(scene, run_match):
    other = TermFactory()
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=other)

    assert refused.value.field == "term"
    assert refused.value.status_code == 400
    assert row_counts() == before


@pytest.mark.parametrize("which", ["school_b", "missing"])
def test_schools_the_starter_does_not_administer_are_refused(scene, run_match, which):
    school_id = scene.school_b.pk if which == "school_b" else 999_999
    before = row_counts()

    with pytest.raises(NotPermitted) as refused:
        run_match(by=scene.admin, term=scene.term, school_ids=[scene.school_a.pk, school_id])

    assert refused.value.field == "schools"
    assert row_counts() == before


@pytest.mark.parametrize("kinds", [[], ["tutoring"], [ACADEMIC, "sponsorship"]])
def test_unknown_kinds_are_refused(scene, run_match, kinds):
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        run_match(by=scene.admin, term=scene.term, kinds=kinds)

    assert refused.value.field == "kinds"
    assert row_counts() == before


# Reproducing a run


def test_inputs_weights_and_rules_are_stored_and_reproduce_the_proposal(scene, run_match):
    run = run_match(
        by=scene.admin,
        term=scene.term,
        kinds=[CARE, ACADEMIC],
        weights={"subject_miss": 50, "unmatched": [500, 300, 100]},
        rules={"same_gender_from_age": 11},
    )

    assert run.kinds == [ACADEMIC, CARE]
    assert run.weights == {
        **dataclasses.asdict(Weights()),
        "subject_miss": 50,
        "unmatched": [500, 300, 100],
    }
    assert run.rules == {"same_gender_from_age": 11}
    assert run.inputs["term"] == "2026-autumn"
    assert run.inputs["vetted_on"] == TODAY.isoformat()
    assert {m["id"] for m in run.inputs["mentors"]} == {
        scene.m(k) for k in ("p1", "p2", "t1", "vetted", "unvetted", "leader")
    }
    reproduced = {}
    for kind in run.kinds:
        result, _reasons, _why = solve_inputs(
            run.inputs, weights=run.weights, rules=run.rules, kind=kind
        )
        reproduced.update({(p.student, kind): p.mentor for p in result.pairs if not p.locked})
    assert reproduced == proposal(run)
    assert reproduced


def test_default_rules_apply_same_gender_from_age_12(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert run.rules == {"same_gender_from_age": 12}
    assert run.weights == dataclasses.asdict(Weights()) | {"unmatched": [400, 300, 200]}


def test_switching_the_safeguarding_rule_off_lets_the_older_boy_be_matched(scene, run_match):
    # The district's standing policy switches it off; a run cannot (below).
    District.objects.filter(pk=scene.term.district_id).update(same_gender_from_age=None)
    run = run_match(by=scene.admin, term=scene.term, rules={"same_gender_from_age": None})

    assert (scene.s("unmatchable"), ACADEMIC) in proposal(run)
    assert run.summary["kinds"][ACADEMIC]["unmatched"] == 0


# Approval


def test_approval_makes_the_proposal_active_within_the_term(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    pairs = proposal(run)

    approved = match_run_approve(run=run, by=scene.admin)

    assert approved.status == MatchRunStatus.APPROVED
    assert approved.approved_by == scene.admin
    assert approved.approved_at == NOW
    active = Pairing.objects.filter(term=scene.term, status=PairingStatus.ACTIVE)
    assert {(p.student_id, p.kind): p.mentor_id for p in active} == pairs
    for pairing in active:
        assert pairing.started_on == TODAY
        assert scene.term.start_date <= pairing.started_on <= scene.term.end_date
    assert not Pairing.objects.filter(status=PairingStatus.PROPOSED).exists()


def test_approval_ends_the_active_pairing_it_replaces_with_the_reason(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    # Paired by hand while the proposal was under review.
    meanwhile = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        kind=ACADEMIC,
        started_on=datetime.date(2026, 9, 7),
    )
    other_kind = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["leader"],
        term=scene.term,
        kind=CARE,
        started_on=datetime.date(2026, 9, 7),
    )

    with translation.override("en"):
        match_run_approve(run=run, by=scene.admin)

    meanwhile.refresh_from_db()
    assert meanwhile.status == PairingStatus.ENDED
    assert meanwhile.ended_on == TODAY
    assert meanwhile.end_reason == f"Replaced by match run #{run.pk}."
    other_kind.refresh_from_db()
    assert other_kind.status == PairingStatus.ACTIVE
    assert (
        Pairing.objects.get(
            student=scene.students["s1"], kind=ACADEMIC, status=PairingStatus.ACTIVE
        ).mentor
        == scene.mentors["p1"]
    )


def test_approving_twice_changes_nothing(scene, run_match, clock):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_approve(run=run, by=scene.admin)
    before = list(Pairing.objects.order_by("pk").values())
    history = Pairing.history.count()
    clock.return_value = NOW + datetime.timedelta(days=3)
    other_admin = member(Role.ADMINISTRATOR, scene.school_a)

    again = match_run_approve(run=run, by=other_admin)

    assert again.status == MatchRunStatus.APPROVED
    assert again.approved_by == scene.admin
    assert again.approved_at == NOW
    assert list(Pairing.objects.order_by("pk").values()) == before
    assert Pairing.history.count() == history


def test_an_approved_run_can_no_longer_be_edited_or_rerun(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))
    match_run_approve(run=run, by=scene.admin)
    before = row_counts()

    with pytest.raises(Conflict):
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("unvetted"),
            kind=ACADEMIC,
        )
    with pytest.raises(Conflict):
        match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("t1"))
    with pytest.raises(Conflict):
        match_run_pair_remove(run=run, by=scene.admin, proposal=s1)
    with pytest.raises(Conflict):
        match_run_execute(run, lambda value: None)

    assert row_counts() == before
    assert Pairing.objects.get(pk=s1.pairing_id).status == PairingStatus.ACTIVE


def test_a_failed_or_pending_run_cannot_be_approved(scene):
    run = MatchRun.objects.create(term=scene.term, kinds=[ACADEMIC], created_by=scene.admin)

    with pytest.raises(Conflict) as refused:
        match_run_approve(run=run, by=scene.admin)

    assert refused.value.status_code == 409
    assert refused.value.extra == {"status": MatchRunStatus.PENDING}


# Editing by hand


def test_remove_deletes_the_proposed_pairing(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))

    match_run_pair_remove(run=run, by=scene.admin, proposal=s1)

    assert not Pairing.objects.filter(pk=s1.pairing_id).exists()
    assert not ProposedPair.objects.filter(pk=s1.pk).exists()
    assert len(proposal(run)) == 4


def test_add_a_pair_that_keeps_the_rules(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_pair_remove(run=run, by=scene.admin, proposal=reasons_of(run, scene.s("s1")))

    added = match_run_pair_add(
        run=run, by=scene.admin, student_id=scene.s("s1"), mentor_id=scene.m("t1"), kind=ACADEMIC
    )

    assert added.by_hand is True
    assert added.pairing.status == PairingStatus.PROPOSED
    assert added.pairing.created_by == scene.admin
    assert proposal(run)[(scene.s("s1"), ACADEMIC)] == scene.m("t1")


@pytest.mark.parametrize(
    ("student", "mentor", "rule"),
    [
        ("unmatchable", "p2", "conflict"),
        ("unmatchable", "unvetted", "volunteer_not_vetted"),
        ("unmatchable", "t1", "safeguarding_gender"),
        ("unmatchable", "leader", "mentor_kind"),
    ],
)
def test_adding_a_pair_that_breaks_a_rule_is_refused_naming_mentor(
    scene, run_match, student, mentor, rule
):
    run = run_match(by=scene.admin, term=scene.term)
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s(student),
            mentor_id=scene.m(mentor),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert refused.value.extra["rule"] == rule
    assert row_counts() == before


def test_adding_a_pair_with_a_mentor_of_another_school_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("b_teacher"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert row_counts() == before


def test_a_run_of_two_schools_refuses_a_teacher_of_the_other_school(scene, run_match):
    district_admin = member(Role.ADMINISTRATOR, scene.school_a, scene.school_b)
    run = run_match(by=district_admin, term=scene.term)
    assert {s.pk for s in run.schools.all()} == {scene.school_a.pk, scene.school_b.pk}
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=district_admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("b_teacher"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert refused.value.extra["rule"] == "other_school"
    assert row_counts() == before


def test_adding_a_pair_to_a_full_mentor_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_pair_remove(run=run, by=scene.admin, proposal=reasons_of(run, scene.s("s1")))
    before = row_counts()

    # p2 already has s2 and older, its capacity of 2.
    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("s1"),
            mentor_id=scene.m("p2"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert row_counts() == before


def test_adding_a_second_pair_for_a_student_or_an_unmatched_student_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    with pytest.raises(DomainError) as twice:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("s1"),
            mentor_id=scene.m("t1"),
            kind=ACADEMIC,
        )
    with pytest.raises(DomainError) as not_in_run:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("c_special"),
            mentor_id=scene.m("t1"),
            kind=ACADEMIC,
        )
    with pytest.raises(DomainError) as other_kind:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("c_special"),
            mentor_id=scene.m("t1"),
            kind=CARE,
        )

    assert twice.value.field == "student"
    assert not_in_run.value.field == "student"
    assert other_kind.value.field == "kind"


def test_changing_the_mentor_is_checked_again(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))

    changed = match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("t1"))

    assert changed.by_hand is True
    assert changed.reasons["changed_by"] == "admin.a"
    assert proposal(run)[(scene.s("s1"), ACADEMIC)] == scene.m("t1")
    assert Pairing.objects.get(pk=s1.pairing_id).mentor_id == scene.m("t1")


@pytest.mark.parametrize(
    ("student", "mentor"),
    [
        ("s1", "p2"),  # full
        ("s2", "unvetted"),  # not vetted
        ("conflicted", "p1"),  # conflict
        ("older", "vetted"),  # safeguarding
        ("s1", "b_teacher"),  # another school
    ],
)
def test_changing_to_a_mentor_that_breaks_a_rule_is_refused(scene, run_match, student, mentor):
    run = run_match(by=scene.admin, term=scene.term)
    chosen = reasons_of(run, scene.s(student))
    before = proposal(run)

    with pytest.raises(DomainError) as refused:
        match_run_pair_change(run=run, by=scene.admin, proposal=chosen, mentor_id=scene.m(mentor))

    assert refused.value.field == "mentor"
    assert proposal(run) == before
    chosen.refresh_from_db()
    assert chosen.by_hand is False


def test_keeping_the_same_mentor_does_not_count_its_own_place(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s2 = reasons_of(run, scene.s("s2"))

    # p2 is full with s2 and older; s2's own place is not counted twice.
    match_run_pair_change(run=run, by=scene.admin, proposal=s2, mentor_id=scene.m("p2"))

    assert proposal(run)[(scene.s("s2"), ACADEMIC)] == scene.m("p2")


def test_swapping_two_mentors_by_hand(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))
    conflicted = reasons_of(run, scene.s("conflicted"))

    # s1 moves from p1 to the volunteer, who then has three; the conflicted
    # girl may not take p1, so she moves to t1 instead.
    match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("vetted"))
    match_run_pair_change(run=run, by=scene.admin, proposal=conflicted, mentor_id=scene.m("t1"))

    labels = scene.labels(proposal(run))
    assert labels["s1"] == "vetted"
    assert labels["conflicted"] == "t1"
    assert_hard_rules_hold(scene.term)


def test_superuser_starts_a_run_for_every_school_of_the_district(scene, run_match):
    root = UserFactory(username="platform.root", is_superuser=True)

    run = run_match(by=root, term=scene.term)

    assert {s.pk for s in run.schools.all()} == {scene.school_a.pk, scene.school_b.pk}
    assert (scene.s("b_student"), ACADEMIC) in proposal(run)
    run.job.refresh_from_db()
    assert run.job.school is None
    assert run.job.status == JobStatus.SUCCEEDED


def test_a_later_run_replaces_an_earlier_proposal_which_can_no_longer_be_approved(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    second = run_match(by=scene.admin, term=scene.term)
    first.refresh_from_db()
    assert (first.status, second.status) == (MatchRunStatus.REPLACED, MatchRunStatus.PROPOSED)
    with pytest.raises(Conflict):
        match_run_approve(run=first, by=scene.admin)
    assert not Pairing.objects.filter(status=PairingStatus.ACTIVE).exists()


def test_approval_is_in_the_history_with_the_approver(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    approver = member(Role.ADMINISTRATOR, scene.school_a)
    match_run_approve(run=run, by=approver)

    activated = Pairing.objects.filter(proposal__run=run)
    assert activated.count() == len(ACADEMIC_OPTIMUM)
    for pairing in activated:
        latest = pairing.history.order_by("-history_id").first()
        assert (latest.status, latest.history_type) == (PairingStatus.ACTIVE, "~")
        assert latest.history_user == approver
        first = pairing.history.order_by("history_id").first()
        assert (first.status, first.history_type) == (PairingStatus.PROPOSED, "+")
