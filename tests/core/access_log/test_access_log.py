"""The access log of students' records (mentoring.services.access_log): which reads are recorded.

The district with every kind of record is in access_scene.py, next to this file; the log's
append-only rule, reading it through /api/v1/access-log/ and the admin's pages have files of
their own in this folder.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from donations.models import Donor
from mentoring.models import (
    AccessLogStudent,
    MatchRun,
    MentorKind,
    PairingStatus,
    ProposedPair,
    Role,
    Student,
)
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.core.access_log.access_scene import entries_after, last_pk, one_entry, students_of
from workers.factories import (
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    id_number_for,
    member,
)

# (path, kind recorded, the students the answer names)
LISTS = [
    ("/api/v1/students/", "student", lambda row: row["id"]),
    ("/api/v1/pairings/", "pairing", lambda row: row["student"]),
    ("/api/v1/sessions/", "tutoringsession", lambda row: row["student"]),
    ("/api/v1/compliance/", "weeklycompliance", lambda row: row["student"]),
    ("/api/v1/assessments/", "assessment", lambda row: row["student"]),
    ("/api/v1/awards/", "award", lambda row: row["student"]),
    ("/api/v1/item-distributions/", "itemdistribution", lambda row: row["student"]),
]


@pytest.mark.parametrize(("path", "kind", "student_of"), LISTS)
def test_a_list_page_records_one_entry_with_the_students_on_the_page(town, path, kind, student_of):
    client = client_for(town.admin)
    mark = last_pk()

    response = client.get(path, {"page_size": 2}, REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 2 and response.json()["count"] > 2
    entry = one_entry(mark)
    assert (entry.user_id, entry.action, entry.object_kind) == (town.admin.pk, "list", kind)
    assert entry.object_id is None
    assert entry.path == path
    assert entry.address == "203.0.113.9"
    assert students_of(entry) == sorted({student_of(row) for row in rows})


@pytest.mark.parametrize(("path", "kind", "student_of"), LISTS)
def test_a_detail_records_one_entry_with_its_student(town, path, kind, student_of):
    client = client_for(town.admin)
    row = client.get(path, {"page_size": 1}).json()["results"][0]
    mark = last_pk()

    response = client.get(f"{path}{row['id']}/")

    assert response.status_code == 200
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == ("read", kind, row["id"])
    assert entry.path == f"{path}{row['id']}/"
    assert students_of(entry) == [student_of(response.json())]


def test_the_path_is_kept_without_its_query_string(town):
    client = client_for(town.admin)
    named = Student.objects.filter(school=town.busy).first()
    mark = last_pk()

    # A query parameter no filter reads is refused (core.filters) before
    # anything is listed, so nothing is logged for it.
    refused = client.get(
        "/api/v1/students/", {"search": named.name, "guardian_phone": "13800138000"}
    )
    assert refused.status_code == 400 and list(refused.json()) == ["guardian_phone"]
    assert last_pk() == mark

    response = client.get("/api/v1/students/", {"search": named.name, "school": town.busy.pk})

    assert [row["id"] for row in response.json()["results"]] == [named.pk]
    entry = one_entry(mark)
    assert entry.path == "/api/v1/students/"
    assert named.name not in str(entry.__dict__)


def test_a_mentor_reading_their_mentee_is_recorded_as_well(db):
    school = SchoolFactory()
    teacher = member(Role.TEACHER, school)
    pairing = PairingFactory(mentor=MentorFactory(user=teacher, schools=[school]))
    mark = last_pk()

    body = client_for(teacher).get("/api/v1/students/").json()

    assert [row["id"] for row in body["results"]] == [pairing.student_id]
    entry = one_entry(mark)
    assert (entry.user_id, students_of(entry)) == (teacher.pk, [pairing.student_id])


def test_the_match_runs_proposal_is_recorded_with_its_students(town):
    run = MatchRun.objects.create(term=town.term, kinds=["academic"], created_by=town.admin)
    run.schools.set([town.busy])
    students = list(Student.objects.filter(school=town.busy).order_by("pk")[:2])
    mentor = MentorFactory(schools=[town.busy])
    for student in students:
        pairing = PairingFactory(
            student=student, mentor=mentor, term=town.term, status=PairingStatus.PROPOSED
        )
        ProposedPair.objects.create(run=run, pairing=pairing)
    mark = last_pk()

    response = client_for(town.admin).get(f"/api/v1/match-runs/{run.pk}/pairs/")

    assert response.status_code == 200
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind) == ("list", "proposedpair")
    assert students_of(entry) == [s.pk for s in students]


def test_a_donors_outcomes_record_the_students_they_name(town):
    donor = Donor.objects.get(name="新华书店")
    given = list(Student.objects.filter(item_distributions__isnull=False).distinct().order_by("pk"))
    Student.objects.filter(pk=given[0].pk).update(guardian_consents_to_name=True)
    mark = last_pk()

    body = client_for(town.admin).get(f"/api/v1/donors/{donor.pk}/outcomes/").json()

    assert [s["name"] for s in body["items"][0]["named_students"]] == [given[0].name]
    assert "id" not in body["items"][0]["named_students"][0]
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == ("read", "donor", donor.pk)
    assert students_of(entry) == [given[0].pk]


def test_an_outcome_naming_nobody_records_nothing(town):
    donor = Donor.objects.get(name="新华书店")
    mark = last_pk()
    assert client_for(town.admin).get(f"/api/v1/donors/{donor.pk}/outcomes/").status_code == 200
    assert entries_after(mark) == []


def test_allocations_record_the_students_left_out(town):
    project = town.projects["aid"]
    mark = last_pk()

    body = client_for(town.admin).get(f"/api/v1/projects/{project.pk}/allocations/").json()

    named = sorted(row["student"] for allocation in body for row in allocation["left_out"])
    assert len(named) == 3
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind) == ("list", "allocation")
    assert students_of(entry) == named


def details_students(report) -> list[int]:
    from workers.reports import details_student_ids

    return sorted(details_student_ids(report.data["details"]))


def test_reading_a_report_with_its_records_records_their_students(town):
    mark = last_pk()

    response = client_for(town.admin).get(f"/api/v1/reports/{town.report.pk}/")

    details = response.json()["data"]["details"]
    assert details["left_out"] and details["late_or_unpaid_awards"] and details["missed_streaks"]
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == ("read", "report", town.report.pk)
    expected = details_students(town.report)
    assert {row["student"] for row in details["left_out"]} < set(expected)
    assert students_of(entry) == expected


@pytest.mark.parametrize("kind", ["html", "csv", "xlsx"])
def test_each_export_of_a_report_with_its_records_is_recorded(town, kind):
    mark = last_pk()

    response = client_for(town.admin).get(
        f"/api/v1/reports/{town.report.pk}/export/", {"format": kind}
    )

    assert response.status_code == 200
    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == (
        "export",
        "report",
        town.report.pk,
    )
    assert entry.path == f"/api/v1/reports/{town.report.pk}/export/"
    assert students_of(entry) == details_students(town.report)


def test_a_report_of_totals_only_and_the_list_of_reports_record_nothing(town):
    supervisor = member(Role.SUPERVISOR, town.busy, town.schools["kg"])
    mark = last_pk()

    body = client_for(supervisor).get(f"/api/v1/reports/{town.report.pk}/").json()
    assert "details" not in body["data"]
    assert (
        client_for(supervisor)
        .get(f"/api/v1/reports/{town.report.pk}/export/", {"format": "csv"})
        .status_code
        == 200
    )
    assert client_for(town.admin).get("/api/v1/reports/").status_code == 200

    assert entries_after(mark) == []


def test_the_mentors_page_records_the_mentees_shown(db):
    school = SchoolFactory()
    teacher = member(Role.TEACHER, school)
    mentor = MentorFactory(user=teacher, schools=[school], kind=MentorKind.TEACHER, capacity=3)
    pairings = [PairingFactory(mentor=mentor) for _ in range(2)]
    PairingFactory(mentor=mentor, status=PairingStatus.ENDED, ended_on=datetime.date(2026, 9, 30))
    client = Client()
    client.force_login(teacher)
    mark = last_pk()

    assert client.get("/teacher/").status_code == 200
    home = one_entry(mark)
    assert (home.action, home.object_kind, home.path) == ("list", "pairing", "/teacher/")
    assert students_of(home) == sorted(p.student_id for p in pairings)

    mark = last_pk()
    assert client.get(f"/teacher/mentees/{pairings[0].pk}/").status_code == 200
    page = one_entry(mark)
    assert (page.action, page.object_kind, page.object_id) == ("read", "pairing", pairings[0].pk)
    assert students_of(page) == [pairings[0].student_id]


def test_writes_empty_lists_refusals_and_public_pages_record_nothing(town):
    client = client_for(town.admin)
    mark = last_pk()

    created = client.post(
        "/api/v1/students/",
        {
            "school": town.busy.pk,
            "student_number": "NEW0001",
            "name": "新同学",
            "gender": "female",
            "birth_date": "2017-03-01",
            "id_number": id_number_for(9_999_001, datetime.date(2017, 3, 1)),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert client.get("/api/v1/students/", {"search": "没有这个人"}).json()["count"] == 0
    outsider = member(Role.ADMINISTRATOR, town.abroad)
    assert client_for(outsider).get(f"/api/v1/students/{created.json()['id']}/").status_code == 404
    assert client_for(member(Role.DONOR, town.busy)).get("/api/v1/students/").status_code in (
        200,
        403,
    )
    assert Client().get("/api/v1/public/notices/").status_code == 200
    assert client_for(town.admin).head("/api/v1/students/").status_code == 200

    assert entries_after(mark) == []


# Cost -------------------------------------------------------------------------------------------


def test_recording_a_page_costs_the_same_queries_for_few_and_many_students(db):
    school = SchoolFactory()
    admin = member(Role.ADMINISTRATOR, school)
    client = client_for(admin)
    for _ in range(60):
        StudentFactory(school=school)

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            assert len(client.get("/api/v1/students/", {"page_size": page_size}).json()["results"])
        return [q["sql"] for q in captured.captured_queries]

    few, many = queries(3), queries(60)

    assert len(few) == len(many)
    assert AccessLogStudent.objects.filter(entry=last_pk()).count() == 60
    savepoints = [sql for sql in many if "SAVEPOINT" in sql]
    if connection.vendor == "postgresql":
        # One statement writes the entry and its students: one round trip, no transaction.
        writes = [sql for sql in many if "INSERT INTO" in sql]
        assert len(writes) == 1
        assert "mentoring_accesslogentry" in writes[0]
        assert "mentoring_accesslogstudent" in writes[0]
        assert savepoints == []
        return
    inserts = [sql for sql in many if sql.startswith("INSERT")]
    assert len(inserts) == 2
    assert "mentoring_accesslogentry" in inserts[0]
    assert "mentoring_accesslogstudent" in inserts[1]
    assert len(inserts) + len(savepoints) == ACCESS_LOG_QUERIES
