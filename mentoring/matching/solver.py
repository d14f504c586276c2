"""Optimal assignment of students to mentors as a min-cost flow (OR-Tools).

The network, per independent part (a connected component of the candidate
graph, usually one school):

    source ─1─▶ student ─1, cost c(s,m)─▶ mentor ─▶ sink
                  └──────1, cost U(s)──────────────▶ sink    (left unmatched)

A mentor's arcs to the sink are one per place, the k-th costing
`load_step * (k - 1)`: each extra mentee costs a little more than the last,
which spreads students across mentors (convex costs need no integer trick
in a flow). The first `minimum` places of a mentor carry a bonus `-BIG`,
larger than any difference in the rest of the objective, so the optimum
first fills as many minimum places as can be filled, and then minimises the
cost: minimums are met whenever any assignment meets them.

Locked pairs are taken out before solving and use up their mentor's places.
The same input in the same order gives the same output.

Two ways in: `solve_arrays` takes numpy arrays (the fast path, for a county
of 100,000 students), `solve` takes lists of small records and gives reasons.
"""

from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Why a student was left without a mentor.
NO_CANDIDATE = "no_eligible_mentor"
CAPACITY_SHORT = "capacity_short"
# Why a mentor has fewer mentees than its minimum.
FEW_CANDIDATES = "not_enough_eligible_students"
STUDENTS_NEEDED_ELSEWHERE = "students_needed_elsewhere"

UNMATCHED = -1


class InvalidInput(ValueError):
    pass


# The fast path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrays:
    """A matching problem as arrays; students and mentors are positions 0..n-1."""

    unmatched_cost: np.ndarray  # per student
    capacity: np.ndarray  # per mentor
    minimum: np.ndarray  # per mentor
    cand_student: np.ndarray  # per candidate pair
    cand_mentor: np.ndarray
    cand_cost: np.ndarray
    locked_student: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    locked_mentor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    load_step: int = 1


@dataclass(frozen=True)
class ArrayResult:
    mentor_of: np.ndarray  # per student: the mentor's position, or UNMATCHED
    pair_cost: np.ndarray  # per student: the cost of its pair (0 when unmatched)
    locked: np.ndarray  # per student: True when its pair was locked
    has_candidate: np.ndarray  # per student
    objective: int
    parts: int


def _check_arrays(a: Arrays) -> None:
    n_s, n_m = len(a.unmatched_cost), len(a.capacity)
    if len(a.minimum) != n_m:
        raise InvalidInput("one minimum per mentor")
    if not (len(a.cand_student) == len(a.cand_mentor) == len(a.cand_cost)):
        raise InvalidInput("candidate arrays differ in length")
    if len(a.cand_student) and (
        a.cand_student.min() < 0
        or a.cand_student.max() >= n_s
        or a.cand_mentor.min() < 0
        or a.cand_mentor.max() >= n_m
    ):
        raise InvalidInput("a candidate names an unknown student or mentor")
    if len(a.cand_cost) and a.cand_cost.min() < 0:
        raise InvalidInput("candidate costs must not be negative")
    if n_s and a.unmatched_cost.min() < 0:
        raise InvalidInput("unmatched costs must not be negative")
    if n_m and ((a.capacity < 0).any() or (a.minimum < 0).any() or (a.minimum > a.capacity).any()):
        raise InvalidInput("need 0 <= minimum <= capacity for every mentor")
    if len(a.cand_student):
        key = a.cand_student.astype(np.int64) * max(n_m, 1) + a.cand_mentor
        if _has_repeats(key):
            raise InvalidInput("a candidate pair is listed twice")
    if len(a.locked_student):
        if _has_repeats(a.locked_student):
            raise InvalidInput("a student is locked to two mentors")
        if (
            a.locked_student.min() < 0
            or a.locked_student.max() >= n_s
            or a.locked_mentor.min() < 0
            or a.locked_mentor.max() >= n_m
        ):
            raise InvalidInput("a locked pair names an unknown student or mentor")
        if (np.bincount(a.locked_mentor, minlength=n_m) > a.capacity).any():
            raise InvalidInput("locked pairs exceed a mentor's capacity")


def _has_repeats(values: np.ndarray) -> bool:
    ordered = np.sort(values)
    return bool((ordered[1:] == ordered[:-1]).any())


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: faster than np.unique's hashing here)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _load_cost(count, step: int):
    """Places 1..count cost 0, step, 2*step, ... (works on arrays too)."""
    return step * count * (count - 1) // 2


def solve_arrays(a: Arrays, on_part=None) -> ArrayResult:
    """The optimal assignment. `on_part`, if given, is called as each independent part is
    solved, with the part's new pairs as three arrays (student, mentor, cost), so that a
    caller can use them while the next parts are solved."""
    _check_arrays(a)
    n_s, n_m = len(a.unmatched_cost), len(a.capacity)
    step = int(a.load_step)
    mentor_of = np.full(n_s, UNMATCHED, dtype=np.int64)
    locked = np.zeros(n_s, dtype=bool)
    mentor_of[a.locked_student] = a.locked_mentor
    locked[a.locked_student] = True
    used = np.bincount(a.locked_mentor, minlength=n_m).astype(np.int64)

    free = ~locked[a.cand_student]
    cs, cm, cc = a.cand_student[free], a.cand_mentor[free], a.cand_cost[free]
    has_candidate = np.zeros(n_s, dtype=bool)
    has_candidate[cs] = True

    # Independent parts: connected components over students and mentors.
    graph = coo_matrix(
        (np.ones(len(cs), dtype=np.int8), (cs, n_s + cm)), shape=(n_s + n_m, n_s + n_m)
    )
    _count, label = connected_components(graph, directed=False)
    part_of_candidate = label[cs]
    order = np.argsort(part_of_candidate, kind="stable")
    boundaries = np.flatnonzero(np.diff(part_of_candidate[order])) + 1
    parts = np.split(order, boundaries) if len(order) else []

    # The cost of each student's pair: set by the parts, and looked up for locked pairs.
    pair_cost = np.zeros(n_s, dtype=np.int64)
    for part in parts:
        _solve_part(
            cs[part],
            cm[part],
            cc[part],
            a.unmatched_cost,
            a.capacity,
            a.minimum,
            used,
            step,
            mentor_of,
            pair_cost,
        )
        if on_part is not None:
            students = _distinct(cs[part])
            students = students[mentor_of[students] != UNMATCHED]
            on_part(students, mentor_of[students], pair_cost[students])
    if len(a.locked_student) and len(a.cand_student):
        key = a.cand_student.astype(np.int64) * max(n_m, 1) + a.cand_mentor
        order = np.argsort(key, kind="stable")
        wanted = a.locked_student.astype(np.int64) * max(n_m, 1) + a.locked_mentor
        at = order[np.minimum(np.searchsorted(key, wanted, sorter=order), len(key) - 1)]
        # A locked pair that is no longer a candidate (the rules changed) costs nothing here.
        pair_cost[a.locked_student] = np.where(key[at] == wanted, a.cand_cost[at], 0)

    matched = mentor_of != UNMATCHED
    objective = int(pair_cost[matched].sum())
    objective += int(a.unmatched_cost[~matched].sum())
    load = np.bincount(mentor_of[matched], minlength=n_m)
    objective += int(_load_cost(load, step).sum())
    return ArrayResult(mentor_of, pair_cost, locked, has_candidate, int(objective), len(parts))


def _solve_part(cs, cm, cc, unmatched_cost, capacity, minimum, used, step, mentor_of, pair_cost):
    students = _distinct(cs)
    mentors = _distinct(cm)
    n_s, n_m = len(students), len(mentors)
    s_local = np.searchsorted(students, cs)
    m_local = np.searchsorted(mentors, cm)
    room = capacity[mentors] - used[mentors]
    # Bonus for a minimum place: more than the whole rest of the objective can vary.
    big = int(unmatched_cost[students].sum() + cc.sum())
    big += int(_load_cost(capacity[mentors], step).sum()) + 1

    # Mentor places: mentor i has places used+1 .. capacity.
    place_mentor = np.repeat(np.arange(n_m), room)
    first = np.repeat(np.cumsum(room) - room, room)
    place = used[mentors][place_mentor] + 1 + (np.arange(len(place_mentor)) - first)
    place_cost = step * (place - 1) - big * (place <= minimum[mentors][place_mentor])

    source, sink = 0, 1
    student_node = 2 + np.arange(n_s)
    mentor_node = 2 + n_s + np.arange(n_m)
    tails = np.concatenate(
        [
            np.full(n_s, source),
            student_node,
            student_node[s_local],
            mentor_node[place_mentor],
        ]
    )
    heads = np.concatenate(
        [student_node, np.full(n_s, sink), mentor_node[m_local], np.full(len(place_mentor), sink)]
    )
    costs = np.concatenate([np.zeros(n_s, np.int64), unmatched_cost[students], cc, place_cost])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(len(tails), np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(np.array([source, sink], np.int32), np.array([n_s, -n_s], np.int64))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    pair_arcs = arcs[2 * n_s : 2 * n_s + len(cs)]
    chosen = flow.flows(pair_arcs) > 0
    mentor_of[cs[chosen]] = cm[chosen]
    pair_cost[cs[chosen]] = cc[chosen]


# Lists of records, with reasons -------------------------------------------------------------


@dataclass(frozen=True)
class StudentNeed:
    id: int
    # What leaving this student unmatched costs; needier students cost more.
    unmatched_cost: int


@dataclass(frozen=True)
class MentorSlot:
    id: int
    capacity: int
    minimum: int = 0


@dataclass(frozen=True)
class Candidate:
    student: int
    mentor: int
    cost: int


@dataclass(frozen=True)
class MatchInput:
    students: list[StudentNeed]
    mentors: list[MentorSlot]
    candidates: list[Candidate]
    locked: list[tuple[int, int]] = field(default_factory=list)
    # Extra cost of each further mentee of one mentor.
    load_step: int = 1


@dataclass(frozen=True)
class Pair:
    student: int
    mentor: int
    cost: int
    locked: bool = False


@dataclass(frozen=True)
class UnmatchedStudent:
    student: int
    reason: str


@dataclass(frozen=True)
class ShortMentor:
    mentor: int
    assigned: int
    minimum: int
    reason: str


@dataclass
class MatchResult:
    pairs: list[Pair]
    unmatched: list[UnmatchedStudent]
    short_mentors: list[ShortMentor]
    # Pair costs + unmatched costs + load costs; the bonus of minimums is not in it.
    objective: int
    parts: int


def solve(data: MatchInput) -> MatchResult:
    student_pos = {s.id: i for i, s in enumerate(data.students)}
    mentor_pos = {m.id: i for i, m in enumerate(data.mentors)}
    if len(student_pos) != len(data.students):
        raise InvalidInput("a student is listed twice")
    if len(mentor_pos) != len(data.mentors):
        raise InvalidInput("a mentor is listed twice")
    try:
        cand_student = np.array([student_pos[c.student] for c in data.candidates], np.int64)
        cand_mentor = np.array([mentor_pos[c.mentor] for c in data.candidates], np.int64)
        locked_student = np.array([student_pos[s] for s, _m in data.locked], np.int64)
        locked_mentor = np.array([mentor_pos[m] for _s, m in data.locked], np.int64)
    except KeyError as exc:
        raise InvalidInput(f"unknown student or mentor {exc}") from None
    arrays = Arrays(
        unmatched_cost=np.array([s.unmatched_cost for s in data.students], np.int64),
        capacity=np.array([m.capacity for m in data.mentors], np.int64),
        minimum=np.array([m.minimum for m in data.mentors], np.int64),
        cand_student=cand_student,
        cand_mentor=cand_mentor,
        cand_cost=np.array([c.cost for c in data.candidates], np.int64),
        locked_student=locked_student,
        locked_mentor=locked_mentor,
        load_step=data.load_step,
    )
    result = solve_arrays(arrays)
    return explain(
        arrays,
        result,
        student_ids=[s.id for s in data.students],
        mentor_ids=[m.id for m in data.mentors],
    )


def explain(arrays: Arrays, result: ArrayResult, *, student_ids, mentor_ids) -> MatchResult:
    """The array result as pairs, unmatched students and mentors short of their minimum."""
    pairs, unmatched = [], []
    mentor_of = result.mentor_of.tolist()
    locked = result.locked.tolist()
    has_candidate = result.has_candidate.tolist()
    pair_cost = result.pair_cost.tolist()
    for i, student in enumerate(student_ids):
        m = mentor_of[i]
        if m == UNMATCHED:
            reason = CAPACITY_SHORT if has_candidate[i] else NO_CANDIDATE
            unmatched.append(UnmatchedStudent(student, reason))
            continue
        mentor = mentor_ids[m]
        pairs.append(Pair(student, mentor, pair_cost[i], locked[i]))

    n_m = len(mentor_ids)
    assigned = np.bincount(result.mentor_of[result.mentor_of != UNMATCHED], minlength=n_m)
    free = ~result.locked[arrays.cand_student] if len(arrays.cand_student) else np.zeros(0, bool)
    reachable = np.bincount(arrays.cand_mentor[free], minlength=n_m)
    reachable = reachable + np.bincount(arrays.locked_mentor, minlength=n_m)
    short = [
        ShortMentor(
            mentor_ids[j],
            int(assigned[j]),
            int(arrays.minimum[j]),
            FEW_CANDIDATES if reachable[j] < arrays.minimum[j] else STUDENTS_NEEDED_ELSEWHERE,
        )
        for j in np.flatnonzero(assigned < arrays.minimum).tolist()
    ]
    pairs.sort(key=lambda p: (p.student, p.mentor))
    unmatched.sort(key=lambda u: u.student)
    return MatchResult(pairs, unmatched, short, result.objective, result.parts)
