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
Ties are broken by the input's order, which the caller sorts, so the same
input gives the same output.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.graph.python import min_cost_flow

# Why a student was left without a mentor.
NO_CANDIDATE = "no_eligible_mentor"
CAPACITY_SHORT = "capacity_short"
# Why a mentor has fewer mentees than its minimum.
FEW_CANDIDATES = "not_enough_eligible_students"
STUDENTS_NEEDED_ELSEWHERE = "students_needed_elsewhere"


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


class InvalidInput(ValueError):
    pass


def solve(data: MatchInput) -> MatchResult:
    students = {s.id: s for s in data.students}
    mentors = {m.id: m for m in data.mentors}
    _check(data, students, mentors)

    # Locked pairs first: they stand as they are and use up places.
    used = defaultdict(int)
    pairs: list[Pair] = []
    locked_students = set()
    candidate_cost = {(c.student, c.mentor): c.cost for c in data.candidates}
    for student_id, mentor_id in data.locked:
        used[mentor_id] += 1
        locked_students.add(student_id)
        pairs.append(
            Pair(student_id, mentor_id, candidate_cost.get((student_id, mentor_id), 0), True)
        )

    free_students = [s for s in data.students if s.id not in locked_students]
    candidates = [c for c in data.candidates if c.student not in locked_students]
    by_student = defaultdict(list)
    for c in candidates:
        by_student[c.student].append(c)

    unmatched: list[UnmatchedStudent] = []
    objective = sum(p.cost for p in pairs) + sum(_load_cost(used[m], data.load_step) for m in used)
    parts = _parts(free_students, candidates)
    for part_students, part_candidates in parts:
        part_pairs, part_unmatched, part_objective = _solve_part(
            part_students, part_candidates, mentors, used, data.load_step
        )
        pairs.extend(part_pairs)
        unmatched.extend(part_unmatched)
        objective += part_objective

    # Reasons for students with no candidate at all.
    for s in free_students:
        if not by_student.get(s.id):
            unmatched.append(UnmatchedStudent(s.id, NO_CANDIDATE))
            objective += s.unmatched_cost

    assigned = defaultdict(int)
    for p in pairs:
        assigned[p.mentor] += 1
    candidate_students = defaultdict(set)
    for c in candidates:
        candidate_students[c.mentor].add(c.student)
    short = []
    for m in data.mentors:
        if assigned[m.id] < m.minimum:
            reachable = len(candidate_students[m.id]) + used[m.id]
            reason = FEW_CANDIDATES if reachable < m.minimum else STUDENTS_NEEDED_ELSEWHERE
            short.append(ShortMentor(m.id, assigned[m.id], m.minimum, reason))

    pairs.sort(key=lambda p: (p.student, p.mentor))
    unmatched.sort(key=lambda u: u.student)
    return MatchResult(pairs, unmatched, short, objective, len(parts))


def _load_cost(count: int, step: int) -> int:
    # Places 1..count cost 0, step, 2*step, ...
    return step * count * (count - 1) // 2


def _check(data, students, mentors):
    if len(students) != len(data.students):
        raise InvalidInput("a student is listed twice")
    if len(mentors) != len(data.mentors):
        raise InvalidInput("a mentor is listed twice")
    seen = set()
    for c in data.candidates:
        if c.student not in students or c.mentor not in mentors:
            raise InvalidInput(f"candidate {c} names an unknown student or mentor")
        if (c.student, c.mentor) in seen:
            raise InvalidInput(f"candidate {c.student}-{c.mentor} is listed twice")
        if c.cost < 0:
            raise InvalidInput("candidate costs must not be negative")
        seen.add((c.student, c.mentor))
    for m in data.mentors:
        if m.capacity < 0 or m.minimum < 0 or m.minimum > m.capacity:
            raise InvalidInput(f"mentor {m.id}: need 0 <= minimum <= capacity")
    for s in data.students:
        if s.unmatched_cost < 0:
            raise InvalidInput("unmatched costs must not be negative")
    locked_students = [s for s, _ in data.locked]
    if len(set(locked_students)) != len(locked_students):
        raise InvalidInput("a student is locked to two mentors")
    load = defaultdict(int)
    for s, m in data.locked:
        if s not in students or m not in mentors:
            raise InvalidInput(f"locked pair {s}-{m} names an unknown student or mentor")
        load[m] += 1
        if load[m] > mentors[m].capacity:
            raise InvalidInput(f"locked pairs exceed the capacity of mentor {m}")


def _parts(students, candidates):
    """Connected components of the candidate graph, each with its students and candidates."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for c in candidates:
        a, b = find(("s", c.student)), find(("m", c.mentor))
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups_students = defaultdict(list)
    groups_candidates = defaultdict(list)
    for s in students:
        if ("s", s.id) in parent:
            groups_students[find(("s", s.id))].append(s)
    for c in candidates:
        groups_candidates[find(("s", c.student))].append(c)
    return [(groups_students[root], groups_candidates[root]) for root in sorted(groups_students)]


def _solve_part(students, candidates, mentors, used, load_step):
    mentor_ids = sorted({c.mentor for c in candidates})
    # Bonus for a minimum place: more than the whole rest of the objective can vary.
    spread = sum(s.unmatched_cost for s in students)
    spread += sum(c.cost for c in candidates)
    spread += sum(_load_cost(mentors[m].capacity, load_step) for m in mentor_ids)
    big = spread + 1

    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    student_node = {s.id: 2 + i for i, s in enumerate(students)}
    mentor_node = {m: 2 + len(students) + i for i, m in enumerate(mentor_ids)}
    pair_arcs = []
    for s in students:
        flow.add_arc_with_capacity_and_unit_cost(source, student_node[s.id], 1, 0)
        flow.add_arc_with_capacity_and_unit_cost(student_node[s.id], sink, 1, s.unmatched_cost)
    for c in candidates:
        arc = flow.add_arc_with_capacity_and_unit_cost(
            student_node[c.student], mentor_node[c.mentor], 1, c.cost
        )
        pair_arcs.append((arc, c))
    bonus_units = 0
    for m in mentor_ids:
        slot = mentors[m]
        taken = used[m]
        for place in range(taken + 1, slot.capacity + 1):
            cost = load_step * (place - 1)
            if place <= slot.minimum:
                cost -= big
                bonus_units += 1
            flow.add_arc_with_capacity_and_unit_cost(mentor_node[m], sink, 1, cost)
    flow.set_node_supply(source, len(students))
    flow.set_node_supply(sink, -len(students))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")

    pairs = []
    matched = set()
    load = defaultdict(int)
    for arc, c in pair_arcs:
        if flow.flow(arc):
            pairs.append(Pair(c.student, c.mentor, c.cost))
            matched.add(c.student)
            load[c.mentor] += 1
    unmatched = [UnmatchedStudent(s.id, CAPACITY_SHORT) for s in students if s.id not in matched]
    objective = sum(p.cost for p in pairs) + sum(
        s.unmatched_cost for s in students if s.id not in matched
    )
    objective += sum(
        _load_cost(used[m] + load[m], load_step) - _load_cost(used[m], load_step)
        for m in mentor_ids
    )
    return pairs, unmatched, objective
