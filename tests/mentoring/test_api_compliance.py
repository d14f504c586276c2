"""/api/v1/compliance/, compliance/summary/ and compliance/check/: who reads what, and how fast.

School A has two pairings (teacher T1 tutors s1; party-member teacher T2
tutors s2), school B one (a volunteer tutors s3). "Today" is Tuesday 20 Oct
2026: four school weeks of each pairing have ended (W37, W38, W39, W42).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mentoring.models import MentorKind, PairingKind, WeeklyCompliance
from mentoring.selectors.tutoring import term_tutoring_figures
from mentoring.services.compliance import compliance_check
from tests.conftest import client_for
from workers.factories import (
    MentorFactory,
    PairingFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)
from workers.models import Job, JobKind, JobStatus
from workers.reports import report_build, report_start

D = datetime.date
TODAY = D(2026, 10, 20)
W37, W38, W39, W42 = D(2026, 9, 7), D(2026, 9, 14), D(2026, 9, 21), D(2026, 10, 12)
URL = "/api/v1/compliance/"
SUMMARY = "/api/v1/compliance/summary/"
CHECK = "/api/v1/compliance/check/"


@dataclass
class Scene:
    term: object
    t1: object
    t2: object
    vol: object
    p1: object
    p2: object
    p3: object


def pairing(school, term, mentor_user, kind=MentorKind.TEACHER, schools=None):
    mentor = MentorFactory(user=mentor_user, kind=kind, schools=schools or [school])
    return PairingFactory(
        student=StudentFactory(school=school), mentor=mentor, term=term, started_on=W37
    )


@pytest.fixture
def scene(school_a, school_b):
    term = TermFactory(district=school_a.district)
    t1 = member("teacher", school_a)
    t2 = member("teacher", school_a)
    vol = member("volunteer", school_b)
    p1 = pairing(school_a, term, t1)
    p2 = pairing(school_a, term, t2, kind=MentorKind.PARTY_TEACHER)
    p3 = pairing(school_b, term, vol, kind=MentorKind.VOLUNTEER)
    # p1 met W37 and W38; p2 met W37 only and has a home visit; p3 met nothing.
    TutoringSessionFactory(pairing=p1, date=D(2026, 9, 8), minutes=40)
    TutoringSessionFactory(pairing=p1, date=D(2026, 9, 15), minutes=60)
    TutoringSessionFactory(pairing=p2, date=D(2026, 9, 9), minutes=45)
    TutoringSessionFactory(pairing=p2, date=D(2026, 9, 10), minutes=90, kind="home_visit")
    compliance_check(term_id=term.pk, today=TODAY, remind=False)
    return Scene(term, t1, t2, vol, p1, p2, p3)


def pairings_listed(response):
    assert response.status_code == 200, response.content
    return sorted({row["pairing"] for row in response.json()["results"]})


# --- The rows ------------------------------------------------------------------------------------


def test_administrator_reads_the_rows_of_their_school_only(scene, admin_a):
    response = client_for(admin_a).get(URL)
    assert pairings_listed(response) == sorted([scene.p1.pk, scene.p2.pk])
    row = next(
        r
        for r in response.json()["results"]
        if r["pairing"] == scene.p1.pk and r["week"] == "2026-W38"
    )
    assert row["week_start"] == "2026-09-14"
    assert (row["sessions"], row["minutes"], row["met"], row["missed_streak"]) == (1, 60, True, 0)
    assert row["student_name"] == scene.p1.student.name
    assert row["mentor"] == scene.p1.mentor_id


def test_district_administrator_reads_every_school_of_the_district(scene, district_admin):
    assert pairings_listed(client_for(district_admin).get(URL)) == sorted(
        [scene.p1.pk, scene.p2.pk, scene.p3.pk]
    )


def test_mentor_reads_own_rows_and_not_a_colleagues(scene):
    assert pairings_listed(client_for(scene.t1).get(URL)) == [scene.p1.pk]
    assert pairings_listed(client_for(scene.vol).get(URL)) == [scene.p3.pk]
    foreign = WeeklyCompliance.objects.filter(pairing=scene.p2).first()
    assert client_for(scene.t1).get(f"{URL}{foreign.pk}/").status_code == 404
    own = WeeklyCompliance.objects.filter(pairing=scene.p1).first()
    assert client_for(scene.t1).get(f"{URL}{own.pk}/").status_code == 200


def test_other_schools_administrator_and_outsider_see_no_row_of_school_a(scene, admin_b):
    assert pairings_listed(client_for(admin_b).get(URL)) == [scene.p3.pk]
    outsider = member("teacher")  # no role in any school
    assert client_for(outsider).get(URL).status_code == 403


@pytest.mark.parametrize("role", ["donor", "supervisor"])
def test_donors_and_supervisors_read_no_rows(scene, school_a, role):
    assert client_for(member(role, school_a)).get(URL).status_code == 403


def test_anonymous_is_asked_to_log_in(scene, api):
    assert api.get(URL).status_code == 401
    assert api.get(SUMMARY, {"term": scene.term.pk}).status_code == 401


def test_filters_by_week_met_mentor_school_and_term(scene, district_admin, school_b):
    client = client_for(district_admin)
    weeks = client.get(URL, {"week": "2026-W38"}).json()["results"]
    assert {(r["pairing"], r["met"]) for r in weeks} == {
        (scene.p1.pk, True),
        (scene.p2.pk, False),
        (scene.p3.pk, False),
    }
    # A date inside the week works too.
    assert client.get(URL, {"week": "2026-09-17"}).json()["count"] == 3
    met = client.get(URL, {"met": "true"}).json()["results"]
    assert sorted((r["pairing"], r["week"]) for r in met) == sorted(
        [(scene.p1.pk, "2026-W37"), (scene.p1.pk, "2026-W38"), (scene.p2.pk, "2026-W37")]
    )
    assert client.get(URL, {"met": "false"}).json()["count"] == 12 - 3
    assert pairings_listed(client.get(URL, {"mentor": scene.p2.mentor_id})) == [scene.p2.pk]
    assert pairings_listed(client.get(URL, {"school": school_b.pk})) == [scene.p3.pk]
    assert client.get(URL, {"term": scene.term.pk}).json()["count"] == 12
    assert client.get(URL, {"term": scene.term.pk + 100}).json()["count"] == 0


@pytest.mark.parametrize(
    "params, field",
    [
        ({"week": "next week"}, "week"),
        ({"week": "2026-W61"}, "week"),
        ({"met": "maybe"}, "met"),
        ({"term": "autumn"}, "term"),
        ({"school": "x"}, "school"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(scene, admin_a, params, field):
    response = client_for(admin_a).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_rows_are_read_in_a_fixed_number_of_queries(scene, district_admin, school_a):
    client = client_for(district_admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {"page_size": 1000})
        assert response.status_code == 200
        return len(captured.captured_queries), response.json()["count"]

    few, rows = queries()
    for _ in range(12):
        pairing(school_a, scene.term, member("teacher", school_a))
    compliance_check(term_id=scene.term.pk, today=TODAY, remind=False)
    many, more_rows = queries()
    assert (rows, more_rows) == (12, 60)
    assert many == few


def test_rows_are_read_only(scene, admin_a):
    row = WeeklyCompliance.objects.filter(pairing=scene.p1).first()
    client = client_for(admin_a)
    assert client.post(URL, {"pairing": scene.p1.pk}).status_code == 405
    assert client.patch(f"{URL}{row.pk}/", {"met": False}).status_code == 405
    assert client.delete(f"{URL}{row.pk}/").status_code == 405


# --- The summary ---------------------------------------------------------------------------------


def by_code(summary, key):
    return {row[key]: row for row in summary}


def test_summary_per_school_and_per_mentor_for_the_district(scene, district_admin, school_a):
    # A party-member teacher of school A without a mentee this term.
    MentorFactory(
        user=member("teacher", school_a), kind=MentorKind.PARTY_TEACHER, schools=[school_a]
    )
    response = client_for(district_admin).get(SUMMARY, {"term": scene.term.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["term_code"] == "2026-autumn"
    schools = by_code(body["by_school"], "school")
    a = schools[school_a.pk]
    assert a["pair_weeks"] == 8 and a["pair_weeks_met"] == 3
    assert Decimal(a["met_percent"]) == Decimal("37.5")
    # The term's sessions, as the term report counts them: the home visit is one too.
    assert (a["sessions"], a["minutes"], a["home_visits"]) == (4, 235, 1)
    assert (a["party_teachers"], a["party_teachers_with_mentee"]) == (2, 1)
    # p2 missed W38, W39, W42 in a row; p1 missed W39 and W42.
    assert a["students_with_streak"] == 2
    b = next(row for pk, row in schools.items() if pk != school_a.pk)
    assert (b["pair_weeks"], b["pair_weeks_met"], b["students_with_streak"]) == (4, 0, 1)
    assert Decimal(b["met_percent"]) == Decimal("0.0")
    assert body["totals"]["pair_weeks"] == 12 and body["totals"]["pair_weeks_met"] == 3
    assert body["totals"]["party_teachers"] == 2
    mentors = by_code(body["by_mentor"], "mentor")
    assert set(mentors) == {scene.p1.mentor_id, scene.p2.mentor_id, scene.p3.mentor_id}
    assert mentors[scene.p2.mentor_id]["mentor_kind"] == MentorKind.PARTY_TEACHER
    assert mentors[scene.p1.mentor_id]["pair_weeks_met"] == 2


def test_summary_for_one_school(scene, district_admin, school_b):
    body = (
        client_for(district_admin)
        .get(SUMMARY, {"term": scene.term.pk, "school": school_b.pk})
        .json()
    )
    assert [row["school"] for row in body["by_school"]] == [school_b.pk]
    assert [row["mentor"] for row in body["by_mentor"]] == [scene.p3.mentor_id]
    assert body["totals"]["pair_weeks"] == 4


def test_supervisor_reads_figures_of_their_schools_but_no_mentor(scene, school_a):
    supervisor = member("supervisor", school_a)
    body = client_for(supervisor).get(SUMMARY, {"term": scene.term.pk}).json()
    assert [row["school"] for row in body["by_school"]] == [school_a.pk]
    assert body["by_school"][0]["pair_weeks"] == 8
    assert body["by_mentor"] == []
    assert "student" not in str(body).replace("students_with_streak", "")


def test_mentor_summary_counts_their_own_pairings_only(scene):
    body = client_for(scene.t1).get(SUMMARY, {"term": scene.term.pk}).json()
    assert body["totals"]["pair_weeks"] == 4 and body["totals"]["pair_weeks_met"] == 2
    assert [row["mentor"] for row in body["by_mentor"]] == [scene.p1.mentor_id]


def test_school_administrator_summary_leaves_the_other_school_out(scene, admin_a, school_a):
    body = client_for(admin_a).get(SUMMARY, {"term": scene.term.pk}).json()
    assert [row["school"] for row in body["by_school"]] == [school_a.pk]
    assert body["totals"]["pair_weeks"] == 8


def test_donor_reads_no_summary(scene, school_a):
    donor = member("donor", school_a)
    assert client_for(donor).get(SUMMARY, {"term": scene.term.pk}).status_code == 403


@pytest.mark.parametrize(
    "params, field",
    [({}, "term"), ({"term": "x"}, "term"), ({"term": 0}, "term"), ({"school": "x"}, "term")],
)
def test_summary_validation(scene, admin_a, params, field):
    response = client_for(admin_a).get(SUMMARY, params)
    assert response.status_code == 400
    assert field in response.json()


def test_summary_of_a_foreign_term_or_school_answers_400(scene, admin_a, school_b):
    client = client_for(admin_a)
    response = client.get(SUMMARY, {"term": scene.term.pk, "school": school_b.pk})
    assert response.status_code == 400 and "school" in response.json()
    other_term = TermFactory(code="2026-other")
    response = client.get(SUMMARY, {"term": other_term.pk})
    assert response.status_code == 400 and "term" in response.json()


def test_summary_is_read_in_a_fixed_number_of_queries(scene, district_admin, school_a, school_b):
    client = client_for(district_admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SUMMARY, {"term": scene.term.pk})
        assert response.status_code == 200
        return len(captured.captured_queries), response.json()["totals"]["pair_weeks"]

    few, weeks = queries()
    for number in range(12):
        school = school_a if number % 2 else school_b
        pairing(school, scene.term, member("teacher", school), kind=MentorKind.PARTY_TEACHER)
    compliance_check(term_id=scene.term.pk, today=TODAY, remind=False)
    many, more_weeks = queries()
    assert (weeks, more_weeks) == (12, 60)
    assert many == few


def test_summary_counts_the_terms_sessions_as_the_report_and_supervisor_page_do(
    scene, district_admin, school_a, school_b
):
    """The weekly check has not counted every session: one logged after it for a week it
    checked, one in the week in progress, and a care pairing's home visit. The summary's
    sessions, minutes and home visits are the term's, the term report's count (issue 17)."""
    TutoringSessionFactory(pairing=scene.p3, date=D(2026, 10, 13), minutes=30)
    TutoringSessionFactory(pairing=scene.p1, date=D(2026, 10, 19), minutes=50)
    care = PairingFactory(
        student=StudentFactory(school=school_b),
        mentor=MentorFactory(user=member("volunteer", school_b), kind=MentorKind.VOLUNTEER),
        term=scene.term,
        kind=PairingKind.CARE,
        started_on=W37,
    )
    TutoringSessionFactory(pairing=care, date=D(2026, 10, 14), minutes=60, kind="home_visit")
    checked = WeeklyCompliance.objects.filter(term=scene.term).aggregate(n=Sum("sessions"))["n"]
    report = report_start(
        by=district_admin, term_id=scene.term.pk, district_id=school_a.district_id
    )
    report_build(report, lambda value: None)
    report.refresh_from_db()
    counted = report.data["mentoring"]
    schools = [school_a, school_b]
    figures = term_tutoring_figures(term=scene.term, schools=schools)

    body = client_for(district_admin).get(SUMMARY, {"term": scene.term.pk}).json()
    names = ("sessions", "minutes", "home_visits")
    totals = [body["totals"][name] for name in names]
    assert totals == [counted["total"][name] for name in names] == [7, 375, 2]
    assert totals == [figures["total"][name] for name in names]
    assert checked < totals[0]
    for school in schools:
        row = by_code(body["by_school"], "school_code")[school.code]
        assert [row[name] for name in names] == [
            counted["schools"][school.code][name] for name in names
        ]
    # One school asked for, a supervisor of it, a mentor of their own pairings: the same count.
    one = client_for(district_admin).get(SUMMARY, {"term": scene.term.pk, "school": school_b.pk})
    assert [one.json()["totals"][name] for name in names] == [2, 90, 1]
    supervisor = client_for(member("supervisor", school_b)).get(SUMMARY, {"term": scene.term.pk})
    assert [supervisor.json()["totals"][name] for name in names] == [2, 90, 1]
    browser = Client()
    browser.force_login(member("supervisor", school_b))
    page = browser.get("/supervisor/", {"term": scene.term.pk})
    assert page.status_code == 200
    assert [page.context["tutoring"]["totals"][name] for name in names] == [2, 90, 1]
    own = client_for(scene.t1).get(SUMMARY, {"term": scene.term.pk}).json()
    assert [own["totals"][name] for name in names] == [3, 150, 0]
    assert [row["sessions"] for row in own["by_mentor"]] == [3]
    mentors = by_code(body["by_mentor"], "mentor")
    assert mentors[scene.p1.mentor_id]["sessions"] == 3


# --- Starting the check --------------------------------------------------------------------------


def test_administrator_starts_the_check_of_their_schools_and_gets_202(
    scene, admin_a, school_a, django_capture_on_commit_callbacks
):
    WeeklyCompliance.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_a).post(CHECK, {"term": scene.term.pk}, format="json")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == JobKind.WEEKLY_CHECK and job.started_by == admin_a
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.parameters["schools"] == [school_a.pk]
    assert job.school == school_a
    # Only school A's pairings are checked (the weeks ended by the real today).
    checked = set(WeeklyCompliance.objects.values_list("pairing", flat=True))
    assert checked == {scene.p1.pk, scene.p2.pk}
    assert job.result["terms"][0]["pairings"] == 2


def test_district_administrator_checks_every_school_of_the_district(
    scene, district_admin, django_capture_on_commit_callbacks
):
    WeeklyCompliance.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(district_admin).post(CHECK, {"term": scene.term.pk}, format="json")
    assert response.status_code == 202
    assert set(WeeklyCompliance.objects.values_list("pairing", flat=True)) == {
        scene.p1.pk,
        scene.p2.pk,
        scene.p3.pk,
    }


@pytest.mark.parametrize("role", ["teacher", "volunteer", "donor", "supervisor"])
def test_only_administrators_start_the_check(scene, school_a, role):
    response = client_for(member(role, school_a)).post(CHECK, {"term": scene.term.pk})
    assert response.status_code == 403
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "body, field", [({}, "term"), ({"term": "x"}, "term"), ({"term": -1}, "term")]
)
def test_check_validation_writes_nothing(scene, admin_a, body, field):
    response = client_for(admin_a).post(CHECK, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Job.objects.exists()


def test_check_of_a_term_of_another_district_answers_400(scene, admin_a):
    other = TermFactory(code="2026-elsewhere")
    response = client_for(admin_a).post(CHECK, {"term": other.pk}, format="json")
    assert response.status_code == 400 and "term" in response.json()
    assert not Job.objects.exists()


def test_check_start_takes_a_fixed_number_of_queries(
    scene, admin_a, school_a, django_assert_max_num_queries
):
    # The job runs after commit; starting it does not depend on the rows.
    with django_assert_max_num_queries(12):
        response = client_for(admin_a).post(CHECK, {"term": scene.term.pk}, format="json")
    assert response.status_code == 202


def test_the_check_on_demand_continues_like_monday_unless_the_whole_term_is_asked_for(
    scene, admin_a, django_capture_on_commit_callbacks
):
    # The week of 14 September becomes a holiday after it was checked.
    holiday = D(2026, 9, 14)
    assert WeeklyCompliance.objects.filter(pairing=scene.p1, week_start=holiday).exists()
    scene.term.holiday_weeks = [*scene.term.holiday_weeks, holiday.isoformat()]
    scene.term.save()
    client = client_for(admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        quick = client.post(CHECK, {"term": scene.term.pk}, format="json")
    assert quick.status_code == 202
    assert Job.objects.get(pk=quick.json()["id"]).parameters["since"] is None
    # Stored weeks are not read again...
    assert WeeklyCompliance.objects.filter(pairing=scene.p1, week_start=holiday).exists()
    with django_capture_on_commit_callbacks(execute=True):
        whole = client.post(CHECK, {"term": scene.term.pk, "whole_term": True}, format="json")
    assert whole.status_code == 202
    assert Job.objects.get(pk=whole.json()["id"]).status == JobStatus.SUCCEEDED
    # ...unless the whole term is recomputed: the new holiday week no longer counts.
    assert not WeeklyCompliance.objects.filter(pairing=scene.p1, week_start=holiday).exists()
