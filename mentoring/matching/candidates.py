"""Which mentor may take which student, and at what cost. Pure Python, no Django.

Hard rules decide whether a pair is allowed at all; soft costs, weighted by
the administrator, rank the allowed ones. Each candidate carries the reasons
behind its cost, so that a proposal can explain every pair, and each student
left without a candidate carries why.
"""

from dataclasses import dataclass, field
from datetime import date

ACADEMIC = "academic"
CARE = "care"

# Which mentor kinds take which kind of pairing (DESIGN §2.5): party-member
# teachers tutor struggling students, leaders sponsor poor students,
# subject teachers and volunteers may do either.
KINDS_FOR = {
    ACADEMIC: {"party_teacher", "teacher", "volunteer"},
    CARE: {"leader", "party_teacher", "teacher", "volunteer"},
}
# Whose minimum mentees count in which kind of run.
MINIMUM_APPLIES = {ACADEMIC: {"party_teacher"}, CARE: {"leader"}}


@dataclass(frozen=True)
class StudentInfo:
    id: int
    school: int
    grade: int
    gender: str
    age: int
    weak_subjects: tuple[str, ...] = ()
    # 0 for the neediest tier, 1 for the next, ...; None when not identified.
    need_rank: int | None = None
    previous_mentor: int | None = None


@dataclass(frozen=True)
class MentorInfo:
    id: int
    kind: str
    schools: tuple[int, ...]
    gender: str
    capacity: int
    minimum: int = 0
    subjects: tuple[str, ...] = ()
    grades: tuple[int, ...] = ()
    vetted_until: date | None = None
    conflicts: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Rules:
    # Pairs with students of this age or older must be of the same gender
    # (home visits); None switches the rule off.
    same_gender_from_age: int | None = 12
    # Volunteers must be vetted until at least this day (the run's start).
    vetted_on: date | None = None


@dataclass(frozen=True)
class Weights:
    subject_miss: int = 30  # per weak subject the mentor does not teach
    grade_miss: int = 10  # the mentor does not teach the student's grade
    continuity: int = 20  # saved when the mentor is last term's mentor
    unmatched: tuple[int, ...] = (400, 300, 200)  # by need rank; beyond: the last
    unmatched_unranked: int = 150
    load_step: int = 2
    max_candidates: int = 50


@dataclass(frozen=True)
class Scored:
    student: int
    mentor: int
    cost: int
    reasons: dict = field(hash=False, compare=False)


@dataclass
class CandidateSet:
    candidates: list[Scored]
    # For students with no candidate: the rule that excluded the most mentors.
    no_candidate_reason: dict[int, str]
    minimums: dict[int, int]
    unmatched_cost: dict[int, int]


def exclusion(student: StudentInfo, mentor: MentorInfo, kind: str, rules: Rules) -> str | None:
    """The hard rule a pair breaks, or None when it is allowed."""
    if mentor.kind not in KINDS_FOR[kind]:
        return "mentor_kind"
    if student.school not in mentor.schools:
        return "other_school"
    if mentor.kind == "volunteer" and (
        mentor.vetted_until is None
        or (rules.vetted_on is not None and mentor.vetted_until < rules.vetted_on)
    ):
        return "volunteer_not_vetted"
    if student.id in mentor.conflicts:
        return "conflict"
    if (
        rules.same_gender_from_age is not None
        and student.age >= rules.same_gender_from_age
        and student.gender != mentor.gender
    ):
        return "safeguarding_gender"
    return None


def unmatched_cost(student: StudentInfo, weights: Weights) -> int:
    if student.need_rank is None:
        return weights.unmatched_unranked
    ranks = weights.unmatched
    return ranks[min(student.need_rank, len(ranks) - 1)]


def build(
    students: list[StudentInfo],
    mentors: list[MentorInfo],
    *,
    kind: str,
    rules: Rules,
    weights: Weights,
) -> CandidateSet:
    """Candidates of every student, the cheapest `max_candidates` each."""
    by_school: dict[int, list[MentorInfo]] = {}
    for mentor in mentors:
        for school in mentor.schools:
            by_school.setdefault(school, []).append(mentor)
    candidates: list[Scored] = []
    no_candidate: dict[int, str] = {}
    for student in students:
        scored = []
        excluded: dict[str, int] = {}
        for mentor in by_school.get(student.school, []):
            broken = exclusion(student, mentor, kind, rules)
            if broken:
                excluded[broken] = excluded.get(broken, 0) + 1
                continue
            scored.append(_score(student, mentor, kind, weights))
        if not scored:
            no_candidate[student.id] = (
                max(sorted(excluded), key=excluded.get) if excluded else "no_mentor_in_school"
            )
            continue
        scored.sort(key=lambda s: (s.cost, s.mentor))
        candidates.extend(scored[: weights.max_candidates])
    minimums = {m.id: (m.minimum if m.kind in MINIMUM_APPLIES[kind] else 0) for m in mentors}
    costs = {s.id: unmatched_cost(s, weights) for s in students}
    return CandidateSet(candidates, no_candidate, minimums, costs)


def _score(student: StudentInfo, mentor: MentorInfo, kind: str, weights: Weights) -> Scored:
    reasons: dict = {}
    cost = 0
    if kind == ACADEMIC and student.weak_subjects:
        matched = sorted(set(student.weak_subjects) & set(mentor.subjects))
        missed = len(set(student.weak_subjects)) - len(matched)
        reasons["subjects_matched"] = matched
        cost += weights.subject_miss * missed
    if mentor.grades:
        fits = student.grade in mentor.grades
        reasons["grade_fit"] = fits
        if not fits:
            cost += weights.grade_miss
    else:
        reasons["grade_fit"] = None
    if student.previous_mentor == mentor.id:
        reasons["continuity"] = True
        # A discount, but never below zero: the flow needs costs of zero or more.
        cost = max(0, cost - weights.continuity)
    return Scored(student.id, mentor.id, cost, reasons)
