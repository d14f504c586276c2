"""No personal data in logs: e-mails, Django's request warnings, and the scan of a test run's log.

The gunicorn access log is checked with the compose web command in
tests/project/test_deployment.py, a whole demo run in tests/workers/test_demo.py.
"""

import datetime
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from mentoring.models import Notification, NotificationKind
from mentoring.services.notifications import notifications_send_pending
from workers.factories import StudentFactory, UserFactory, id_number_for

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".ci"))
import scan_logs  # noqa: E402  (.ci/scan_logs.py, the script CI runs on the test log)

CHILD = "欧阳秀英"


def settings_of(tmp_path, **environment) -> str:
    """EMAIL_BACKEND as the embedded default (config.settings.base) reads it from `environment`."""
    script = (
        "import django; django.setup(); "
        "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    result = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_embedded_default_prints_e_mails_only_in_debug(tmp_path):
    assert settings_of(tmp_path) == "core.mail.CountOnlyEmailBackend"
    assert settings_of(tmp_path, DJANGO_DEBUG="true") == (
        "django.core.mail.backends.console.EmailBackend"
    )
    assert settings_of(tmp_path, EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend") == (
        "django.core.mail.backends.smtp.EmailBackend"
    )


def _reminder_about_a_child():
    mentor = UserFactory(email="mentor@example.org")
    return Notification.objects.create(
        recipient=mentor,
        kind=NotificationKind.MISSED_STREAK,
        key="missed_streak:1:2026-W40",
        subject=f"{CHILD}: 2 weeks without tutoring",
        body=f"{CHILD} (阳光小学) has had no tutoring session for 2 weeks in a row.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("backend", "printed"),
    [
        ("core.mail.CountOnlyEmailBackend", False),
        # What the embedded default used before, and still uses with DJANGO_DEBUG=true.
        ("django.core.mail.backends.console.EmailBackend", True),
    ],
)
def test_a_reminder_e_mail_leaves_the_childs_name_out_of_the_log(backend, printed, caplog, capsys):
    notification = _reminder_about_a_child()

    with override_settings(EMAIL_BACKEND=backend), caplog.at_level(logging.DEBUG):
        sent = notifications_send_pending(kinds=[NotificationKind.MISSED_STREAK])

    assert sent == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert (CHILD in logged) is printed
    assert ("mentor@example.org" in logged) is printed
    if not printed:
        assert "1 e-mail(s) to 1 recipient(s) not sent" in caplog.text


@pytest.mark.django_db
def test_the_count_only_backend_sends_nothing(caplog):
    with (
        override_settings(EMAIL_BACKEND="core.mail.CountOnlyEmailBackend"),
        caplog.at_level(logging.INFO),
    ):
        assert mail.send_mail(CHILD, CHILD, "a@example.org", ["b@example.org", "c@example.org"])
    assert "1 e-mail(s) to 2 recipient(s)" in caplog.text


@pytest.mark.django_db
def test_djangos_request_warnings_name_the_path_without_its_query(client, caplog):
    phone = "13912345678"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/api/v1/students/", {"search": CHILD, "phone": phone})
        missing = client.get("/api/v1/nowhere/", {"search": CHILD})
    assert (response.status_code, missing.status_code) == (401, 404)
    messages = [record.getMessage() for record in caplog.records]
    assert "Unauthorized: /api/v1/students/" in messages
    assert "Not Found: /api/v1/nowhere/" in messages
    assert CHILD not in caplog.text and phone not in caplog.text


# The scan of a test run's log (.ci/scan_logs.py) ----------------------------------------------


def test_the_scan_finds_id_numbers_phones_and_factory_names_and_nothing_else(tmp_path):
    student = StudentFactory.build(id_number=id_number_for(4242, datetime.date(2015, 6, 1)))
    id_number = id_number_for(4242, datetime.date(2015, 6, 1))
    bad_check_digit = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    log = tmp_path / "pytest.log"
    log.write_text(
        "\n".join(
            [
                "2026-12-03 10:00:00 INFO workers: Job 12 succeeded in 0.5 s",
                f"2026-12-03 10:00:01 WARNING django.request: Bad Request: {id_number}",
                f"2026-12-03 10:00:02 INFO mentoring: guardian 138 0013 8000, id {bad_check_digit}",
                f"2026-12-03 10:00:03 INFO mentoring: student {student.name} moved",
                "2026-12-03 10:00:04 INFO workers: order 2026120312345678901, ts 1733212800123",
                f"2026-12-03 10:00:05 INFO mentoring: masked {student.id_masked}",
                "2026-12-03 10:00:06 INFO mentoring: 示范县第一幼儿园 251 students",
            ]
        ),
        encoding="utf-8",
    )

    findings = scan_logs.scan(log)

    assert [(f.line, f.kind) for f in findings] == [
        (2, "ID number"),
        (3, "mobile number"),
        (4, "name"),
    ]
    assert id_number not in "".join(f.excerpt for f in findings)  # the report masks them too
    assert scan_logs.main([str(log)]) == 1
    clean = tmp_path / "clean.log"
    clean.write_text("2026-12-03 10:00:00 INFO workers: Job 12 succeeded\n", encoding="utf-8")
    assert scan_logs.main([str(clean)]) == 0
