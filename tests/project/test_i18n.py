"""The Simplified Chinese translation is complete, compiled, and used by the API."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert len(po) > 40
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert po.metadata["Language"] == "zh_Hans"


def test_compiled_catalogue_matches_the_source():
    # Keyed by context and text: one text may be translated differently in two contexts.
    po = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(LOCALE / "django.po")) if e.msgid
    }
    mo = {
        (e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid
    }
    assert mo == po, "run `make messages` and commit django.mo"


@pytest.mark.django_db
def test_api_answers_in_chinese_by_default_and_english_on_request(api):
    chinese = api.post("/api/v1/auth/token/", {}, format="json")
    english = api.post("/api/v1/auth/token/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 400
    assert english.json()["username"] == ["This field is required."]
    assert chinese.json()["username"] == ["该字段是必填项。"]


@pytest.mark.django_db
def test_project_messages_are_translated_in_responses(client):
    assert client.get("/api/v1/no-such-page/").json() == {"detail": "未找到。"}
    english = client.get("/api/v1/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == {"detail": "Not found."}


def test_catalogue_covers_every_marked_string_in_the_source(tmp_path):
    """What `make messages` would extract today is already in the committed catalogue."""
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed")
    root = LOCALE.parent.parent.parent
    for name in [
        "config",
        "core",
        "mentoring",
        "donations",
        "oversight",
        "workers",
        "console",
        "locale",
        "manage.py",
    ]:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    fresh = {e.msgid for e in polib.pofile(str(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(LOCALE / "django.po"))}
    assert fresh - committed == set(), "run `make messages` and translate the new strings"
