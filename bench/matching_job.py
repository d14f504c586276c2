"""The whole matching job against PostgreSQL, for bench/matching.py.

A fresh database `<name>_matching_bench` is created for the run and dropped
at the end. Setting up the county's rows is not timed; the job is:
reading the inputs, building the candidates, solving and writing the proposal.
"""

import atexit
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

from bench.results import record

ROOT = Path(__file__).resolve().parent.parent
_state: dict = {}


def _django():
    if _state:
        return
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = database["NAME"] + "_matching_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    _state["old_name"] = old_name
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=0))


def populate(label: str, n_students: int, n_mentors: int, school_size: int):
    """A district of struggling students and teachers; returns the term and an administrator."""
    from bench.province_data import fill_county
    from mentoring.models import District, Term, User

    district = District.objects.create(code=f"BENCH-{label}", name=label)
    term = Term.objects.create(
        district=district,
        code="2026-autumn",
        school_year="2026-2027",
        start_date=date(2026, 9, 1),
        end_date=date(2027, 1, 22),
    )
    schools = fill_county(
        district,
        term,
        n_students=n_students,
        n_mentors=n_mentors,
        school_size=school_size,
        rng=random.Random(2026),
    )
    admin = User.objects.create(username=f"{label}-admin", is_superuser=True)
    return term, admin, schools


def whole_job(
    label: str,
    n_students: int,
    n_mentors: int,
    school_size: int,
    raw_seconds: float,
    *,
    full: bool = True,
):
    """Time the job, a second run replacing its proposal, and the approval; `full`: the sizes
    issue 18's absolute targets are set for (a tiny run reports the figures without them).
    """
    _django()
    from mentoring.models import MatchRun
    from mentoring.services.match_runs import match_run_approve, match_run_execute
    from workers.models import JobKind
    from workers.services import job_create

    started = time.perf_counter()
    term, admin, schools = populate(label, n_students, n_mentors, school_size)
    setup = time.perf_counter() - started

    def new_run():
        job = job_create(kind=JobKind.MATCH_RUN, started_by=admin)
        run = MatchRun.objects.create(
            term=term,
            kinds=["academic"],
            job=job,
            created_by=admin,
            weights={
                "subject_miss": 30,
                "grade_miss": 10,
                "continuity": 20,
                "unmatched": [400, 300, 200],
                "unmatched_unranked": 150,
                "load_step": 2,
                "max_candidates": 50,
            },
            rules={"same_gender_from_age": None},
        )
        run.schools.set(schools)
        return run

    run = new_run()
    marks = []

    def progress(value):
        marks.append((value, time.perf_counter()))

    started = time.perf_counter()
    summary = match_run_execute(run, progress)
    total = time.perf_counter() - started
    stages = []
    previous = started
    for value, at in marks:
        stages.append(f"{value}%: {at - previous:.2f} s")
        previous = at
    # Running it again, as an administrator does, is a new run over the same
    # term and schools: it replaces the proposal of the first (deleted).
    run = new_run()
    started = time.perf_counter()
    match_run_execute(run, lambda value: None)
    again = time.perf_counter() - started
    run.refresh_from_db()
    started = time.perf_counter()
    match_run_approve(run=run, by=admin)
    approve = time.perf_counter() - started
    academic = summary["kinds"]["academic"]
    print(
        f"{label} whole job against PostgreSQL (setup {setup:.1f} s, not timed):\n"
        f"  {total:8.2f} s = {total / raw_seconds:.1f}x the raw solve of {raw_seconds:.2f} s "
        f"({', '.join(stages)})\n"
        f"  {academic['proposed']:,} pairs proposed, {academic['unmatched']:,} unmatched; "
        f"running it again (replacing that proposal) {again:.2f} s; "
        f"approving them took {approve:.2f} s",
        flush=True,
    )
    size = f"{label.lower()}, {n_students:,} students"
    record(
        "matching",
        f"whole job ({size})",
        total,
        floor="raw solve",
        floor_value=raw_seconds,
        target_ratio=1.5 if label == "County" else None,
        target_value=2.0 if label == "School" and full else None,
    )
    record(
        "matching",
        f"run again, replacing the proposal ({size})",
        again,
        floor="the first run",
        floor_value=total,
        target_ratio=1.0,
    )
    record(
        "matching",
        f"approve {academic['proposed']:,} pairs ({size})",
        approve,
        target_value=2.0 if full else None,
    )
