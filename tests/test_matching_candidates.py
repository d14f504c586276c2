"""Hard rules and soft costs of the candidate pairs; no database."""

from datetime import date

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
