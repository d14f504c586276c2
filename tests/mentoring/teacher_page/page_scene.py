"""The world of the mentor's page tests (the pairings' world, the owner's mentee with a grade
and a class) and helpers that log in, read the page and fill its form.
"""

import datetime
import re

import pytest
from django.test import Client

from mentoring.models import Notification, NotificationKind, SessionKind, Subject, TutoringSession
from tests.mentoring.pairings.pairing_world import (
    World,
    build_world,
    clock,  # noqa: F401
)
from workers.factories import StudentRecordFactory

HOME = "/teacher/"
LOGIN = "/teacher/login/"
REMINDERS = "/teacher/reminders/"
MONDAY = datetime.date(2026, 11, 16)


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    w = build_world()
    StudentRecordFactory(student=w.owned.student, term=w.term, grade=4, class_name="2班")
    return w


def page_of(pairing) -> str:
    return f"/teacher/mentees/{pairing.pk}/"


def logged_in(user, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def form(**overrides) -> dict:
    data = {
        "date": "2026-11-18",
        "minutes": "45",
        "other_minutes": "",
        "kind": SessionKind.TUTORING,
        "subject": Subject.MATH,
        "content": "分数的加减法, 错题讲解",
    }
    data.update(overrides)
    return data


def html(response) -> str:
    return response.content.decode()


def error_on(response, field: str) -> str:
    """The text of the error shown next to `field`, or '' when there is none."""
    found = re.search(rf'<p class="error" id="error-{field}">(.*?)</p>', html(response))
    return found.group(1) if found else ""


def session_count() -> int:
    return TutoringSession.objects.count()


# Reminders


def _notification(user, n=0, **fields) -> Notification:
    values = {
        "recipient": user,
        "kind": NotificationKind.MISSED_WEEK,
        "key": f"missed_week:test:{user.pk}:{n}",
        "subject": f"本周没有辅导记录 {n}",
        "body": "请记录本周的辅导。",
    }
    values.update(fields)
    return Notification.objects.create(**values)
