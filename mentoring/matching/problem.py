"""A match run's problem: its inputs read from the database as plain data, and solved.

`load_inputs` reads everything a run needs in a fixed number of queries and
gives it as plain JSON data (what the run stores, packed, to be reproduced);
`solve_inputs` turns that data into the solver's arrays for one kind and
solves it with `mentoring.matching.solver`. Neither writes anything.
"""

import datetime
import json
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from mentoring.matching import candidates as rules_and_costs
from mentoring.matching.solver import Arrays, explain, solve_arrays
from mentoring.models import (
    Mentor,
    Pairing,
    PairingKind,
    PairingStatus,
    StudentRecord,
)
from mentoring.selectors.match_runs import pairings_locked_by
from mentoring.selectors.pairing_rules import age_on
from mentoring.selectors.school_year import hardship_identifications
from mentoring.selectors.terms import previous_term

if TYPE_CHECKING:
    from mentoring.models import MatchRun


def _as_text(name: str):
    """A JSON column as its text, for `_JsonTexts` to parse."""
    return Cast(name, output_field=TextField())


class _JsonTexts:
    """Parse JSON texts, each different text once (a county's 100,000 students have a
    few dozen different lists of weak subjects). Values are shared: sort, never change."""

    def __init__(self):
        self.seen = {}

    def __call__(self, text: str | None):
        if text is None:
            return None
        value = self.seen.get(text)
        if value is None:
            value = self.seen[text] = json.loads(text)
        return value


def load_inputs(run: "MatchRun") -> dict:
    """Students, mentors and locked pairs of the run as plain data, in a fixed number of queries."""
    term = run.term
    school_ids = sorted(run.schools.values_list("pk", flat=True))
    tier_rank = {code: rank for rank, code in enumerate(term.district.tier_codes)}
    approved = dict(
        hardship_identifications(term)
        .filter(student__school__in=school_ids)
        .values_list("student_id", "tier")
    )
    previous = previous_term(term)
    previous_mentor = {}
    if previous is not None:
        for student_id, kind, mentor_id in Pairing.objects.filter(
            term=previous, status__in=[PairingStatus.ACTIVE, PairingStatus.ENDED]
        ).values_list("student_id", "kind", "mentor_id"):
            previous_mentor[(student_id, kind)] = mentor_id
    records = (
        StudentRecord.objects.filter(term=term, student__school__in=school_ids)
        .annotate(weak_text=_as_text("weak_subjects"))
        .values_list(
            "student_id",
            "student__school_id",
            "grade",
            "student__gender",
            "student__birth_date",
            "struggling",
            "weak_text",
        )
    )
    students = {kind: [] for kind in run.kinds}
    parsed = _JsonTexts()
    for sid, school, grade, gender, birth, struggling, weak in records.order_by("student_id"):
        weak = parsed(weak)
        rank = tier_rank.get(approved.get(sid))
        info = {
            "id": sid,
            "school": school,
            "grade": grade,
            "gender": gender,
            "age": age_on(birth, term.start_date),
            "weak_subjects": sorted(weak or []),
            "need_rank": rank,
        }
        if PairingKind.ACADEMIC in students and struggling:
            students[PairingKind.ACADEMIC].append(
                {**info, "previous_mentor": previous_mentor.get((sid, PairingKind.ACADEMIC))}
            )
        if PairingKind.CARE in students and sid in approved and rank is not None:
            students[PairingKind.CARE].append(
                {**info, "previous_mentor": previous_mentor.get((sid, PairingKind.CARE))}
            )
    # Plain values and the two many-to-many tables read whole: model instances
    # and prefetching cost seconds for a county's 20,000 mentors.
    active = Mentor.objects.filter(active=True, schools__in=school_ids).values("pk")
    mentor_schools = defaultdict(list)
    for mentor_id, school_id in Mentor.schools.through.objects.filter(
        mentor__in=active
    ).values_list("mentor_id", "school_id"):
        mentor_schools[mentor_id].append(school_id)
    conflicts = defaultdict(list)
    for mentor_id, student_id in Mentor.conflicts.through.objects.filter(
        mentor__in=active
    ).values_list("mentor_id", "student_id"):
        conflicts[mentor_id].append(student_id)
    mentors = [
        {
            "id": pk,
            "kind": kind,
            "gender": gender,
            "capacity": capacity,
            "minimum": minimum,
            "subjects": sorted(parsed(subjects)),
            "grades": sorted(parsed(grades)),
            "schools": sorted(mentor_schools[pk]),
            "vetted_until": vetted.isoformat() if vetted else None,
            "conflicts": sorted(conflicts[pk]),
        }
        for pk, kind, gender, capacity, minimum, subjects, grades, vetted in Mentor.objects.filter(
            pk__in=active
        )
        .order_by("pk")
        .annotate(subjects_text=_as_text("subjects"), grades_text=_as_text("grades"))
        .values_list(
            "pk",
            "kind",
            "gender",
            "capacity",
            "min_mentees",
            "subjects_text",
            "grades_text",
            "vetted_until",
        )
    ]
    locked = defaultdict(list)
    # The one rule of what a run finds standing, also read by the run's page.
    for student_id, mentor_id, kind in (
        pairings_locked_by(run)
        .values_list("student_id", "mentor_id", "kind")
        .order_by("student_id")
    ):
        locked[kind].append([student_id, mentor_id])
    # Every active pairing counts against its mentor's capacity, whatever its kind.
    load = Counter(
        Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE).values_list(
            "mentor_id", flat=True
        )
    )
    vetted_on = max(term.start_date, timezone.localdate())
    return {
        "term": term.code,
        "students": students,
        "mentors": mentors,
        "locked": dict(locked),
        "load": {str(k): v for k, v in load.items()},
        "vetted_on": vetted_on.isoformat(),
    }


def student_info(s: dict) -> rules_and_costs.StudentInfo:
    return rules_and_costs.StudentInfo(
        id=s["id"],
        school=s["school"],
        grade=s["grade"],
        gender=s["gender"],
        age=s["age"],
        weak_subjects=tuple(s["weak_subjects"]),
        need_rank=s["need_rank"],
        previous_mentor=s["previous_mentor"],
    )


def mentor_info(m: dict) -> rules_and_costs.MentorInfo:
    vetted = m["vetted_until"]
    return rules_and_costs.MentorInfo(
        id=m["id"],
        kind=m["kind"],
        schools=tuple(m["schools"]),
        gender=m["gender"],
        capacity=m["capacity"],
        minimum=m["minimum"],
        subjects=tuple(m["subjects"]),
        grades=tuple(m["grades"]),
        vetted_until=datetime.date.fromisoformat(vetted) if vetted else None,
        conflicts=frozenset(m["conflicts"]),
    )


def kinds_in_order(kinds) -> list[str]:
    return [kind for kind in PairingKind.values if kind in kinds]


def solve_inputs(inputs: dict, *, weights: dict, rules: dict, kind: str, taken=None, on_pairs=None):
    """The pure part of a run: candidates and the optimal assignment for one kind.

    A run of both kinds solves them in order (academic, then care), and the
    places a mentor is given in an earlier kind are not offered again, so that
    no mentor is proposed beyond their capacity across kinds. `taken` (mentor
    id → places) passes those places in; left out, it is worked out from
    `inputs`, so that each kind of a stored run can be reproduced on its own.

    `on_pairs(student_ids, mentor_ids, costs, reasons)`, if given, receives the
    new (not locked) pairs as lists, part by part as the solver finds them.
    """
    run_weights = rules_and_costs.Weights(**{**weights, "unmatched": tuple(weights["unmatched"])})
    run_rules = rules_and_costs.Rules(
        same_gender_from_age=rules["same_gender_from_age"],
        vetted_on=datetime.date.fromisoformat(inputs["vetted_on"]),
    )
    if taken is None:
        taken = Counter()
        for earlier in kinds_in_order(inputs["students"]):
            if earlier == kind:
                break
            result, _reasons, _why = solve_inputs(
                inputs, weights=weights, rules=rules, kind=earlier, taken=Counter(taken)
            )
            taken.update(p.mentor for p in result.pairs if not p.locked)
    students = [student_info(s) for s in inputs["students"].get(kind, [])]
    mentors = [mentor_info(m) for m in inputs["mentors"]]
    built = rules_and_costs.build_arrays(
        students, mentors, kind=kind, rules=run_rules, weights=run_weights
    )
    student_pos = {s.id: i for i, s in enumerate(students)}
    mentor_pos = {m.id: j for j, m in enumerate(mentors)}
    standing = [tuple(pair) for pair in inputs["locked"].get(kind, [])]
    # An active pairing stands even when the run would no longer make it (the
    # student is no longer struggling or identified, the mentor has left): such
    # a student stays out of the solve, and the place stays taken through `load`.
    locked = [(s, m) for s, m in standing if s in student_pos and m in mentor_pos]
    paired_students = {s for s, _m in standing}
    locked_students = {s for s, _m in locked}
    locked_load = Counter(m for _s, m in locked)
    # Places already taken by active pairings of the other kind (or of this kind
    # that the solver does not see), and by the earlier kinds of this run.
    other_load = Counter(inputs["load"])
    for _s, m in locked:
        other_load[str(m)] -= 1
    capacity = np.zeros(len(mentors), np.int64)
    for j, m in enumerate(mentors):
        free = m.capacity - max(0, other_load.get(str(m.id), 0)) - locked_load[m.id]
        free -= taken.get(m.id, 0)
        # A mentor whose capacity was lowered below their standing pairings keeps them all.
        capacity[j] = locked_load[m.id] + max(0, free)

    # Students in the solve: those without a standing pairing, and the locked ones.
    kept = [
        i for i, s in enumerate(students) if s.id not in paired_students or s.id in locked_students
    ]
    position = np.full(len(students), -1, np.int64)
    position[kept] = np.arange(len(kept))
    # Students outside the solve lose their candidates; those of locked
    # students are dropped by the solver itself.
    free_candidate = position[built.student] >= 0
    arrays = Arrays(
        unmatched_cost=built.unmatched_cost[kept],
        capacity=capacity,
        minimum=np.minimum(built.minimum, capacity),
        cand_student=position[built.student[free_candidate]],
        cand_mentor=built.mentor[free_candidate],
        cand_cost=built.cost[free_candidate],
        locked_student=np.array([position[student_pos[s]] for s, _m in locked], np.int64),
        locked_mentor=np.array([mentor_pos[m] for _s, m in locked], np.int64),
        load_step=run_weights.load_step,
    )
    kept_students = [students[i] for i in kept]
    reasons = {}
    alike = {}  # shared by the parts: pairs alike share one reasons dict

    def part_solved(student_at, mentor_at, costs):
        pairs = [
            (kept_students[i], mentors[j])
            for i, j in zip(student_at.tolist(), mentor_at.tolist(), strict=True)
        ]
        why = rules_and_costs.reasons_for_pairs(pairs, kind, seen=alike)
        student_ids = [s.id for s, _m in pairs]
        mentor_ids = [m.id for _s, m in pairs]
        reasons.update(zip(zip(student_ids, mentor_ids, strict=True), why, strict=True))
        if on_pairs is not None:
            on_pairs(student_ids, mentor_ids, costs.tolist(), why)

    # Locked pairs stand as they are, even where today's rules would not allow them.
    result = explain(
        arrays,
        solve_arrays(arrays, on_part=part_solved),
        student_ids=[s.id for s in kept_students],
        mentor_ids=[m.id for m in mentors],
    )
    return result, reasons, built.no_candidate_reason
