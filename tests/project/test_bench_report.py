"""bench/report.py runs: its tiny county, on PostgreSQL, the job against the floor.

The timings are printed, never asserted (the machine is shared); what fails
the test is the benchmark breaking: the county not written (as when the bench
gave ids that `core.bulk.insert` takes from the sequence itself), the
report job not issued, or the job and the hand-written floor disagreeing.
"""

import pytest

from bench import report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_report_benchmark_runs_its_tiny_county(capsys):
    result = report.bench(**report.TINY)

    out = capsys.readouterr().out
    print(out)
    assert result["counts"]["students"] == report.TINY["students"]
    assert result["counts"]["sessions"] == report.TINY["sessions"]
    assert "Figures agree: 2,000 students, 20,000 sessions" in out
    assert result["job_s"] > 0
    assert result["floor_s"] > 0
