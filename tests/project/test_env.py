import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env


def test_missing_required_variable_names_it():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY must be set"):
        Env({}).str("DJANGO_SECRET_KEY")


def test_empty_value_counts_as_missing():
    assert Env({"X": ""}).str("X", default="fallback") == "fallback"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("off", False)])
def test_bool_reads_the_usual_spellings(raw, expected):
    assert Env({"FLAG": raw}).bool("FLAG") is expected


def test_bool_refuses_anything_else():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_DEBUG='ture' is not a boolean"):
        Env({"DJANGO_DEBUG": "ture"}).bool("DJANGO_DEBUG", default=False)


def test_int_refuses_text_and_values_below_minimum():
    with pytest.raises(ImproperlyConfigured, match="is not an integer"):
        Env({"N": "ten"}).int("N")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        Env({"N": "0"}).int("N", minimum=1)
    assert Env({"N": "30"}).int("N", minimum=1) == 30


def test_int_refuses_values_above_maximum():
    with pytest.raises(ImproperlyConfigured, match="NUM_PROXIES=6 must be at most 5"):
        Env({"NUM_PROXIES": "6"}).int("NUM_PROXIES", default=0, maximum=5)
    assert Env({"NUM_PROXIES": "5"}).int("NUM_PROXIES", default=0, maximum=5) == 5


def test_list_splits_on_commas_and_refuses_empty_items():
    assert Env({"H": "a.org, b.org"}).list("H") == ["a.org", "b.org"]
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        Env({"H": "a.org,,b.org"}).list("H")


def test_url_refuses_other_schemes():
    env = Env({"DATABASE_URL": "mysql://root@localhost/db"})
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with one of postgres"):
        env.url("DATABASE_URL", schemes=("postgres", "sqlite"))
    assert Env({}).url("DATABASE_URL", default=None, schemes=("postgres",)) is None


def test_settings_refuse_a_bad_value_at_start(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql://x/y", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must start with one of" in result.stderr


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"NUM_PROXIES": "-1"}, "NUM_PROXIES=-1 must be at least 0"),
        ({"LOGIN_FAILURES_PER_ACCOUNT": "0"}, "LOGIN_FAILURES_PER_ACCOUNT=0 must be at least 1"),
        ({"LOGIN_LOCKOUT_MINUTES": "soon"}, "LOGIN_LOCKOUT_MINUTES='soon' is not an integer"),
        (
            {"LOGIN_FAILURES_PER_ACCOUNT": "10", "LOGIN_FAILURES_PER_ADDRESS": "5"},
            "LOGIN_FAILURES_PER_ADDRESS must be at least LOGIN_FAILURES_PER_ACCOUNT",
        ),
    ],
)
def test_settings_refuse_a_bad_login_limit_at_start(tmp_path, environment, message):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings.base"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr
