"""Every benchmark runs at its tiny size, through bench/run_all.py, as `make bench` runs them.

The figures are printed and tabled, never asserted (the machine is shared);
what fails the test is a benchmark breaking: an exception, a count that does
not add up (the report's job and its hand-written floor disagreeing, the
roster's rows not all written), gunicorn not starting with production's
settings, a request of the API benchmark not answered 2xx, or a bench that
no longer reports the figures its targets are read from.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import api_requests
from bench.run_all import BENCHES

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_at_its_tiny_size_and_reports_its_figures(tmp_path):
    # The database and Redis of the run (CI's DATABASE_URL and REDIS_URL);
    # each bench makes a database of its own beside it and drops it.
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/run_all.py", "--tiny", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(done.stdout[-20_000:], done.stderr[-5_000:])
    assert done.returncode == 0, done.stderr[-2_000:]
    results = out.read_text()
    for name in BENCHES:
        assert re.search(rf"^\| {name} \| \d+ s \| [\d. ]+ \| [\d. ]+ \| ran \|$", results, re.M)
    rows = [line for line in results.splitlines() if line.startswith("| ")]
    measures = {line.split(" | ")[0][2:] + ": " + line.split(" | ")[1] for line in rows}
    for expected in (
        "matching: whole job (county, 2,000 students)",
        "matching: approve",
        "weekly: whole term at once (1,200 pairings)",
        "weekly: Monday check (one new week) (1,200 pairings)",
        "roster_import: CSV import (500 new), postgresql, 500 rows",
        "roster_import: XLSX (openpyxl-written) import, sqlite, 500 rows",
        "report: term report job",
        "api: round 1, session logging alone at saturation",
        "api: round 1, floor: auth alone at saturation (a bound, not a target)",
        "api: round 1, floor: write alone at saturation (a bound, not a target)",
        "province: fan-out wall time (400 students, 4 counties, 2 worker processes)",
        "province: CPU seconds per county in its worker (400 students, 4 counties, 1 worker",
    ):
        assert any(m.startswith(expected) for m in measures), expected
    for operation in api_requests.OPERATIONS:
        if operation not in ("floor", "floor: me"):
            assert any(f": {operation} p50" in m for m in measures), operation
    assert "figures with a target missed it" in results
