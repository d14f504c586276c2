"""/teacher/: logging a session through the service, every mistake shown next to its field."""

import datetime

import pytest

from mentoring.models import SessionKind, Subject, TutoringSession
from tests.mentoring.teacher_page.page_scene import (
    error_on,
    form,
    html,
    logged_in,
    page_of,
    session_count,
)

# Logging a session


def test_teacher_logs_a_session_through_the_service(world):
    client = logged_in(world.owner)

    response = client.post(page_of(world.owned), form())

    assert response.status_code == 302
    assert response["Location"] == page_of(world.owned) + "#messages"  # the banner (issue 17)
    session = TutoringSession.objects.get()
    assert session.pairing == world.owned
    assert session.logged_by == world.owner
    assert session.date == datetime.date(2026, 11, 18)
    assert session.minutes == 45
    assert session.subject == Subject.MATH
    assert session.kind == SessionKind.TUTORING
    assert session.content == "分数的加减法, 错题讲解"
    # Written through the service, so the audit history has it too.
    assert session.history.count() == 1
    shown = client.get(response["Location"])
    assert "分数的加减法, 错题讲解" in html(shown)


def test_a_typed_length_wins_over_the_preset(world):
    response = logged_in(world.owner).post(
        page_of(world.owned), form(minutes="45", other_minutes="75")
    )

    assert response.status_code == 302
    assert TutoringSession.objects.get().minutes == 75


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date": "2026-11-21"}, "date", "A session cannot be dated in the future."),
        ({"date": "2026-08-31"}, "date", "The date must fall inside the term."),
        ({"date": "2026-09-06"}, "date", "The date cannot precede the start of the pairing."),
        ({"date": "18.11.2026"}, "date", "Enter a valid date."),
        ({"date": ""}, "date", "This field is required."),
        ({"minutes": "", "other_minutes": "700"}, "minutes", "Minutes must be between 1 and 600."),
        ({"minutes": "", "other_minutes": "0"}, "minutes", "Minutes must be between 1 and 600."),
        ({"minutes": ""}, "minutes", "Choose the length or type it in."),
        ({"minutes": "44"}, "minutes", "Select a valid choice."),
        ({"other_minutes": "half"}, "other_minutes", "Enter a whole number."),
        ({"subject": ""}, "subject", "A tutoring session needs its subject."),
        ({"subject": "alchemy"}, "subject", "Select a valid choice."),
        ({"kind": "party"}, "kind", "Select a valid choice."),
        ({"content": "   "}, "content", "Describe what was done."),
        ({"content": "x" * 5001}, "content", "Keep the content within 5000 characters."),
    ],
)
def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_written(
    world, overrides, field, message
):
    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").post(
        page_of(world.owned), form(**overrides)
    )

    assert response.status_code == 400
    assert message in error_on(response, field), html(response)
    assert session_count() == 0
    # What the teacher typed is kept, so they fix one field and send again.
    if field != "content":
        assert "分数的加减法, 错题讲解" in html(response)


def test_every_mistake_of_the_form_is_shown_at_once(world):
    """The form's own errors (minutes) and the service's (date, subject, content) together."""
    response = logged_in(world.owner, HTTP_ACCEPT_LANGUAGE="en").post(
        page_of(world.owned),
        form(date="2099-01-01", minutes="", other_minutes="half", subject="", content=" "),
    )

    assert response.status_code == 400
    assert "Enter a whole number." in error_on(response, "other_minutes")
    assert "A session cannot be dated in the future." in error_on(response, "date")
    assert "A tutoring session needs its subject." in error_on(response, "subject")
    assert "Describe what was done." in error_on(response, "content")
    assert session_count() == 0
