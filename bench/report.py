"""Benchmark: the term report of a county on PostgreSQL, against hand-written SQL (the floor).

Run with `DATABASE_URL=postgres://... .venv/bin/python bench/report.py`
(`--students`, `--sessions`, `--ledger` to change the size, `--tiny` for a
quick run that only shows the benchmark works; the suite runs it). A fresh
database `<name>_report_bench` is created and dropped at the end. It holds a
county of 60 schools and 100,000 students with their identification, aid
(awards, payments and donations: 300,000 ledger rows), 40,000 mentoring
pairs with 2,000,000 sessions and their weekly compliance, written with
COPY (not timed). Then, in the same run:

- the report job (`report_build`: every aggregate query, the money check
  against the ledger, the figures, the records for administrators, the
  stored version), timed whole;
- the floor: hand-written SQL computing the same figures with the same
  groupings, one statement per figure, through a raw cursor, rows fetched
  and nothing else;
- both twice, the best of each kept, and a check that they agree.

Target (issue 7): the job within 2x the floor, and under 30 s.
"""

import argparse
import atexit
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.report_county import populate_people  # noqa: E402
from bench.report_floor import FLOOR, PER_TERM, floor  # noqa: E402
from bench.report_money import populate_money  # noqa: E402
from bench.results import record  # noqa: E402

FULL = {"students": 100_000, "sessions": 2_000_000, "ledger": 300_000}
# Enough for a mentor in each of the 60 schools and every kind of row.
TINY = {"students": 2_000, "sessions": 20_000, "ledger": 3_000}


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://... : the benchmark runs on PostgreSQL.")
    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = database["NAME"] + "_report_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    atexit.register(lambda: connection.creation.destroy_test_db(old_name, verbosity=0))


def populate(n_students: int, n_sessions: int, n_ledger: int):
    """The county, written with COPY and explicit ids; returns (term, district, admin, counts)."""
    from django.db import connection

    from donations.models import LedgerEntry

    county = populate_people(n_students, n_sessions)
    awards = populate_money(county, n_students=n_students, n_ledger=n_ledger)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = county.counts | {"awards": awards, "ledger rows": LedgerEntry.objects.count()}
    return county.term, county.district, county.admin, counts


def job(term, district, admin) -> tuple[float, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workers.models import JobKind, Report, ReportScope
    from workers.reports import report_build
    from workers.services import job_create

    report = Report.objects.create(
        term=term,
        scope=ReportScope.DISTRICT,
        district=district,
        version=(Report.objects.count() + 1),
        job=job_create(kind=JobKind.TERM_REPORT, started_by=admin),
        built_by=admin,
    )
    marks = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report_build(report, lambda value: marks.append((value, time.perf_counter())))
        elapsed = time.perf_counter() - started
    report.refresh_from_db()
    assert report.status == "issued", report.error
    stages, previous_at = [], started
    for value, at in marks:
        stages.append(f"to {value}%: {at - previous_at:.2f} s")
        previous_at = at
    stages.append(f"rest: {started + elapsed - previous_at:.2f} s")
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
    return elapsed, {
        "data": report.data,
        "stages": stages,
        "queries": len(queries),
        "slowest": [(float(q["time"]), " ".join(q["sql"].split())[:90]) for q in slowest],
    }


def bench(*, students: int, sessions: int, ledger: int) -> dict:
    """Write the county, time the job and the floor twice each, check they agree, print."""
    from django.db import connection

    from mentoring.models import School, Term

    started = time.perf_counter()
    term, district, admin, counts = populate(students, sessions, ledger)
    print(
        f"County written in {time.perf_counter() - started:.0f} s (not timed): "
        + ", ".join(f"{n:,} {what}" for what, n in counts.items()),
        flush=True,
    )
    previous = Term.objects.get(district=district, code="2026-spring")
    schools = list(School.objects.filter(district=district).values_list("pk", flat=True))
    jobs, floors = [], []
    for _round in range(2):
        connection.close()
        floors.append(floor(term, previous, district, schools))
        jobs.append(job(term, district, admin))
    (job_s, built), (floor_s, rows) = min(jobs, key=lambda r: r[0]), min(floors, key=lambda r: r[0])
    data = built["data"]
    counted = sum(r[3] for r in rows["sessions"])
    paid = int(sum(r[3] for r in rows["payments"]))
    assert data["mentoring"]["total"]["sessions"] == counted
    assert data["aid"]["total"]["paid"] == f"{paid // 100}.{paid % 100:02d}"
    assert data["enrolment"]["total"]["students"] == sum(r[3] for r in rows["enrolment"])
    print(
        f"Report job: {job_s:.2f} s ({', '.join(built['stages'])})\n"
        f"Floor (hand-written SQL, {len(FLOOR) + len(PER_TERM)} statements): {floor_s:.2f} s\n"
        f"Job / floor: {job_s / floor_s:.2f}x (target: within 2x, and under 30 s)\n"
        f"Slowest statements of the job ({built['queries']} queries): "
        + "; ".join(f"{t:.2f} s {sql}" for t, sql in built["slowest"])
        + "\nSlowest of the floor: "
        + ", ".join(f"{name} {t:.2f} s" for name, t in rows["_slowest"])
        + "\n"
        f"Figures agree: {data['enrolment']['total']['students']:,} students, "
        f"{counted:,} sessions, {data['aid']['total']['paid']} yuan paid, "
        f"aided {data['aid']['total']['share_of_enrolment']} %, "
        f"government funds received {data['aid']['funds']['government']['arrival_rate']} % "
        f"of allocated, paid {data['aid']['funds']['government']['payout_rate']} % of awarded",
        flush=True,
    )
    record(
        "report",
        f"term report job ({students:,} students, {sessions:,} sessions)",
        job_s,
        floor="hand-written SQL of the figures",
        floor_value=floor_s,
        target_ratio=1.3,
        target_value=30.0,
    )
    return {"job_s": job_s, "floor_s": floor_s, "counts": counts}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=FULL["students"])
    parser.add_argument("--sessions", type=int, default=FULL["sessions"])
    parser.add_argument("--ledger", type=int, default=FULL["ledger"])
    parser.add_argument("--tiny", action="store_true", help="a quick run: " + str(TINY))
    args = parser.parse_args()
    size = TINY if args.tiny else {name: getattr(args, name) for name in FULL}
    _django()
    bench(**size)


if __name__ == "__main__":
    main()
