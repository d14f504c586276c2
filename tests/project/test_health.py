from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper


@pytest.mark.django_db
def test_healthz_answers_200_with_database_and_broker_status(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["status"] == "ok"
    # Tests run tasks eagerly.
    assert body["broker"] == "in-process"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client):
    with mock.patch.object(
        CursorWrapper, "execute", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "unavailable",
        "broker": "in-process",
        "status": "unavailable",
    }


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_reports_redis_broker(client, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert app.conf.broker_url.startswith("redis://")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker_without_failing(client, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 200
    assert response.json()["broker"] == "unavailable"


@pytest.mark.postgres
@pytest.mark.django_db
def test_suite_runs_on_postgresql_in_ci():
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 130000
