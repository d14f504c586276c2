"""Logging a session in a checked week: the queries of the request's own transaction.

The API's busiest write (issue 13's load benchmark logs sessions at saturation):
a tutoring session looks at no home-visit plan (a new session holds no entry),
and the refresh job it starts names its school without a second statement.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import SessionKind, VisitPlanEntry
from mentoring.services.sessions import session_log
from tests.mentoring.test_compliance import D, checked, clock, refresh_jobs, scene  # noqa: F401
from workers.models import Job

pytestmark = pytest.mark.django_db


def log(scene, kind=SessionKind.TUTORING):  # noqa: F811
    return session_log(
        by=scene.pairing.mentor.user,
        pairing_id=scene.pairing.pk,
        day=D(2026, 9, 16),
        minutes=50,
        kind=kind,
        subject="math" if kind == SessionKind.TUTORING else "",
        content="迟到的记录",
    )


def test_a_tutoring_session_in_a_checked_week_writes_with_few_queries(checked):  # noqa: F811
    with CaptureQueriesContext(connection) as queries:
        log(checked)
    statements = [query["sql"] for query in queries.captured_queries]

    assert not any(VisitPlanEntry._meta.db_table in sql for sql in statements)
    job_table = Job._meta.db_table
    assert [sql.split()[0] for sql in statements if job_table in sql] == ["INSERT"]
    job = refresh_jobs().get()
    assert job.school_id == checked.pairing.student.school_id
    # The pairing, the session and its history, the week's row, the job.
    assert len(statements) <= 7, statements


def test_a_home_visit_still_looks_for_its_plan_entry(checked):  # noqa: F811
    with CaptureQueriesContext(connection) as queries:
        log(checked, kind=SessionKind.HOME_VISIT)
    statements = [query["sql"] for query in queries.captured_queries]
    assert any(VisitPlanEntry._meta.db_table in sql for sql in statements)
