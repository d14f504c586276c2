"""The database connection's own settings, as PostgreSQL sees them."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_connection_runs_without_jit_compilation():
    # config/settings/base.py says why: the reports' queries spent more time being
    # compiled than running.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_options_given_in_the_url_are_kept_beside_jit_off(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv(
        "DATABASE_URL", "postgres://u@127.0.0.1:5432/db?options=-c%20statement_timeout%3D5000"
    )
    try:
        reloaded = importlib.reload(base)
        assert reloaded.DATABASES["default"]["OPTIONS"]["options"] == (
            "-c statement_timeout=5000 -c jit=off"
        )
    finally:
        monkeypatch.undo()
        importlib.reload(base)
