"""/api/v1/sessions/: logged by the pairing's mentor only, changed within 7 days."""

import datetime

import pytest

from mentoring.models import PairingStatus, SessionKind, Subject, TutoringSession
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.mentoring.pairings.pairing_world import NOW, TODAY, World, build_world, clock  # noqa: F401
from workers.factories import PairingFactory, StudentFactory, TutoringSessionFactory

SESSIONS_URL = "/api/v1/sessions/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    w = build_world()
    # One session in each pairing, logged on 2026-11-16 (four days before NOW).
    for pairing in (w.owned, w.colleagues, w.outsiders, w.volunteers):
        TutoringSessionFactory(pairing=pairing, date=datetime.date(2026, 11, 16))
    return w


def session_of(pairing) -> TutoringSession:
    return pairing.sessions.get()


def detail_url(session) -> str:
    return f"{SESSIONS_URL}{session.pk}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def row_counts() -> tuple[int, int]:
    return TutoringSession.objects.count(), TutoringSession.history.count()


def new_session(pairing, /, **overrides) -> dict:
    payload = {
        "pairing": pairing.pk,
        "date": "2026-11-18",
        "minutes": 45,
        "subject": Subject.MATH,
        "kind": SessionKind.TUTORING,
        "content": "分数的加减法, 错题讲解",
    }
    payload.update(overrides)
    return payload


def state(session) -> tuple:
    session.refresh_from_db()
    return (session.date, session.minutes, session.subject, session.kind, session.content)


# Permissions: reading


def test_anonymous_request_answers_401(api, world):
    session = session_of(world.owned)
    before = row_counts()

    assert api.get(SESSIONS_URL).status_code == 401
    assert api.get(detail_url(session)).status_code == 401
    assert api.post(SESSIONS_URL, new_session(world.owned), format="json").status_code == 401
    assert api.patch(detail_url(session), {"minutes": 5}, format="json").status_code == 401
    assert api.delete(detail_url(session)).status_code == 401
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["donor", "supervisor"])
def test_donors_and_supervisors_see_and_log_no_session(world, persona):
    client = client_for(getattr(world, persona))
    session = session_of(world.owned)
    before = row_counts()

    listed = client.get(SESSIONS_URL)
    retrieved = client.get(detail_url(session))
    created = client.post(SESSIONS_URL, new_session(world.owned), format="json")
    deleted = client.delete(detail_url(session))

    assert listed.status_code == 403
    assert "results" not in listed.json()
    assert retrieved.status_code == 403
    assert session.content not in retrieved.content.decode()
    assert created.status_code == 403
    assert deleted.status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize(
    ("persona", "own"),
    [
        ("owner", "owned"),
        ("colleague", "colleagues"),
        ("outsider", "outsiders"),
        ("volunteer", "volunteers"),
    ],
)
def test_a_mentor_lists_only_the_sessions_of_their_own_pairings(world, persona, own):
    response = client_for(getattr(world, persona)).get(SESSIONS_URL)

    assert ids(response) == {session_of(getattr(world, own)).pk}


def test_owner_reads_own_session(world):
    session = session_of(world.owned)

    response = client_for(world.owner).get(detail_url(session))

    assert response.status_code == 200
    body = response.json()
    assert body["pairing"] == world.owned.pk
    assert body["student"] == world.owned.student_id
    assert body["student_name"] == world.owned.student.name
    assert body["mentor"] == world.owner.mentor.pk
    assert body["term"] == world.term.pk
    assert body["minutes"] == 45
    assert body["logged_by"] == world.owner.pk
    assert body["mentor_editable_until"].startswith("2026-11-27")


@pytest.mark.parametrize("persona", ["colleague", "outsider", "volunteer", "admin_b"])
def test_a_session_outside_the_viewers_scope_answers_404_to_read_change_or_delete(world, persona):
    session = session_of(world.owned)
    client = client_for(getattr(world, persona))
    before = state(session)

    retrieved = client.get(detail_url(session))
    patched = client.patch(detail_url(session), {"minutes": 5}, format="json")
    deleted = client.delete(detail_url(session))

    assert retrieved.status_code == patched.status_code == deleted.status_code == 404
    assert session.content not in retrieved.content.decode()
    assert state(session) == before


def test_administrator_sees_every_session_of_their_school(world):
    response = client_for(world.admin_a).get(SESSIONS_URL)

    assert ids(response) == {
        session_of(world.owned).pk,
        session_of(world.colleagues).pk,
        session_of(world.volunteers).pk,
    }
    assert ids(client_for(world.admin_b).get(SESSIONS_URL)) == {session_of(world.outsiders).pk}


def test_platform_administrator_sees_every_session(world):
    response = client_for(world.superuser).get(SESSIONS_URL)

    assert response.json()["count"] == 4


def test_mentor_keeps_reading_sessions_of_an_ended_pairing(world):
    world.owned.status = PairingStatus.ENDED
    world.owned.ended_on = datetime.date(2026, 11, 17)
    world.owned.save()

    response = client_for(world.owner).get(SESSIONS_URL)

    assert ids(response) == {session_of(world.owned).pk}


# Permissions: logging


def test_owner_logs_a_session_for_their_pairing(world):
    response = client_for(world.owner).post(SESSIONS_URL, new_session(world.owned), format="json")

    assert response.status_code == 201, response.content
    session = TutoringSession.objects.get(pk=response.json()["id"])
    assert session.pairing == world.owned
    assert session.logged_by == world.owner
    assert session.date == datetime.date(2026, 11, 18)
    assert session.minutes == 45
    assert session.subject == Subject.MATH
    assert session.content == "分数的加减法, 错题讲解"
    assert response.json()["content"] == "分数的加减法, 错题讲解"


def test_volunteer_logs_a_home_visit_without_a_subject(world):
    payload = new_session(world.volunteers, kind=SessionKind.HOME_VISIT, subject="")
    del payload["subject"]

    response = client_for(world.volunteer).post(SESSIONS_URL, payload, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["subject"] == ""
    assert response.json()["kind"] == SessionKind.HOME_VISIT


def test_a_session_can_be_logged_today(world):
    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, date=TODAY.isoformat()), format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize("persona", ["colleague", "outsider", "volunteer", "admin_b"])
def test_logging_for_a_foreign_pairing_answers_like_an_unknown_pairing(world, persona):
    client = client_for(getattr(world, persona))
    before = row_counts()

    foreign = client.post(
        SESSIONS_URL, new_session(world.owned), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    unknown = client.post(
        SESSIONS_URL,
        new_session(world.owned, pairing=999_999),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json() == {"pairing": ["Unknown pairing."]}
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["admin_a", "superuser"])
def test_administrators_do_not_log_sessions_for_a_mentor(world, persona):
    before = row_counts()

    response = client_for(getattr(world, persona)).post(
        SESSIONS_URL, new_session(world.owned), format="json"
    )

    assert response.status_code == 403
    assert "pairing" in response.json()
    assert row_counts() == before


# Validation


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 601}, "minutes"),
        ({"minutes": "forty"}, "minutes"),
        ({"date": "2026-11-21"}, "date"),  # tomorrow
        ({"date": "2026-08-31"}, "date"),  # before the term
        ({"date": "2026-09-06"}, "date"),  # before the pairing started (09-07)
        ({"date": "not-a-date"}, "date"),
        ({"subject": ""}, "subject"),
        ({"subject": "astrology"}, "subject"),
        ({"content": ""}, "content"),
        ({"content": "   "}, "content"),
        ({"content": "x" * 5001}, "content"),
        ({"kind": "sightseeing"}, "kind"),
        ({"pairing": "abc"}, "pairing"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(world, overrides, field):
    before = row_counts()

    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, **overrides), format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert row_counts() == before


def test_missing_subject_for_tutoring_is_refused(world):
    payload = new_session(world.owned)
    del payload["subject"]
    before = row_counts()

    response = client_for(world.owner).post(
        SESSIONS_URL, payload, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"subject": ["A tutoring session needs its subject."]}
    assert row_counts() == before


def test_a_date_after_the_term_in_the_future_is_refused(world, clock):  # noqa: F811
    clock.return_value = datetime.datetime(2027, 2, 10, 9, 0, tzinfo=NOW.tzinfo)

    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, date="2027-01-25"), format="json"
    )

    assert response.status_code == 400
    assert "date" in response.json()


def test_future_means_the_local_date_in_shanghai(world, clock):  # noqa: F811
    # 2026-11-20 23:30 UTC is already 2026-11-21 07:30 in Shanghai.
    clock.return_value = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=datetime.UTC)

    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(world.owned, date="2026-11-21"), format="json"
    )

    assert response.status_code == 201


def test_an_ended_pairing_takes_no_new_session(world):
    world.owned.status = PairingStatus.ENDED
    world.owned.ended_on = datetime.date(2026, 11, 19)
    world.owned.save()
    before = row_counts()

    response = client_for(world.owner).post(
        SESSIONS_URL,
        new_session(world.owned, date="2026-11-18"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {"pairing": ["Sessions are logged for active pairings only."]}
    assert row_counts() == before


def test_a_proposed_pairing_is_unknown_to_its_future_mentor(world):
    proposed = PairingFactory(
        mentor=world.owner.mentor,
        student=StudentFactory(school=world.school_a),
        term=world.term,
        status=PairingStatus.PROPOSED,
    )

    response = client_for(world.owner).post(
        SESSIONS_URL, new_session(proposed), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"pairing": ["Unknown pairing."]}


# Changes and the 7-day window


def test_owner_corrects_a_session_within_7_days(world):
    session = session_of(world.owned)

    response = client_for(world.owner).patch(
        detail_url(session), {"minutes": 60, "content": "改正: 60 分钟"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert state(session)[1] == 60
    assert response.json()["content"] == "改正: 60 分钟"
    assert session.history.first().history_user == world.owner


def test_owner_deletes_a_session_within_7_days(world):
    session = session_of(world.owned)

    response = client_for(world.owner).delete(detail_url(session))

    assert response.status_code == 204
    assert not TutoringSession.objects.filter(pk=session.pk).exists()
    assert TutoringSession.history.filter(id=session.pk).first().history_type == "-"


def test_after_7_days_the_owner_can_no_longer_change_or_delete(world, clock):  # noqa: F811
    session = session_of(world.owned)
    before = state(session)
    clock.return_value = session.created_at + datetime.timedelta(days=7, minutes=1)
    client = client_for(world.owner)

    patched = client.patch(detail_url(session), {"minutes": 5}, format="json")
    deleted = client.delete(detail_url(session))

    assert patched.status_code == deleted.status_code == 403
    assert state(session) == before


def test_on_the_last_minute_of_the_window_the_owner_still_may(world, clock):  # noqa: F811
    session = session_of(world.owned)
    clock.return_value = session.created_at + datetime.timedelta(days=7)

    response = client_for(world.owner).patch(detail_url(session), {"minutes": 50}, format="json")

    assert response.status_code == 200
    assert state(session)[1] == 50


def test_after_7_days_an_administrator_of_the_school_corrects_and_is_recorded(
    world,
    clock,  # noqa: F811
):
    session = session_of(world.owned)
    clock.return_value = session.created_at + datetime.timedelta(days=30)

    response = client_for(world.admin_a).patch(
        detail_url(session), {"date": "2026-11-17"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert state(session)[0] == datetime.date(2026, 11, 17)
    assert session.history.first().history_user == world.admin_a


def test_administrator_deletes_any_session_of_their_school(world, clock):  # noqa: F811
    session = session_of(world.colleagues)
    clock.return_value = session.created_at + datetime.timedelta(days=30)

    response = client_for(world.admin_a).delete(detail_url(session))

    assert response.status_code == 204
    assert not TutoringSession.objects.filter(pk=session.pk).exists()
    assert TutoringSession.history.filter(id=session.pk).first().history_user == world.admin_a


def test_platform_administrator_corrects_a_session(world):
    session = session_of(world.outsiders)

    response = client_for(world.superuser).patch(
        detail_url(session), {"kind": SessionKind.COUNSELLING}, format="json"
    )

    assert response.status_code == 200
    assert state(session)[3] == SessionKind.COUNSELLING


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 601}, "minutes"),
        ({"date": "2026-11-21"}, "date"),
        ({"date": "2026-09-01"}, "date"),  # in the term, before the pairing started
        ({"subject": ""}, "subject"),
        ({"content": " "}, "content"),
        ({"kind": "party"}, "kind"),
        ({"pairing": 1}, "pairing"),
        ({"logged_by": 1}, "logged_by"),
    ],
)
def test_a_bad_correction_answers_400_and_changes_nothing(world, payload, field):
    session = session_of(world.owned)
    before = state(session)

    response = client_for(world.owner).patch(detail_url(session), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert state(session) == before


def test_a_correction_cannot_move_a_session_after_the_pairing_ended(world):
    session = session_of(world.owned)
    world.owned.status = PairingStatus.ENDED
    world.owned.ended_on = datetime.date(2026, 11, 17)
    world.owned.save()

    response = client_for(world.admin_a).patch(
        detail_url(session), {"date": "2026-11-19"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {"date": ["The date cannot follow the end of the pairing."]}
    assert state(session)[0] == datetime.date(2026, 11, 16)


def test_changing_a_tutoring_session_into_a_home_visit_may_drop_the_subject(world):
    session = session_of(world.owned)

    response = client_for(world.owner).patch(
        detail_url(session), {"kind": SessionKind.HOME_VISIT, "subject": ""}, format="json"
    )

    assert response.status_code == 200
    assert state(session)[2:4] == ("", SessionKind.HOME_VISIT)


# Filters


def test_filters_by_pairing_term_dates_kind_mentor_and_student(world):
    client = client_for(world.admin_a)
    owned = session_of(world.owned)
    visit = TutoringSessionFactory(
        pairing=world.owned,
        date=datetime.date(2026, 10, 12),
        kind=SessionKind.HOME_VISIT,
        subject="",
    )

    assert ids(client.get(SESSIONS_URL, {"pairing": world.owned.pk})) == {owned.pk, visit.pk}
    assert ids(client.get(SESSIONS_URL, {"kind": SessionKind.HOME_VISIT})) == {visit.pk}
    assert ids(client.get(SESSIONS_URL, {"date_before": "2026-10-31"})) == {visit.pk}
    assert ids(
        client.get(SESSIONS_URL, {"date_after": "2026-10-01", "date_before": "2026-10-31"})
    ) == {visit.pk}
    assert ids(client.get(SESSIONS_URL, {"mentor": world.colleague.mentor.pk})) == {
        session_of(world.colleagues).pk
    }
    assert ids(client.get(SESSIONS_URL, {"student": world.volunteers.student_id})) == {
        session_of(world.volunteers).pk
    }
    assert len(ids(client.get(SESSIONS_URL, {"term": world.term.pk}))) == 4
    assert ids(client.get(SESSIONS_URL, {"term": world.term.pk + 1000})) == set()


def test_filtering_on_a_foreign_pairing_reveals_nothing(world):
    response = client_for(world.owner).get(SESSIONS_URL, {"pairing": world.colleagues.pk})

    assert ids(response) == set()


def test_a_bad_date_filter_answers_400(world):
    response = client_for(world.owner).get(SESSIONS_URL, {"date_after": "soon"})

    assert response.status_code == 400
    assert "date" in response.json()


# Query count


@pytest.mark.parametrize("persona", ["admin_a", "owner"])
def test_list_query_count_does_not_grow_with_rows(world, persona, django_assert_max_num_queries):
    client = client_for(getattr(world, persona))

    def make(n):
        for day in range(n):
            TutoringSessionFactory(
                pairing=world.owned, date=datetime.date(2026, 9, 10) + datetime.timedelta(day)
            )

    make(4)
    with django_assert_max_num_queries(5 + ACCESS_LOG_QUERIES):
        small = client.get(SESSIONS_URL)
    make(46)
    with django_assert_max_num_queries(5 + ACCESS_LOG_QUERIES):
        large = client.get(SESSIONS_URL)

    assert large.json()["count"] == small.json()["count"] + 46
    assert len(large.json()["results"]) == 50
