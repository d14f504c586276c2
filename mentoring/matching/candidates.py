"""Which mentor may take which student, and at what cost. Pure Python, no Django.

Hard rules decide whether a pair is allowed at all; soft costs, weighted by
the administrator, rank the allowed ones. Each candidate carries the reasons
behind its cost, so that a proposal can explain every pair, and each student
left without a candidate carries why.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np

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


@dataclass
class CandidateArrays:
    """Candidates as arrays of positions in the students' and mentors' lists."""

    student: np.ndarray
    mentor: np.ndarray
    cost: np.ndarray
    minimum: np.ndarray  # per mentor, for this kind of run
    unmatched_cost: np.ndarray  # per student
    no_candidate_reason: dict[int, str]  # by student id


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


def pair_cost(student: StudentInfo, mentor: MentorInfo, kind: str, weights: Weights) -> int:
    """The soft cost of one allowed pair (the reference for the array version)."""
    cost = 0
    if kind == ACADEMIC:
        cost += weights.subject_miss * len(set(student.weak_subjects) - set(mentor.subjects))
    if mentor.grades and student.grade not in mentor.grades:
        cost += weights.grade_miss
    if student.previous_mentor == mentor.id:
        # A discount, but never below zero: the flow needs costs of zero or more.
        cost = max(0, cost - weights.continuity)
    return cost


def reasons(student: StudentInfo, mentor: MentorInfo, kind: str) -> dict:
    """Why a pair costs what it costs, in words a proposal can show."""
    why: dict = {}
    if kind == ACADEMIC and student.weak_subjects:
        why["subjects_matched"] = sorted(set(student.weak_subjects) & set(mentor.subjects))
    why["grade_fit"] = (student.grade in mentor.grades) if mentor.grades else None
    if student.previous_mentor == mentor.id:
        why["continuity"] = True
    return why


def reasons_for_pairs(pairs, kind: str, *, seen: dict | None = None) -> list[dict]:
    """`reasons` for many (student, mentor) pairs, computed once per different case.

    The reasons depend on the student's weak subjects and grade, the mentor's
    subjects and grades, and whether the mentor is last term's; pairs alike in
    these share one (equal) dict: a county's 100,000 pairs have a few hundred.
    Pass the same `seen` to calls of one kind to share the dicts between them.
    """
    seen = {} if seen is None else seen
    out = []
    for student, mentor in pairs:
        key = (
            student.weak_subjects,
            student.grade,
            mentor.subjects,
            mentor.grades,
            student.previous_mentor == mentor.id,
        )
        why = seen.get(key)
        if why is None:
            why = seen[key] = reasons(student, mentor, kind)
        out.append(why)
    return out


def _bits(values, index: dict) -> int:
    mask = 0
    for value in values:
        mask |= 1 << index[value]
    return mask


def build_arrays(
    students: list[StudentInfo],
    mentors: list[MentorInfo],
    *,
    kind: str,
    rules: Rules,
    weights: Weights,
) -> CandidateArrays:
    """Every allowed pair's cost, the cheapest `max_candidates` per student, school by school.

    Vectorised with numpy so that a county of 100,000 students is a matter of
    seconds; `exclusion` and `pair_cost` are the one-pair reference it must
    agree with (a test checks it does).
    """
    n_m = len(mentors)
    subjects = sorted(
        {x for s in students for x in s.weak_subjects} | {x for m in mentors for x in m.subjects}
    )
    if len(subjects) > 62:
        raise ValueError("at most 62 different subjects")
    bit = {name: i for i, name in enumerate(subjects)}
    mentor_pos = {m.id: j for j, m in enumerate(mentors)}

    s_school = np.array([s.school for s in students], np.int64)
    s_grade = np.array([s.grade for s in students], np.int64)
    s_male = np.array([s.gender == "male" for s in students], bool)
    s_age = np.array([s.age for s in students], np.int64)
    s_weak = np.array([_bits(s.weak_subjects, bit) for s in students], np.int64)
    s_prev = np.array([mentor_pos.get(s.previous_mentor, -1) for s in students], np.int64)
    m_kind_ok = np.array([m.kind in KINDS_FOR[kind] for m in mentors], bool)
    m_vetted = np.array(
        [
            m.kind != "volunteer"
            or (
                m.vetted_until is not None
                and (rules.vetted_on is None or m.vetted_until >= rules.vetted_on)
            )
            for m in mentors
        ],
        bool,
    )
    m_male = np.array([m.gender == "male" for m in mentors], bool)
    m_subjects = np.array([_bits(m.subjects, bit) for m in mentors], np.int64)
    m_grades = np.array([_bits(m.grades, {g: g for g in range(64)}) for m in mentors], np.int64)
    student_pos = {s.id: i for i, s in enumerate(students)}
    conflict_pairs = {
        (student_pos[c], j) for j, m in enumerate(mentors) for c in m.conflicts if c in student_pos
    }

    school_mentors: dict[int, list[int]] = {}
    for j, m in enumerate(mentors):
        for school in m.schools:
            school_mentors.setdefault(school, []).append(j)

    out_s, out_m, out_c = [], [], []
    no_candidate: dict[int, str] = {}
    k = weights.max_candidates
    for school in np.unique(s_school):
        rows = np.flatnonzero(s_school == school)
        cols = np.array(school_mentors.get(int(school), []), np.int64)
        if not len(cols):
            for i in rows:
                no_candidate[students[i].id] = "no_mentor_in_school"
            continue
        allowed = (m_kind_ok[cols] & m_vetted[cols])[None, :].repeat(len(rows), axis=0)
        if rules.same_gender_from_age is not None:
            older = s_age[rows] >= rules.same_gender_from_age
            allowed &= ~(older[:, None] & (s_male[rows][:, None] != m_male[cols][None, :]))
        if conflict_pairs:
            row_of = {int(i): r for r, i in enumerate(rows)}
            col_of = {int(j): c for c, j in enumerate(cols)}
            for i, j in conflict_pairs:
                if i in row_of and j in col_of:
                    allowed[row_of[i], col_of[j]] = False
        cost = np.zeros((len(rows), len(cols)), np.int64)
        if kind == ACADEMIC:
            missed = np.bitwise_count(s_weak[rows][:, None] & ~m_subjects[cols][None, :])
            cost += weights.subject_miss * missed.astype(np.int64)
        teaches = m_grades[cols] != 0
        fits = ((m_grades[cols][None, :] >> s_grade[rows][:, None]) & 1) == 1
        cost += weights.grade_miss * (teaches[None, :] & ~fits)
        continuing = s_prev[rows][:, None] == cols[None, :]
        cost = np.where(continuing, np.maximum(0, cost - weights.continuity), cost)

        # The cheapest k allowed per student, ties broken by mentor position.
        key = np.where(allowed, cost * (n_m + 1) + cols[None, :], np.iinfo(np.int64).max)
        take = min(k, len(cols))
        best = (
            np.argpartition(key, take - 1, axis=1)[:, :take]
            if take < len(cols)
            else (np.broadcast_to(np.arange(len(cols)), key.shape))
        )
        best_key = np.take_along_axis(key, best, axis=1)
        order = np.argsort(best_key, axis=1, kind="stable")
        best = np.take_along_axis(best, order, axis=1)
        best_key = np.take_along_axis(best_key, order, axis=1)
        keep = best_key != np.iinfo(np.int64).max
        r_idx = np.repeat(np.arange(len(rows)), take).reshape(len(rows), take)[keep]
        c_idx = best[keep]
        out_s.append(rows[r_idx])
        out_m.append(cols[c_idx])
        out_c.append(cost[r_idx, c_idx])
        for r in np.flatnonzero(~allowed.any(axis=1)):
            student = students[rows[r]]
            counts: dict[str, int] = {}
            for j in cols:
                broken = exclusion(student, mentors[j], kind, rules)
                counts[broken] = counts.get(broken, 0) + 1
            no_candidate[student.id] = max(sorted(counts), key=counts.get)

    applies = MINIMUM_APPLIES[kind]
    return CandidateArrays(
        student=np.concatenate(out_s) if out_s else np.zeros(0, np.int64),
        mentor=np.concatenate(out_m) if out_m else np.zeros(0, np.int64),
        cost=np.concatenate(out_c) if out_c else np.zeros(0, np.int64),
        minimum=np.array([m.minimum if m.kind in applies else 0 for m in mentors], np.int64),
        unmatched_cost=np.array([unmatched_cost(s, weights) for s in students], np.int64),
        no_candidate_reason=no_candidate,
    )


def build(
    students: list[StudentInfo],
    mentors: list[MentorInfo],
    *,
    kind: str,
    rules: Rules,
    weights: Weights,
) -> CandidateSet:
    """The candidates as records with their reasons (small runs, tests, hand edits)."""
    arrays = build_arrays(students, mentors, kind=kind, rules=rules, weights=weights)
    candidates = [
        Scored(students[i].id, mentors[j].id, int(c), reasons(students[i], mentors[j], kind))
        for i, j, c in zip(
            arrays.student.tolist(), arrays.mentor.tolist(), arrays.cost.tolist(), strict=True
        )
    ]
    return CandidateSet(
        candidates,
        arrays.no_candidate_reason,
        {m.id: int(arrays.minimum[j]) for j, m in enumerate(mentors)},
        {s.id: int(arrays.unmatched_cost[i]) for i, s in enumerate(students)},
    )
