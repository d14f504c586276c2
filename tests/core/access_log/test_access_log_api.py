"""/api/v1/access-log/: district and platform administrators read the log, filtered, paged."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import AccessAction, Role
from mentoring.services.access_log import access_record
from tests.conftest import client_for
from tests.core.access_log.access_scene import LOG, entries_after, last_pk
from workers.factories import DistrictFactory, SchoolFactory, StudentFactory, UserFactory, member

# Reading the log --------------------------------------------------------------------------------


@pytest.fixture
def ledger(db):
    """Two districts; entries about each, and one about students of both."""
    district = DistrictFactory()
    school_a, school_b = SchoolFactory(district=district), SchoolFactory(district=district)
    elsewhere = SchoolFactory()
    ours = [StudentFactory(school=school_a), StudentFactory(school=school_b)]
    theirs = StudentFactory(school=elsewhere)
    reader = member(Role.ADMINISTRATOR, school_a)
    root = UserFactory(is_superuser=True)

    def log(by, students, action=AccessAction.LIST):
        return access_record(
            by=by,
            action=action,
            kind="student",
            student_ids=[s.pk for s in students],
            path="/api/v1/students/",
            address="192.0.2.1",
        )

    return {
        "district": district,
        "school_a": school_a,
        "school_b": school_b,
        "elsewhere": elsewhere,
        "ours": ours,
        "theirs": theirs,
        "chief": member(Role.ADMINISTRATOR, school_a, school_b),
        "reader": reader,
        "root": root,
        "own": log(reader, ours[:1], AccessAction.READ),
        "both": log(root, [*ours, theirs]),
        "foreign": log(root, [theirs]),
        "log": log,
    }


@pytest.mark.parametrize("who", ["teacher", "volunteer", "donor", "supervisor", "school_admin"])
def test_only_district_and_platform_administrators_read_the_log(ledger, who):
    if who == "school_admin":
        user = ledger["reader"]  # administers one of the district's two schools
    else:
        user = member(who, ledger["school_a"], ledger["school_b"])
    response = client_for(user).get(LOG)
    assert response.status_code == 403
    assert client_for(user).get(f"{LOG}{ledger['own'].pk}/").status_code == 403


def test_the_administrator_of_another_district_reads_only_about_their_own_students(ledger):
    client = client_for(member(Role.ADMINISTRATOR, ledger["elsewhere"]))
    body = client.get(LOG).json()
    assert {row["id"] for row in body["results"]} == {ledger["both"].pk, ledger["foreign"].pk}
    assert {tuple(row["students"]) for row in body["results"]} == {(ledger["theirs"].pk,)}
    assert client.get(f"{LOG}{ledger['own'].pk}/").status_code == 404


def test_anonymous_is_asked_to_log_in(ledger, api):
    assert api.get(LOG).status_code == 401


def test_a_district_administrator_reads_the_entries_of_the_districts_students(ledger):
    client = client_for(ledger["chief"])
    mark = last_pk()

    body = client.get(LOG).json()

    by_id = {row["id"]: row for row in body["results"]}
    assert set(by_id) == {ledger["own"].pk, ledger["both"].pk}
    ours = sorted(s.pk for s in ledger["ours"])
    # The entry about students of both districts shows only this district's.
    assert by_id[ledger["both"].pk]["students"] == ours
    assert by_id[ledger["own"].pk] | {"at": None} == {
        "id": ledger["own"].pk,
        "at": None,
        "user": ledger["reader"].pk,
        "username": ledger["reader"].username,
        "action": "read",
        "object_kind": "student",
        "object_id": None,
        "path": "/api/v1/students/",
        "address": "192.0.2.1",
        "students": [ledger["ours"][0].pk],
    }
    assert client.get(f"{LOG}{ledger['foreign'].pk}/").status_code == 404
    # Reading the log is not itself recorded: its answers hold ids only.
    assert entries_after(mark) == []


def test_a_platform_administrator_reads_every_entry(ledger):
    body = client_for(ledger["root"]).get(LOG).json()
    assert body["count"] == 3
    both = next(row for row in body["results"] if row["id"] == ledger["both"].pk)
    assert len(both["students"]) == 3


def test_filters_by_student_user_action_and_time(ledger):
    client = client_for(ledger["chief"])
    first, second = ledger["ours"]

    def ids(**query):
        response = client.get(LOG, query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(student=first.pk) == {ledger["own"].pk, ledger["both"].pk}
    assert ids(student=second.pk) == {ledger["both"].pk}
    # A student of another district finds nothing, even in an entry shared with ours.
    assert ids(student=ledger["theirs"].pk) == set()
    assert ids(user=ledger["reader"].pk) == {ledger["own"].pk}
    assert ids(action="read") == {ledger["own"].pk}
    assert ids(action="list") == {ledger["both"].pk}
    now = timezone.now()
    assert ids(since=(now - datetime.timedelta(minutes=5)).isoformat()) == {
        ledger["own"].pk,
        ledger["both"].pk,
    }
    assert ids(since=(now + datetime.timedelta(minutes=5)).isoformat()) == set()
    assert ids(until=(now - datetime.timedelta(minutes=5)).isoformat()) == set()
    # A date is the district's (Asia/Shanghai): tomorrow there, which from 16:00 UTC
    # on is not tomorrow in UTC.
    assert ids(until=(timezone.localdate() + datetime.timedelta(days=1)).isoformat()) == {
        ledger["own"].pk,
        ledger["both"].pk,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"student": "abc"}, "student"),
        ({"student": str(2**70)}, "student"),
        ({"user": "x"}, "user"),
        ({"action": "delete"}, "action"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45"}, "until"),
    ],
)
def test_bad_filters_answer_400_naming_the_filter(ledger, query, field):
    response = client_for(ledger["chief"]).get(LOG, query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_log_is_paginated_and_costs_the_same_queries_however_long(ledger):
    client = client_for(ledger["chief"])

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            body = client.get(LOG, {"page_size": 100}).json()
        return len(captured), body

    few, small = count_queries()
    for _ in range(40):
        ledger["log"](ledger["chief"], ledger["ours"])
    many, large = count_queries()

    assert few == many
    assert (small["count"], large["count"]) == (2, 42)
    assert all(len(row["students"]) == 2 for row in large["results"][:40])
    page = client.get(LOG, {"page_size": 10, "page": 2}).json()
    assert len(page["results"]) == 10 and page["next"] and page["previous"]
