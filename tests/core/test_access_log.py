"""The access log of students' records (mentoring.services.access_log, /api/v1/access-log/).

Every path that serves named students writes one entry per request with the
ids of exactly the students served; the database refuses to change or
delete an entry; district and platform administrators read the entries of
their districts' students, and nobody else reads any.
"""

import datetime
import sqlite3

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import append_only
from donations.models import Donor
from mentoring.models import (
    AccessAction,
    AccessLogEntry,
    AccessLogStudent,
    Assessment,
    AssessmentStatus,
    MatchRun,
    MentorKind,
    PairingStatus,
    ProposedPair,
    Role,
    Student,
)
from mentoring.services.access_log import access_record
from tests.conftest import ACCESS_LOG_QUERIES, client_for
from tests.report_scene import busy_school, kindergarten_scene
from workers.factories import (
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    TutoringSessionFactory,
    UserFactory,
    id_number_for,
    member,
)
from workers.models import ReportStatus
from workers.reports import report_start

LOG = "/api/v1/access-log/"


def entries_after(mark: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(pk__gt=mark).order_by("pk"))


def last_pk() -> int:
    return AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def students_of(entry: AccessLogEntry) -> list[int]:
    return sorted(entry.students.values_list("student_id", flat=True))


def one_entry(mark: int) -> AccessLogEntry:
    made = entries_after(mark)
    assert len(made) == 1, [(e.object_kind, e.path) for e in made]
    return made[0]


# A district with every kind of record -----------------------------------------------------------


@pytest.fixture
def town(db, django_capture_on_commit_callbacks):
    """The seeds' kindergarten and a busy primary school of one district, and one more district.

    `scene.admin` administers both schools: the district's administrator.
    """
    scene = kindergarten_scene()
    scene.busy = busy_school(scene, "BUSY", 40)
    # The scene leaves its publicized assessments without the notice's dates the service sets.
    Assessment.objects.filter(status=AssessmentStatus.PUBLICIZED).update(
        notice_starts_on=datetime.date(2026, 9, 10), notice_ends_on=datetime.date(2026, 9, 18)
    )
    scene.school_admin = member(Role.ADMINISTRATOR, scene.busy, username="busy_admin")
    scene.abroad = SchoolFactory(district=DistrictFactory(code="ELSEWHERE"))
    scene.foreigner = StudentFactory(school=scene.abroad)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_start(by=scene.admin, term_id=scene.term.pk, district_id=scene.district.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.ISSUED, report.error
    scene.report = report
    return scene


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


# Append-only ------------------------------------------------------------------------------------


@pytest.fixture
def entry(db):
    student = StudentFactory()
    return access_record(
        by=UserFactory(),
        action=AccessAction.READ,
        kind="student",
        student_ids=[student.pk],
        path="/api/v1/students/1/",
        address="127.0.0.1",
        object_id=student.pk,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE mentoring_accesslogentry SET path = '/elsewhere/'",
        "UPDATE mentoring_accesslogentry SET user_id = user_id + 1",
        "DELETE FROM mentoring_accesslogentry",
        "UPDATE mentoring_accesslogstudent SET student_id = student_id + 1",
        "DELETE FROM mentoring_accesslogstudent",
    ],
)
def test_the_database_refuses_to_change_or_delete_the_log(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.path == "/api/v1/students/1/"
    assert AccessLogStudent.objects.filter(entry=entry).count() == 1


def test_the_orm_cannot_change_or_delete_the_log_either(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(action=AccessAction.LIST)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogStudent.objects.filter(entry=entry).delete()
    assert AccessLogStudent.objects.filter(entry=entry).count() == 1


def test_deleting_a_student_or_an_account_keeps_what_the_log_says_of_them(entry):
    link = entry.students.get()
    Student.objects.filter(pk=link.student_id).delete()
    type(entry.user).objects.filter(pk=entry.user_id).delete()

    assert AccessLogStudent.objects.get(pk=link.pk).student_id == link.student_id
    assert AccessLogEntry.objects.get(pk=entry.pk).user_id == entry.user_id


@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_empties_the_log():
    """Emptying everything (the test suite between tests, `manage.py flush`) stays possible."""
    student = StudentFactory()
    access_record(
        by=UserFactory(),
        action=AccessAction.LIST,
        kind="student",
        student_ids=[student.pk],
        path="/",
        address=None,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert AccessLogEntry.objects.count() == AccessLogStudent.objects.count() == 0


def test_sqlite_triggers_refuse_outside_a_flush_and_in_any_other_session(tmp_path):
    """The SQLite triggers themselves, whichever database the suite runs on."""
    create, _drop = append_only.sqlite_triggers("log", "log rows")
    path = tmp_path / "log.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, text TEXT)")
    for statement in create:
        raw.execute(statement)
    raw.execute("INSERT INTO log (text) VALUES ('read')")
    raw.commit()
    # Another session (the sqlite3 shell) has no function to ask: refused.
    with pytest.raises(sqlite3.OperationalError, match=append_only.ERASING_FUNCTION):
        raw.execute("DELETE FROM log")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: UPDATE refused"):
        raw.execute("UPDATE log SET text = 'changed'")

    class Wrapper:  # what `connection_created` hands the receiver
        vendor = "sqlite"
        connection = raw

    append_only.register_sqlite_function(sender=None, connection=Wrapper())
    with pytest.raises(sqlite3.IntegrityError, match="append-only: DELETE refused"):
        raw.execute("DELETE FROM log")
    with append_only.erasing_everything():
        with pytest.raises(sqlite3.IntegrityError, match="UPDATE refused"):
            raw.execute("UPDATE log SET text = 'changed'")
        raw.execute("DELETE FROM log")
    assert raw.execute("SELECT count(*) FROM log").fetchone() == (0,)
    raw.close()


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
    inserts = [sql for sql in many if sql.startswith("INSERT")]
    assert len(inserts) == 2
    assert "mentoring_accesslogentry" in inserts[0]
    assert "mentoring_accesslogstudent" in inserts[1]
    assert AccessLogStudent.objects.filter(entry=last_pk()).count() == 60
    savepoints = [sql for sql in many if "SAVEPOINT" in sql]
    assert len(inserts) + len(savepoints) == ACCESS_LOG_QUERIES


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


# The admin's pages (the mixin the project's admin classes take; see tests/admin_access_urls.py)


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@pytest.mark.urls("tests.admin_access_urls")
def test_an_admin_change_list_records_the_students_on_its_page(staff_client):
    students = [StudentFactory() for _ in range(5)]
    mark = last_pk()

    response = staff_client.get("/admin/mentoring/student/", {"q": students[0].name, "o": "1"})
    shown = [row.pk for row in response.context["cl"].result_list]
    response = staff_client.get("/admin/mentoring/student/")

    assert response.status_code == 200
    first, second = entries_after(mark)
    assert (first.action, first.object_kind, first.path) == (
        "list",
        "student",
        "/admin/mentoring/student/",
    )
    assert students_of(first) == sorted(shown)
    page = [row.pk for row in response.context["cl"].result_list]
    assert len(page) == 3
    assert students_of(second) == sorted(page)


@pytest.mark.urls("tests.admin_access_urls")
@pytest.mark.parametrize("page", ["change", "history", "delete"])
def test_an_admin_page_of_one_record_records_its_student(staff_client, page):
    session = TutoringSessionFactory()
    url = f"/admin/mentoring/tutoringsession/{session.pk}/{page}/"
    mark = last_pk()

    assert staff_client.get(url).status_code == 200

    entry = one_entry(mark)
    assert (entry.action, entry.object_kind, entry.object_id) == (
        "read",
        "tutoringsession",
        session.pk,
    )
    assert students_of(entry) == [session.pairing.student_id]


@pytest.mark.urls("tests.admin_access_urls")
def test_an_admin_post_and_a_missing_record_record_nothing(staff_client):
    pairing = PairingFactory()
    mark = last_pk()

    assert staff_client.get("/admin/mentoring/pairing/999999/change/").status_code == 302
    response = staff_client.post(f"/admin/mentoring/pairing/{pairing.pk}/change/", {})
    assert response.status_code == 200  # the form answers with its errors

    assert entries_after(mark) == []


# The project's own admin: every page that shows a student's record is recorded.

STUDENT_PAGES_OF_THE_ADMIN = {
    "mentoring.student": lambda record: [record.pk],
    "mentoring.studentrecord": lambda record: [record.student_id],
    "mentoring.hardshipindicator": lambda record: [record.student_id],
    "mentoring.assessment": lambda record: [record.student_id],
    "mentoring.pairing": lambda record: [record.student_id],
    "mentoring.tutoringsession": lambda record: [record.pairing.student_id],
    "donations.award": lambda record: [record.student_id],
    "donations.disbursement": lambda record: [record.award.student_id],
    "donations.itemdistribution": lambda record: [record.student_id],
    "donations.aidrefusal": lambda record: [record.student_id],
    "mentoring.matchrun": lambda record: sorted(
        record.proposed_pairs.values_list("pairing__student_id", flat=True)
    ),
}


def test_every_admin_page_of_a_students_record_is_recorded(db):
    from django.contrib import admin

    from mentoring.admin_access import RecordsStudentAccessAdmin
    from tests.admin_scene import records_in

    recorded = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, RecordsStudentAccessAdmin)
    }
    assert recorded == set(STUDENT_PAGES_OF_THE_ADMIN)

    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    records = records_in(SchoolFactory(), by=root)
    run = next(r for m, r in records.items() if m._meta.model_name == "matchrun")
    pairing = next(r for m, r in records.items() if m._meta.model_name == "pairing")
    ProposedPair.objects.create(run=run, pairing=pairing, cost=1, reasons={})
    for model, record in records.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label not in STUDENT_PAGES_OF_THE_ADMIN:
            continue
        for page in ["", f"{record.pk}/change/", f"{record.pk}/history/"]:
            mark = last_pk()
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{page}"
            assert client.get(url).status_code == 200, url
            entry = one_entry(mark)
            assert entry.object_kind == model._meta.model_name, url
            assert students_of(entry) == sorted(STUDENT_PAGES_OF_THE_ADMIN[label](record)), url
