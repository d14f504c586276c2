"""Hard rules and soft costs of the candidate pairs; no database."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from mentoring.matching import MatchInput, MentorSlot, StudentNeed, solve
from mentoring.matching.candidates import (
    ACADEMIC,
    CARE,
    MentorInfo,
    Rules,
    StudentInfo,
    Weights,
    build,
    exclusion,
    pair_cost,
    reasons,
    reasons_for_pairs,
)
from mentoring.matching.solver import Candidate

RULES = Rules(same_gender_from_age=12, vetted_on=date(2026, 9, 1))


def student(**kw):
    values = dict(id=1, school=1, grade=4, gender="female", age=10, weak_subjects=("math",))
    values.update(kw)
    return StudentInfo(**values)


def mentor(**kw):
    values = dict(
        id=10,
        kind="party_teacher",
        schools=(1,),
        gender="female",
        capacity=2,
        minimum=1,
        subjects=("math",),
        grades=(4,),
    )
    values.update(kw)
    return MentorInfo(**values)


def test_hard_rules():
    assert exclusion(student(), mentor(), ACADEMIC, RULES) is None
    assert exclusion(student(), mentor(schools=(2,)), ACADEMIC, RULES) == "other_school"
    assert exclusion(student(), mentor(kind="leader"), ACADEMIC, RULES) == "mentor_kind"
    assert exclusion(student(), mentor(kind="leader"), CARE, RULES) is None
    assert exclusion(student(), mentor(conflicts=frozenset({1})), ACADEMIC, RULES) == "conflict"
    assert exclusion(student(), mentor(kind="volunteer"), ACADEMIC, RULES) == (
        "volunteer_not_vetted"
    )
    expired = mentor(kind="volunteer", vetted_until=date(2026, 8, 31))
    assert exclusion(student(), expired, ACADEMIC, RULES) == "volunteer_not_vetted"
    vetted = mentor(kind="volunteer", vetted_until=date(2027, 8, 31))
    assert exclusion(student(), vetted, ACADEMIC, RULES) is None
    older_boy = student(gender="male", age=13)
    assert exclusion(older_boy, mentor(), ACADEMIC, RULES) == "safeguarding_gender"
    assert exclusion(student(gender="male", age=11), mentor(), ACADEMIC, RULES) is None
    assert exclusion(older_boy, mentor(), ACADEMIC, Rules(same_gender_from_age=None)) is None


def test_costs_and_reasons():
    weights = Weights()
    result = build(
        [student(weak_subjects=("math", "english"), previous_mentor=11)],
        [mentor(), mentor(id=11, subjects=("chinese",), grades=(5,))],
        kind=ACADEMIC,
        rules=RULES,
        weights=weights,
    )
    by_mentor = {c.mentor: c for c in result.candidates}
    assert by_mentor[10].cost == weights.subject_miss
    assert by_mentor[10].reasons == {"subjects_matched": ["math"], "grade_fit": True}
    # Two misses and a grade miss, less continuity.
    assert by_mentor[11].cost == 2 * weights.subject_miss + weights.grade_miss - weights.continuity
    assert by_mentor[11].reasons["continuity"] is True
    assert result.minimums == {10: 1, 11: 1}


def test_students_without_candidates_say_why():
    result = build(
        [student(id=1), student(id=2, school=9)],
        [mentor(conflicts=frozenset({1}))],
        kind=ACADEMIC,
        rules=RULES,
        weights=Weights(),
    )
    assert result.no_candidate_reason == {1: "conflict", 2: "no_mentor_in_school"}


def test_needier_students_cost_more_to_leave_unmatched():
    result = build(
        [student(id=1, need_rank=0), student(id=2, need_rank=2), student(id=3)],
        [mentor(capacity=1, minimum=0)],
        kind=ACADEMIC,
        rules=RULES,
        weights=Weights(),
    )
    costs = result.unmatched_cost
    assert costs[1] > costs[2] > costs[3]
    solved = solve(
        MatchInput(
            [StudentNeed(s, c) for s, c in sorted(costs.items())],
            [MentorSlot(10, 1)],
            [Candidate(c.student, c.mentor, c.cost) for c in result.candidates],
        )
    )
    assert [p.student for p in solved.pairs] == [1]


def test_candidates_are_capped_per_student():
    mentors = [mentor(id=100 + i, minimum=0) for i in range(80)]
    result = build([student()], mentors, kind=ACADEMIC, rules=RULES, weights=Weights())
    assert len(result.candidates) == 50
    assert [c.mentor for c in result.candidates] == list(range(100, 150))


SUBJECTS = ["chinese", "math", "english", "physics"]


@st.composite
def populations(draw):
    n_students, n_mentors = draw(st.integers(1, 8)), draw(st.integers(0, 6))
    students = [
        StudentInfo(
            id=i,
            school=draw(st.integers(1, 2)),
            grade=draw(st.integers(1, 9)),
            gender=draw(st.sampled_from(["male", "female"])),
            age=draw(st.integers(5, 15)),
            weak_subjects=tuple(draw(st.lists(st.sampled_from(SUBJECTS), unique=True))),
            need_rank=draw(st.none() | st.integers(0, 4)),
            previous_mentor=draw(st.none() | st.integers(100, 100 + max(n_mentors - 1, 0))),
        )
        for i in range(n_students)
    ]
    mentors = [
        MentorInfo(
            id=100 + j,
            kind=draw(st.sampled_from(["party_teacher", "teacher", "leader", "volunteer"])),
            schools=tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=2, unique=True))),
            gender=draw(st.sampled_from(["male", "female"])),
            capacity=2,
            subjects=tuple(draw(st.lists(st.sampled_from(SUBJECTS), unique=True))),
            grades=tuple(draw(st.lists(st.integers(1, 9), unique=True, max_size=3))),
            vetted_until=draw(st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31))),
            conflicts=frozenset(draw(st.lists(st.integers(0, n_students - 1), max_size=2))),
        )
        for j in range(n_mentors)
    ]
    return students, mentors


@settings(max_examples=300, deadline=None)
@given(populations(), st.sampled_from([ACADEMIC, CARE]), st.none() | st.integers(8, 14))
def test_array_builder_agrees_with_the_one_pair_reference(population, kind, age):
    students, mentors = population
    rules = Rules(same_gender_from_age=age, vetted_on=date(2026, 9, 1))
    weights = Weights(max_candidates=100)
    result = build(students, mentors, kind=kind, rules=rules, weights=weights)
    expected = {
        (s.id, m.id): pair_cost(s, m, kind, weights)
        for s in students
        for m in mentors
        if exclusion(s, m, kind, rules) is None
    }
    assert {(c.student, c.mentor): c.cost for c in result.candidates} == expected
    with_candidates = {s for s, _m in expected}
    assert set(result.no_candidate_reason) == {s.id for s in students} - with_candidates


@settings(max_examples=200, deadline=None)
@given(populations(), st.sampled_from([ACADEMIC, CARE]))
def test_reasons_for_many_pairs_agree_with_the_one_pair_reasons(population, kind):
    students, mentors = population
    pairs = [(s, m) for s in students for m in mentors]
    assert reasons_for_pairs(pairs, kind) == [reasons(s, m, kind) for s, m in pairs]
