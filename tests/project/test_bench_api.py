"""bench/api.py runs: its tiny size, through gunicorn and locust, on the test database.

The figures are printed, never asserted (the machine is shared); what fails
the test is the benchmark breaking: gunicorn not starting with production's
settings, or any request it sends not answered 2xx.
"""

import pytest

from bench import api

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_the_api_benchmark_runs_at_its_tiny_size(capsys):
    missed = api.bench(size=api.TINY, users=10, saturation=10, seconds=5, rounds=1)
    out = capsys.readouterr().out
    print(out)
    assert len(missed) == 1
    for operation in api.OPERATIONS:
        assert operation in out
    assert "session logging at saturation" in out
