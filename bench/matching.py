"""Benchmark: the term's matching for a school and for a county.

Run with `.venv/bin/python bench/matching.py` (add `--school-only` for a quick
run, `--tiny` for a run of seconds, as CI does). It prints, in one run:

- the raw solver time on generated arrays (no database), for a school of
  1,600 students and a county of 100,000 students and 20,000 mentors with
  50 candidates each;
- the greedy baseline on the same arrays (each student, neediest first,
  takes the cheapest mentor with room) and how much worse its cost is;
- with DATABASE_URL set to PostgreSQL: the whole job against a fresh
  database `<name>_matching_bench` (read the inputs, build the candidates,
  solve, write the proposal), and its ratio to the raw solve;
- peak memory (resident set size) of the process.

Targets (issue 4): the whole job for a school under 2 s; for the county
within 3x the raw solve; peak memory under 2 GB.
"""

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402
from mentoring.matching.solver import UNMATCHED, Arrays, _load_cost, solve_arrays  # noqa: E402

SEED = 2026
LOAD_STEP = 2
NEED_COSTS = np.array([400, 300, 200, 150], np.int64)


def generate(n_students: int, n_mentors: int, per_student: int, school_size: int) -> Arrays:
    """Students in schools of `school_size`, mentors spread evenly over the schools."""
    rng = np.random.default_rng(SEED)
    n_schools = max(1, n_students // school_size)
    student_school = np.arange(n_students) % n_schools
    mentor_school = np.arange(n_mentors) % n_schools
    cand_s, cand_m = [], []
    for school in range(n_schools):
        students = np.flatnonzero(student_school == school)
        mentors = np.flatnonzero(mentor_school == school)
        k = min(per_student, len(mentors))
        picks = np.argsort(rng.random((len(students), len(mentors))), axis=1)[:, :k]
        cand_s.append(np.repeat(students, k))
        cand_m.append(mentors[picks].ravel())
    cand_s, cand_m = np.concatenate(cand_s), np.concatenate(cand_m)
    capacity = rng.integers(1, 7, n_mentors)
    minimum = np.where(rng.random(n_mentors) < 0.3, 1, 0)
    return Arrays(
        unmatched_cost=NEED_COSTS[rng.integers(0, 4, n_students)],
        capacity=capacity,
        minimum=np.minimum(minimum, capacity),
        cand_student=cand_s,
        cand_mentor=cand_m,
        cand_cost=rng.integers(0, 101, len(cand_s)),
        load_step=LOAD_STEP,
    )


def objective(a: Arrays, mentor_of: np.ndarray) -> tuple[int, int]:
    """(cost, minimum places filled) of an assignment, computed independently of the solver."""
    n_m = len(a.capacity)
    key = a.cand_student * n_m + a.cand_mentor
    order = np.argsort(key)
    matched = mentor_of != UNMATCHED
    wanted = np.flatnonzero(matched) * n_m + mentor_of[matched]
    found = order[np.searchsorted(key, wanted, sorter=order)]
    cost = int(a.cand_cost[found].sum()) + int(a.unmatched_cost[~matched].sum())
    load = np.bincount(mentor_of[matched], minlength=n_m)
    assert (load <= a.capacity).all(), "capacity exceeded"
    cost += int(_load_cost(load, a.load_step).sum())
    return cost, int(np.minimum(load, a.minimum).sum())


def greedy(a: Arrays) -> np.ndarray:
    """Neediest student first, each takes the mentor with room that costs least now."""
    n_s, n_m = len(a.unmatched_cost), len(a.capacity)
    order = np.lexsort((a.cand_cost, a.cand_student))
    starts = np.searchsorted(a.cand_student[order], np.arange(n_s + 1))
    load = np.zeros(n_m, np.int64)
    mentor_of = np.full(n_s, UNMATCHED, np.int64)
    cost, mentor = a.cand_cost[order].tolist(), a.cand_mentor[order].tolist()
    capacity = a.capacity.tolist()
    for s in np.argsort(-a.unmatched_cost, kind="stable").tolist():
        best, best_cost = None, int(a.unmatched_cost[s])
        for i in range(starts[s], starts[s + 1]):
            m = mentor[i]
            if load[m] < capacity[m]:
                c = cost[i] + a.load_step * int(load[m])
                if c < best_cost:
                    best, best_cost = m, c
        if best is not None:
            mentor_of[s] = best
            load[best] += 1
    return mentor_of


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw(label: str, n_students: int, n_mentors: int, per_student: int, school_size: int) -> float:
    a = generate(n_students, n_mentors, per_student, school_size)
    started = time.perf_counter()
    result = solve_arrays(a)
    solve_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = greedy(a)
    greedy_s = time.perf_counter() - started
    best, filled = objective(a, result.mentor_of)
    assert best == result.objective
    worse, greedy_filled = objective(a, baseline)
    print(
        f"{label}: {n_students:,} students, {n_mentors:,} mentors, {len(a.cand_student):,} "
        f"candidates, {result.parts} parts\n"
        f"  raw solve        {solve_s:8.2f} s   objective {best:,}, minimum places {filled:,}\n"
        f"  greedy baseline  {greedy_s:8.2f} s   objective {worse:,} "
        f"(+{100 * (worse - best) / best:.1f} %), minimum places {greedy_filled:,}\n"
        f"  peak memory so far {peak_mb():,.0f} MB",
        flush=True,
    )
    return solve_s


# (students, mentors, candidates per student, students per school) of each size.
FULL = {"School": (1_600, 120, 50, 1_600), "County": (100_000, 20_000, 50, 1_000)}
TINY = {"School": (200, 20, 20, 200), "County": (2_000, 400, 20, 500)}


def main() -> None:
    sizes = TINY if "--tiny" in sys.argv else FULL
    school_only = "--school-only" in sys.argv
    raws = {"School": raw("School", *sizes["School"])}
    if not school_only:
        raws["County"] = raw("County", *sizes["County"])
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL=postgres://... to time the whole job against PostgreSQL.")
        return
    from bench.matching_job import whole_job

    for label, raw_seconds in raws.items():
        n_students, n_mentors, _candidates, school_size = sizes[label]
        whole_job(label, n_students, n_mentors, school_size, raw_seconds, full=sizes is FULL)
    peak = peak_mb()
    print(f"Peak memory of the run: {peak:,.0f} MB (target under 2,048 MB)")
    record("matching", "peak memory of the run", peak, unit="MB", target_value=2_048)


if __name__ == "__main__":
    main()
