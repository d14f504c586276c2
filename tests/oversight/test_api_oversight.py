"""supervision-members/, supervision-meetings/, suggestions/, complaints/ and the complaint line.

Administrators of a school write its supervision group's records and handle
its complaints; district administrators the district's own; supervisors read;
teachers, volunteers and donors see none of it. Who complained is shown only
to the administrators who handle the complaint.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from mentoring.workdays import period_end
from oversight.models import Complaint, Suggestion, SupervisionMeeting, SupervisionMember
from tests.conftest import client_for
from workers.factories import DistrictFactory, SchoolFactory, member

MEMBERS = "/api/v1/supervision-members/"
MEETINGS = "/api/v1/supervision-meetings/"
SUGGESTIONS = "/api/v1/suggestions/"
COMPLAINTS = "/api/v1/complaints/"


def today():
    return timezone.localdate()


def add_member(user, school, **fields):
    body = {
        "school": school.pk,
        "name": "王家长",
        "affiliation": "parent",
        "joined_on": str(today() - timedelta(days=60)),
        **fields,
    }
    response = client_for(user).post(MEMBERS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def complaint_body(school, **fields):
    return {
        "school": school.pk,
        "received_on": str(today()),
        "channel": "phone",
        "complainant_name": "李先生",
        "complainant_contact": "13800000000",
        "subject": "助学金名单",
        "details": "认为某生家庭条件较好",
        **fields,
    }


# -- writing ---------------------------------------------------------------------------------


def test_a_school_administrator_keeps_the_group_its_meeting_and_a_suggestion(admin_a, school_a):
    first = add_member(admin_a, school_a)
    second = add_member(admin_a, school_a, name="赵代表", affiliation="deputy")
    meeting = client_for(admin_a).post(
        MEETINGS,
        {
            "school": school_a.pk,
            "held_on": str(today()),
            "topic": "春季资助公示检查",
            "minutes": "检查了公示栏与名单。",
            "attendees": [first["id"], second["id"]],
        },
        format="json",
    )
    assert meeting.status_code == 201, meeting.content
    assert {a["name"] for a in meeting.json()["attendees"]} == {"王家长", "赵代表"}
    evaluation = client_for(admin_a).post(
        SUGGESTIONS,
        {
            "school": school_a.pk,
            "kind": "evaluation",
            "rating": 4,
            "text": "公示及时",
            "meeting": meeting.json()["id"],
            "member": first["id"],
        },
        format="json",
    )
    assert evaluation.status_code == 201, evaluation.content
    answered = client_for(admin_a).post(
        f"{SUGGESTIONS}{evaluation.json()['id']}/answer/", {"answer": "谢谢"}, format="json"
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["answer"] == "谢谢" and answered.json()["answered_at"]
    again = client_for(admin_a).post(
        f"{SUGGESTIONS}{evaluation.json()['id']}/answer/", {"answer": "再答"}, format="json"
    )
    assert again.status_code == 409
    assert Suggestion.objects.get().answer == "谢谢"


def test_a_district_administrator_keeps_the_districts_own_group(district, district_admin, admin_a):
    body = {
        "district": district.code,
        "name": "县教育局纪检",
        "affiliation": "bureau",
        "joined_on": str(today()),
    }
    assert client_for(district_admin).post(MEMBERS, body, format="json").status_code == 201
    # A school's administrator does not write the district's own group.
    refused = client_for(admin_a).post(MEMBERS, body, format="json")
    assert refused.status_code == 400 and "district" in refused.json()
    assert SupervisionMember.objects.get().school is None


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_only_administrators_write(school_a, role):
    user = member(role, school_a)
    for url, body in [
        (
            MEMBERS,
            {
                "school": school_a.pk,
                "name": "某",
                "affiliation": "parent",
                "joined_on": "2026-09-01",
            },
        ),
        (COMPLAINTS, complaint_body(school_a)),
    ]:
        assert client_for(user).post(url, body, format="json").status_code == 403
    assert not SupervisionMember.objects.exists() and not Complaint.objects.exists()


def test_another_schools_administrator_cannot_write_here(admin_b, school_a):
    response = client_for(admin_b).post(COMPLAINTS, complaint_body(school_a), format="json")
    assert response.status_code == 400 and "school" in response.json()
    assert not Complaint.objects.exists()


def test_a_bad_meeting_names_every_bad_field_and_writes_nothing(
    admin_a, school_a, school_b, admin_b
):
    foreign = add_member(admin_b, school_b)
    response = client_for(admin_a).post(
        MEETINGS,
        {
            "school": school_a.pk,
            "held_on": str(today() + timedelta(days=3)),
            "topic": " ",
            "minutes": "",
            "attendees": [foreign["id"]],
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"held_on", "topic", "minutes", "attendees"} <= set(response.json())
    assert not SupervisionMeeting.objects.exists()


def test_attendees_must_be_members_on_the_day(admin_a, school_a):
    later = add_member(admin_a, school_a, joined_on=str(today()))
    response = client_for(admin_a).post(
        MEETINGS,
        {
            "school": school_a.pk,
            "held_on": str(today() - timedelta(days=1)),
            "topic": "t",
            "minutes": "m",
            "attendees": [later["id"]],
        },
        format="json",
    )
    assert response.status_code == 400 and "attendees" in response.json()


def test_a_bad_suggestion_names_every_bad_field(admin_a, school_a):
    response = client_for(admin_a).post(
        SUGGESTIONS,
        {"school": school_a.pk, "kind": "suggestion", "rating": 9, "text": " ", "meeting": 99999},
        format="json",
    )
    assert response.status_code == 400
    assert {"rating", "text", "meeting"} <= set(response.json())
    missing = client_for(admin_a).post(
        SUGGESTIONS, {"school": school_a.pk, "kind": "evaluation", "text": "好"}, format="json"
    )
    assert missing.status_code == 400 and "rating" in missing.json()
    assert not Suggestion.objects.exists()


def test_a_member_cannot_leave_before_joining(admin_a, school_a):
    response = client_for(admin_a).post(
        MEMBERS,
        {
            "school": school_a.pk,
            "name": "",
            "affiliation": "martian",
            "joined_on": "2026-09-01",
            "left_on": "2026-08-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"name", "affiliation", "left_on"} <= set(response.json())
    member_row = add_member(admin_a, school_a, joined_on="2026-09-01")
    patched = client_for(admin_a).patch(
        f"{MEMBERS}{member_row['id']}/", {"left_on": "2026-08-01"}, format="json"
    )
    assert patched.status_code == 400 and "left_on" in patched.json()
    ok = client_for(admin_a).patch(
        f"{MEMBERS}{member_row['id']}/", {"left_on": "2026-12-01"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["left_on"] == "2026-12-01"


# -- complaints --------------------------------------------------------------------------------


def test_a_complaint_is_due_within_the_districts_working_days(admin_a, school_a, district):
    received = date(2026, 11, 27)  # a Friday
    response = client_for(admin_a).post(
        COMPLAINTS, complaint_body(school_a, received_on=str(received)), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["answer_due_on"] == str(period_end(received, 15))
    # 15 working days from a Friday: that Friday and three weeks on, Thursday 2026-12-17.
    assert response.json()["answer_due_on"] == "2026-12-17"
    assert response.json()["status"] == "open"
    assert response.json()["allowed_actions"] == ["answer"]


def test_an_anonymous_complaint_keeps_no_identity(admin_a, school_a):
    refused = client_for(admin_a).post(
        COMPLAINTS, complaint_body(school_a, anonymous=True), format="json"
    )
    assert refused.status_code == 400
    assert {"complainant_name", "complainant_contact"} <= set(refused.json())
    nameless = client_for(admin_a).post(
        COMPLAINTS,
        complaint_body(school_a, complainant_name="", complainant_contact=""),
        format="json",
    )
    assert nameless.status_code == 400 and "complainant_name" in nameless.json()
    assert not Complaint.objects.exists()
    ok = client_for(admin_a).post(
        COMPLAINTS,
        complaint_body(school_a, anonymous=True, complainant_name="", complainant_contact=""),
        format="json",
    )
    assert ok.status_code == 201, ok.content


def test_a_bad_complaint_names_every_bad_field(admin_a, school_a):
    response = client_for(admin_a).post(
        COMPLAINTS,
        complaint_body(
            school_a,
            received_on=str(today() + timedelta(days=1)),
            channel="pigeon",
            subject="",
            details=" ",
        ),
        format="json",
    )
    assert response.status_code == 400
    assert {"received_on", "channel", "subject", "details"} <= set(response.json())


def test_answer_close_and_reopen(admin_a, school_a):
    pk = client_for(admin_a).post(COMPLAINTS, complaint_body(school_a), format="json").json()["id"]
    client = client_for(admin_a)
    assert client.post(f"{COMPLAINTS}{pk}/close/").status_code == 409
    assert (
        client.post(f"{COMPLAINTS}{pk}/answer/", {"answer": " "}, format="json").status_code == 400
    )
    answered = client.post(f"{COMPLAINTS}{pk}/answer/", {"answer": "已核实"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert answered.json()["answered_late"] is False
    assert answered.json()["allowed_actions"] == ["reopen", "close"]
    reopened = client.post(f"{COMPLAINTS}{pk}/reopen/")
    assert reopened.json()["status"] == "open" and reopened.json()["answer"] == ""
    client.post(f"{COMPLAINTS}{pk}/answer/", {"answer": "复核后答复"}, format="json")
    closed = client.post(f"{COMPLAINTS}{pk}/close/")
    assert closed.json()["status"] == "closed" and closed.json()["allowed_actions"] == []
    assert client.post(f"{COMPLAINTS}{pk}/reopen/").status_code == 409
    # The first answer is kept in the history.
    answers = set(Complaint.history.filter(id=pk).values_list("answer", flat=True))
    assert {"已核实", "复核后答复"} <= answers


def test_a_complaint_past_its_due_day_is_late(admin_a, school_a):
    received = today() - timedelta(days=60)
    pk = (
        client_for(admin_a)
        .post(COMPLAINTS, complaint_body(school_a, received_on=str(received)), format="json")
        .json()["id"]
    )
    assert client_for(admin_a).get(f"{COMPLAINTS}{pk}/").json()["answered_late"] is True


# -- reading ---------------------------------------------------------------------------------


@pytest.fixture
def scene(district, school_a, school_b, admin_a, admin_b, district_admin):
    other = SchoolFactory(district=DistrictFactory())
    admin_c = member("administrator", other)
    for user, school in [(admin_a, school_a), (admin_b, school_b), (admin_c, other)]:
        add_member(user, school)
        client_for(user).post(COMPLAINTS, complaint_body(school), format="json")
    own = {**complaint_body(school_a), "district": district.code}
    del own["school"]
    assert client_for(district_admin).post(COMPLAINTS, own, format="json").status_code == 201
    return {"other": other}


def _listed(user, url):
    response = client_for(user).get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_who_reads_what(scene, school_a, school_b, admin_a, district_admin):
    ids = {s: s.pk for s in (school_a, school_b, scene["other"])}
    supervisor = member("supervisor", school_a)
    assert {r["school"] for r in _listed(admin_a, COMPLAINTS)} == {ids[school_a], None}
    assert {r["school"] for r in _listed(supervisor, COMPLAINTS)} == {ids[school_a], None}
    assert {r["school"] for r in _listed(district_admin, COMPLAINTS)} == {
        ids[school_a],
        ids[school_b],
        None,
    }
    assert {r["school"] for r in _listed(supervisor, MEMBERS)} == {ids[school_a]}
    for role in ["teacher", "volunteer", "donor"]:
        user = member(role, school_a)
        for url in (MEMBERS, MEETINGS, SUGGESTIONS, COMPLAINTS):
            assert client_for(user).get(url).status_code == 403
    assert client_for(None).get(COMPLAINTS).status_code in (401, 403)


def test_only_the_handling_administrators_see_who_complained(scene, school_a, admin_a):
    supervisor = member("supervisor", school_a)
    mine = [r for r in _listed(admin_a, COMPLAINTS) if r["school"] == school_a.pk]
    assert mine[0]["complainant_name"] == "李先生"
    # The district's own complaint: a school administrator reads it, without the person.
    district_row = next(r for r in _listed(admin_a, COMPLAINTS) if r["school"] is None)
    assert district_row["complainant_name"] is None and district_row["allowed_actions"] == []
    for row in _listed(supervisor, COMPLAINTS):
        assert row["complainant_name"] is None and row["complainant_contact"] is None
        assert row["allowed_actions"] == []
    # A supervisor cannot answer; a school administrator cannot answer the district's.
    assert (
        client_for(supervisor)
        .post(f"{COMPLAINTS}{mine[0]['id']}/answer/", {"answer": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(admin_a)
        .post(f"{COMPLAINTS}{district_row['id']}/answer/", {"answer": "x"}, format="json")
        .status_code
        == 403
    )


def test_a_foreign_record_answers_like_a_missing_one(scene, admin_a):
    foreign = Complaint.objects.get(school=scene["other"])
    assert client_for(admin_a).get(f"{COMPLAINTS}{foreign.pk}/").status_code == 404
    assert client_for(admin_a).post(f"{COMPLAINTS}{foreign.pk}/close/").status_code == 404


# The user and its roles, the administered schools and districts, the count and the page.
QUERIES = {MEMBERS: 6, MEETINGS: 7, SUGGESTIONS: 6, COMPLAINTS: 6}


@pytest.mark.parametrize("url", [MEMBERS, MEETINGS, SUGGESTIONS, COMPLAINTS])
def test_list_query_count_does_not_grow(url, admin_a, school_a, django_assert_max_num_queries):
    def grow(n):
        for _ in range(n):
            m = add_member(admin_a, school_a)
            client_for(admin_a).post(COMPLAINTS, complaint_body(school_a), format="json")
            meeting = client_for(admin_a).post(
                MEETINGS,
                {
                    "school": school_a.pk,
                    "held_on": str(today()),
                    "topic": "t",
                    "minutes": "m",
                    "attendees": [m["id"]],
                },
                format="json",
            )
            client_for(admin_a).post(
                SUGGESTIONS,
                {
                    "school": school_a.pk,
                    "kind": "suggestion",
                    "text": "s",
                    "meeting": meeting.json()["id"],
                },
                format="json",
            )

    grow(1)
    client = client_for(admin_a)
    # The same bound for one row of each and for seven: no query per row.
    with django_assert_max_num_queries(QUERIES[url]):
        assert client.get(url).status_code == 200
    grow(6)
    with django_assert_max_num_queries(QUERIES[url]):
        assert len(client.get(url).json()["results"]) == 7


# -- the complaint line on what the district publishes ---------------------------------------


def test_the_complaint_line_is_on_the_public_donation_notice(district):
    district.complaint_phone = "0571-12345678"
    district.save()
    response = client_for(None).get(f"/api/v1/public/donations/?district={district.code}")
    assert response.status_code == 200
    assert response.json()["complaint_line"] == "0571-12345678"
