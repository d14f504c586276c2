"""/api/v1/notifications/: each user reads and marks read their own notifications only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import Notification, NotificationKind
from tests.conftest import client_for
from workers.factories import member

URL = "/api/v1/notifications/"


def notify(user, n: int = 1, kind=NotificationKind.MISSED_WEEK, start: int = 0):
    return [
        Notification.objects.create(
            recipient=user,
            kind=kind,
            key=f"{kind}:{start + i}",
            subject=f"subject {start + i}",
            body="本周未记录辅导 / No tutoring logged",
            data={"pairing": start + i, "week": "2026-W42"},
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("role", ["administrator", "teacher", "volunteer", "donor", "supervisor"])
def test_every_role_reads_its_own_notifications_only(school_a, role):
    user = member(role, school_a)
    colleague = member(role, school_a)
    mine = notify(user, 2)
    notify(colleague, 3, start=10)

    response = client_for(user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {n.pk for n in mine}
    first = body["results"][0]
    assert first["read"] is False and first["read_at"] is None
    assert first["data"]["week"] == "2026-W42"


def test_anonymous_reads_nothing(api):
    assert api.get(URL).status_code == 401


def test_mark_read_once_keeps_the_first_time(school_a):
    user = member("teacher", school_a)
    (note,) = notify(user)
    client = client_for(user)

    response = client.post(f"{URL}{note.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True
    first = response.json()["read_at"]
    again = client.post(f"{URL}{note.pk}/read/")
    assert again.status_code == 200 and again.json()["read_at"] == first
    note.refresh_from_db()
    assert note.read_at is not None


def test_another_users_notification_answers_404_and_stays_unread(school_a):
    user, other = member("teacher", school_a), member("administrator", school_a)
    (theirs,) = notify(other)
    client = client_for(user)
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(f"{URL}999999/read/").status_code == 404


def test_filters_unread_and_kind(school_a):
    user = member("administrator", school_a)
    week, streak = notify(user)[0], notify(user, kind=NotificationKind.MISSED_STREAK)[0]
    client = client_for(user)
    client.post(f"{URL}{week.pk}/read/")
    unread = client.get(URL, {"unread": "true"}).json()["results"]
    assert [row["id"] for row in unread] == [streak.pk]
    read = client.get(URL, {"unread": "false"}).json()["results"]
    assert [row["id"] for row in read] == [week.pk]
    kind = client.get(URL, {"kind": "missed_week"}).json()["results"]
    assert [row["id"] for row in kind] == [week.pk]


@pytest.mark.parametrize("params", [{"unread": "maybe"}, {"kind": "party"}])
def test_bad_filters_answer_400(school_a, params):
    user = member("teacher", school_a)
    notify(user)
    response = client_for(user).get(URL, params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()


def test_notifications_are_not_written_through_the_api(school_a):
    user = member("teacher", school_a)
    (note,) = notify(user)
    client = client_for(user)
    assert client.post(URL, {"subject": "x"}).status_code == 405
    assert client.delete(f"{URL}{note.pk}/").status_code == 405
    assert client.patch(f"{URL}{note.pk}/", {"read_at": None}, format="json").status_code == 405
    assert Notification.objects.count() == 1


def test_list_takes_a_fixed_number_of_queries(school_a):
    user = member("teacher", school_a)
    client = client_for(user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {"page_size": 100})
        return len(captured.captured_queries), response.json()["count"]

    notify(user, 5)
    few, five = queries()
    notify(user, 45, start=5)
    many, fifty = queries()
    assert (five, fifty) == (5, 50)
    assert many == few
