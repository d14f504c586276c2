"""The pure matching solver, against independent methods: brute force and SciPy's LP."""

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from mentoring.matching import Candidate, MatchInput, MentorSlot, StudentNeed, solve
from mentoring.matching.solver import (
    CAPACITY_SHORT,
    FEW_CANDIDATES,
    NO_CANDIDATE,
    UNMATCHED,
    Arrays,
    InvalidInput,
    _load_cost,
    solve_arrays,
)


@st.composite
def instances(draw, max_students=5, max_mentors=3, locked=True):
    n_students = draw(st.integers(1, max_students))
    n_mentors = draw(st.integers(1, max_mentors))
    students = [StudentNeed(i, draw(st.integers(0, 60))) for i in range(n_students)]
    mentors = []
    for j in range(n_mentors):
        capacity = draw(st.integers(0, 3))
        mentors.append(MentorSlot(100 + j, capacity, draw(st.integers(0, capacity))))
    candidates = [
        Candidate(s.id, m.id, draw(st.integers(0, 40)))
        for s in students
        for m in mentors
        if draw(st.booleans())
    ]
    locks = []
    if locked and candidates and draw(st.booleans()):
        c = draw(st.sampled_from(candidates))
        if next(m for m in mentors if m.id == c.mentor).capacity > 0:
            locks = [(c.student, c.mentor)]
    return MatchInput(students, mentors, candidates, locks, load_step=draw(st.integers(0, 5)))


def evaluate(data: MatchInput, assignment: dict[int, int | None]):
    """(minimum places filled, cost) of a full assignment, or None if it breaks a rule."""
    load = Counter(m for m in assignment.values() if m is not None)
    mentors = {m.id: m for m in data.mentors}
    if any(load[m] > mentors[m].capacity for m in load):
        return None
    costs = {(c.student, c.mentor): c.cost for c in data.candidates}
    cost = 0
    for s in data.students:
        m = assignment[s.id]
        cost += s.unmatched_cost if m is None else costs[(s.id, m)]
    cost += sum(_load_cost(load[m], data.load_step) for m in load)
    filled = sum(min(load[m.id], m.minimum) for m in data.mentors)
    return filled, cost


def brute_force(data: MatchInput):
    options = []
    locked = dict(data.locked)
    for s in data.students:
        if s.id in locked:
            options.append([locked[s.id]])
        else:
            options.append([None] + [c.mentor for c in data.candidates if c.student == s.id])
    best = None
    for choice in itertools.product(*options):
        value = evaluate(data, dict(zip([s.id for s in data.students], choice, strict=True)))
        if value is not None and (best is None or (-value[0], value[1]) < (-best[0], best[1])):
            best = value
    return best


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_equals_brute_force_and_keeps_every_rule(data):
    result = solve(data)
    assignment = {s.id: None for s in data.students}
    for p in result.pairs:
        assert assignment[p.student] is None, "a student is paired twice"
        assignment[p.student] = p.mentor
    allowed = {(c.student, c.mentor) for c in data.candidates}
    for p in result.pairs:
        assert (p.student, p.mentor) in allowed or p.locked
    for s, m in data.locked:
        assert assignment[s] == m
    value = evaluate(data, assignment)
    assert value is not None, "capacity exceeded"
    assert value == brute_force(data)
    assert result.objective == value[1]
    unmatched = {u.student for u in result.unmatched}
    assert unmatched == {s for s, m in assignment.items() if m is None}


def linear_programme(data: MatchInput):
    """The same lexicographic objective solved as an LP with SciPy (HiGHS)."""
    students = data.students
    mentors = data.mentors
    big = (
        sum(s.unmatched_cost for s in students)
        + sum(c.cost for c in data.candidates)
        + sum(_load_cost(m.capacity, data.load_step) for m in mentors)
        + 1
    )
    # Variables: one per candidate, one per student (unmatched), one per mentor place.
    costs, bounds = [], []
    for c in data.candidates:
        costs.append(c.cost)
    for s in students:
        costs.append(s.unmatched_cost)
    places = [(m, k) for m in mentors for k in range(1, m.capacity + 1)]
    for m, k in places:
        costs.append(data.load_step * (k - 1) - (big if k <= m.minimum else 0))
    n = len(costs)
    bounds = [(0, 1)] * n
    a_eq, b_eq = [], []
    for i, s in enumerate(students):  # each student once: matched or not
        row = np.zeros(n)
        for v, c in enumerate(data.candidates):
            if c.student == s.id:
                row[v] = 1
        row[len(data.candidates) + i] = 1
        a_eq.append(row)
        b_eq.append(1)
    for m in mentors:  # a mentor's mentees fill its places
        row = np.zeros(n)
        for v, c in enumerate(data.candidates):
            if c.mentor == m.id:
                row[v] = 1
        for p, (pm, _k) in enumerate(places):
            if pm.id == m.id:
                row[len(data.candidates) + len(students) + p] = -1
        a_eq.append(row)
        b_eq.append(0)
    result = linprog(costs, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
    assert result.status == 0
    value = round(result.fun)
    filled = -(value // big)
    return filled, value + big * filled


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_students=25, max_mentors=8, locked=False))
def test_solver_equals_the_linear_programme_on_larger_instances(data):
    result = solve(data)
    assignment = {s.id: None for s in data.students}
    for p in result.pairs:
        assignment[p.student] = p.mentor
    assert evaluate(data, assignment) == linear_programme(data)


def test_same_input_gives_the_same_output():
    data = MatchInput(
        [StudentNeed(i, 50) for i in range(6)],
        [MentorSlot(10, 3), MentorSlot(11, 3)],
        [Candidate(i, m, 5) for i in range(6) for m in (10, 11)],
    )
    assert solve(data) == solve(data)
    assert [p.mentor for p in solve(data).pairs].count(10) == 3  # load spread evenly


def test_reasons_for_students_and_mentors_left_short():
    data = MatchInput(
        students=[StudentNeed(1, 100), StudentNeed(2, 100), StudentNeed(3, 100)],
        mentors=[MentorSlot(10, 1, 1), MentorSlot(11, 2, 2)],
        candidates=[Candidate(1, 10, 1), Candidate(2, 10, 1)],
    )
    result = solve(data)
    reasons = {u.student: u.reason for u in result.unmatched}
    # Students 1 and 2 tie for mentor 10's one place; either may get it.
    assert len(result.pairs) == 1 and result.pairs[0].mentor == 10
    loser = 3 - result.pairs[0].student
    assert reasons == {loser: CAPACITY_SHORT, 3: NO_CANDIDATE}
    assert [(m.mentor, m.assigned, m.minimum, m.reason) for m in result.short_mentors] == [
        (11, 0, 2, FEW_CANDIDATES)
    ]


def test_minimums_win_over_cheaper_pairs():
    # Student 1 is cheaper with mentor 10, but mentor 11 must have one mentee.
    data = MatchInput(
        students=[StudentNeed(1, 1000)],
        mentors=[MentorSlot(10, 1), MentorSlot(11, 1, 1)],
        candidates=[Candidate(1, 10, 0), Candidate(1, 11, 30)],
    )
    assert [(p.student, p.mentor) for p in solve(data).pairs] == [(1, 11)]


def test_independent_parts_are_solved_separately():
    data = MatchInput(
        students=[StudentNeed(1, 10), StudentNeed(2, 10)],
        mentors=[MentorSlot(10, 1), MentorSlot(20, 1)],
        candidates=[Candidate(1, 10, 1), Candidate(2, 20, 1)],
    )
    assert solve(data).parts == 2


@pytest.mark.parametrize(
    "data",
    [
        MatchInput([StudentNeed(1, 1)], [MentorSlot(10, 1)], [Candidate(1, 99, 1)]),
        MatchInput([StudentNeed(1, 1)], [MentorSlot(10, 1, 2)], []),
        MatchInput([StudentNeed(1, 1)], [MentorSlot(10, 1)], [Candidate(1, 10, -1)]),
        MatchInput(
            [StudentNeed(1, 1), StudentNeed(2, 1)],
            [MentorSlot(10, 1)],
            [Candidate(1, 10, 1), Candidate(2, 10, 1)],
            locked=[(1, 10), (2, 10)],
        ),
    ],
)
def test_invalid_input_is_refused(data):
    with pytest.raises(InvalidInput):
        solve(data)


def _arrays(data: MatchInput) -> Arrays:
    s_pos = {s.id: i for i, s in enumerate(data.students)}
    m_pos = {m.id: j for j, m in enumerate(data.mentors)}
    return Arrays(
        unmatched_cost=np.array([s.unmatched_cost for s in data.students], np.int64),
        capacity=np.array([m.capacity for m in data.mentors], np.int64),
        minimum=np.array([m.minimum for m in data.mentors], np.int64),
        cand_student=np.array([s_pos[c.student] for c in data.candidates], np.int64),
        cand_mentor=np.array([m_pos[c.mentor] for c in data.candidates], np.int64),
        cand_cost=np.array([c.cost for c in data.candidates], np.int64),
        locked_student=np.array([s_pos[s] for s, _m in data.locked], np.int64),
        locked_mentor=np.array([m_pos[m] for _s, m in data.locked], np.int64),
        load_step=data.load_step,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_students=8, max_mentors=4))
def test_each_new_pair_is_reported_once_as_its_part_is_solved(data):
    arrays = _arrays(data)
    reported = []

    def on_part(students, mentors, costs):
        reported.append(list(zip(students.tolist(), mentors.tolist(), costs.tolist(), strict=True)))

    result = solve_arrays(arrays, on_part=on_part)

    assert len(reported) == result.parts
    flat = [pair for part in reported for pair in part]
    new = [
        (i, int(result.mentor_of[i]), int(result.pair_cost[i]))
        for i in range(len(data.students))
        if result.mentor_of[i] != UNMATCHED and not result.locked[i]
    ]
    assert sorted(flat) == new
    assert solve_arrays(arrays).mentor_of.tolist() == result.mentor_of.tolist()
