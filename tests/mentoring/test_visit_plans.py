"""/api/v1/visit-plans/ and visit-plan-entries/: home-visit plans (家访活动计划表) and their visits.

The pairings' world (pairing_world.py): the owner tutors `owned` in school A,
the colleague `colleagues`; the outsider teaches in school B. "Today" is
2026-11-20, inside the factories' 2026-autumn term.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import (
    AccessLogEntry,
    SessionKind,
    TutoringSession,
    VisitPlan,
    VisitPlanEntry,
)
from mentoring.services.visit_plans import visit_plan_create, visit_plan_entry_create
from tests.conftest import client_for
from tests.mentoring.pairings.pairing_world import World, build_world, clock  # noqa: F401
from tests.mentoring.teacher_page.page_scene import html, logged_in, page_of
from workers.factories import (
    MentorFactory,
    StudentFactory,
    TermFactory,
    TutoringSessionFactory,
    member,
)

D = datetime.date
PLANS = "/api/v1/visit-plans/"
ENTRIES = "/api/v1/visit-plan-entries/"
SESSIONS = "/api/v1/sessions/"


@pytest.fixture
def world(db, clock) -> World:  # noqa: F811
    return build_world()


@pytest.fixture
def plans(world):
    """A plan in each school, each with one entry: the owner visits their mentee in school A."""
    plan_a = visit_plan_create(by=world.admin_a, school_id=world.school_a.pk, term_id=world.term.pk)
    plan_b = visit_plan_create(by=world.admin_b, school_id=world.school_b.pk, term_id=world.term.pk)
    owners = plan_entry(world, plan_a, world.owned, D(2026, 11, 25))
    colleagues = plan_entry(world, plan_a, world.colleagues, D(2026, 11, 26))
    outsiders = plan_entry(world, plan_b, world.outsiders, D(2026, 11, 27), by=world.admin_b)
    return plan_a, plan_b, owners, colleagues, outsiders


def plan_entry(world, plan, pairing, day, by=None) -> VisitPlanEntry:
    return visit_plan_entry_create(
        by=by or world.admin_a,
        plan_id=plan.pk,
        student_id=pairing.student_id,
        visitor_id=pairing.mentor_id,
        planned_on=day,
        purpose="了解家庭经济状况, 宣传资助政策",
    )


def new_entry(world, plan, **overrides) -> dict:
    body = {
        "plan": plan.pk,
        "student": world.owned.student_id,
        "visitor": world.owned.mentor_id,
        "planned_on": "2026-12-02",
        "purpose": "期中后家访, 沟通学习情况",
    }
    body.update(overrides)
    return body


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def home_visit(pairing, day="2026-11-19", **overrides) -> dict:
    body = {
        "pairing": pairing.pk,
        "date": day,
        "minutes": 40,
        "kind": SessionKind.HOME_VISIT,
        "content": "家访: 与祖母谈学习习惯",
    }
    body.update(overrides)
    return body


# --- Plans ---------------------------------------------------------------------------------------


def test_administrator_creates_the_schools_plan_for_a_term(world):
    response = client_for(world.admin_a).post(
        PLANS,
        {"school": world.school_a.pk, "term": world.term.pk, "note": "每位班主任每学期家访"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["school"], body["term"], body["planned"], body["done"]) == (
        world.school_a.pk,
        world.term.pk,
        0,
        0,
    )
    plan = VisitPlan.objects.get(pk=body["id"])
    assert plan.created_by == world.admin_a and plan.history.count() == 1


def test_a_second_plan_for_the_same_school_and_term_answers_400(world, plans):
    response = client_for(world.admin_a).post(
        PLANS, {"school": world.school_a.pk, "term": world.term.pk}, format="json"
    )
    assert response.status_code == 400 and "term" in response.json()
    assert VisitPlan.objects.count() == 2


def test_bad_plan_names_every_field_and_writes_nothing(world):
    other_term = TermFactory(code="2026-elsewhere")  # of another district
    response = client_for(world.admin_a).post(
        PLANS,
        {"school": world.school_b.pk, "term": other_term.pk, "note": "x" * 2001, "extra": 1},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"school", "term", "note", "extra"}
    assert not VisitPlan.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "volunteer", "donor", "supervisor"])
def test_only_administrators_read_or_write_plans(world, plans, persona):
    client = client_for(getattr(world, persona))
    assert client.get(PLANS).status_code == 403
    assert client.get(f"{PLANS}{plans[0].pk}/").status_code == 403
    created = client.post(PLANS, {"school": world.school_a.pk, "term": world.term.pk})
    assert created.status_code == 403
    assert VisitPlan.objects.count() == 2


def test_anonymous_requests_answer_401(api, plans):
    assert api.get(PLANS).status_code == 401
    assert api.get(ENTRIES).status_code == 401
    assert api.post(ENTRIES, {}, format="json").status_code == 401


def test_administrators_see_the_plans_of_their_schools(world, plans):
    plan_a, plan_b, *_ = plans
    district_admin = member("administrator", world.school_a, world.school_b)
    assert ids(client_for(world.admin_a).get(PLANS)) == {plan_a.pk}
    assert ids(client_for(district_admin).get(PLANS)) == {plan_a.pk, plan_b.pk}
    assert ids(client_for(world.superuser).get(PLANS)) == {plan_a.pk, plan_b.pk}
    assert client_for(world.admin_a).get(f"{PLANS}{plan_b.pk}/").status_code == 404
    listed = client_for(world.admin_a).get(PLANS).json()["results"][0]
    assert (listed["planned"], listed["done"]) == (2, 0)


def test_administrator_changes_the_note_of_their_plan_only(world, plans):
    plan_a, plan_b, *_ = plans
    client = client_for(world.admin_a)
    changed = client.patch(f"{PLANS}{plan_a.pk}/", {"note": "重点走访留守儿童"}, format="json")
    assert changed.status_code == 200 and changed.json()["note"] == "重点走访留守儿童"
    foreign = client.patch(f"{PLANS}{plan_b.pk}/", {"note": "x"}, format="json")
    assert foreign.status_code == 404
    refused = client.patch(f"{PLANS}{plan_a.pk}/", {"school": world.school_b.pk}, format="json")
    assert refused.status_code == 400
    plan_b.refresh_from_db()
    assert plan_b.note == ""


def test_plan_list_is_read_in_a_fixed_number_of_queries(world, plans):
    district_admin = member("administrator", world.school_a, world.school_b)
    client = client_for(district_admin)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PLANS).status_code == 200
    for n in range(5):
        term = TermFactory(district=world.school_a.district, code=f"2030-t{n}")
        for school in (world.school_a, world.school_b):
            visit_plan_create(by=district_admin, school_id=school.pk, term_id=term.pk)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PLANS)
    assert response.json()["count"] == 12
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Entries -------------------------------------------------------------------------------------


def test_administrator_plans_a_visit(world, plans):
    response = client_for(world.admin_a).post(ENTRIES, new_entry(world, plans[0]), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["planned_week"] == "2026-W49"
    assert (body["done"], body["visit"], body["visited_on"]) == (False, None, None)
    assert body["visitor_name"] == world.owner.display_name
    assert VisitPlanEntry.objects.get(pk=body["id"]).history.count() == 1


def test_bad_entry_names_every_field_and_writes_nothing(world, plans):
    before = VisitPlanEntry.objects.count()
    response = client_for(world.admin_a).post(
        ENTRIES,
        new_entry(
            world,
            plans[0],
            student=world.outsiders.student_id,  # of school B
            visitor=world.outsiders.mentor_id,  # teaches in school B
            planned_on="2027-06-01",  # long after the term and its holiday
            purpose="   ",
        ),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"student", "visitor", "planned_on", "purpose"}
    assert VisitPlanEntry.objects.count() == before


def test_an_entry_in_another_schools_plan_answers_400_naming_the_plan(world, plans):
    response = client_for(world.admin_a).post(ENTRIES, new_entry(world, plans[1]), format="json")
    assert response.status_code == 400 and "plan" in response.json()


@pytest.mark.parametrize("persona", ["owner", "volunteer", "donor", "supervisor"])
def test_only_administrators_write_entries(world, plans, persona):
    client = client_for(getattr(world, persona))
    owners = plans[2]
    before = VisitPlanEntry.objects.count()
    assert client.post(ENTRIES, new_entry(world, plans[0]), format="json").status_code == 403
    assert client.patch(f"{ENTRIES}{owners.pk}/", {"purpose": "x"}).status_code == 403
    assert client.delete(f"{ENTRIES}{owners.pk}/").status_code == 403
    assert VisitPlanEntry.objects.count() == before


def test_teacher_reads_the_entries_of_their_own_mentees(world, plans):
    _plan_a, _plan_b, owners, colleagues, outsiders = plans
    client = client_for(world.owner)
    assert ids(client.get(ENTRIES)) == {owners.pk}
    assert client.get(f"{ENTRIES}{owners.pk}/").status_code == 200
    for foreign in (colleagues, outsiders):
        assert client.get(f"{ENTRIES}{foreign.pk}/").status_code == 404
    assert ids(client_for(world.colleague).get(ENTRIES)) == {colleagues.pk}


def test_teacher_asked_to_visit_another_teachers_mentee_reads_that_entry(world, plans):
    asked = visit_plan_entry_create(
        by=world.admin_a,
        plan_id=plans[0].pk,
        student_id=world.colleagues.student_id,
        visitor_id=world.owned.mentor_id,
        planned_on=D(2026, 12, 3),
        purpose="陪同班主任家访",
    )
    assert asked.pk in ids(client_for(world.owner).get(ENTRIES))


@pytest.mark.parametrize("persona", ["donor", "supervisor"])
def test_donors_and_supervisors_read_no_entry(world, plans, persona):
    client = client_for(getattr(world, persona))
    assert client.get(ENTRIES).status_code == 403
    assert client.get(f"{ENTRIES}{plans[2].pk}/").status_code == 403


def test_administrators_read_their_schools_entries(world, plans):
    _plan_a, _plan_b, owners, colleagues, outsiders = plans
    district_admin = member("administrator", world.school_a, world.school_b)
    assert ids(client_for(world.admin_a).get(ENTRIES)) == {owners.pk, colleagues.pk}
    assert ids(client_for(district_admin).get(ENTRIES)) == {owners.pk, colleagues.pk, outsiders.pk}
    assert client_for(world.admin_a).get(f"{ENTRIES}{outsiders.pk}/").status_code == 404


def test_reading_entries_is_written_to_the_access_log(world, plans):
    client_for(world.owner).get(ENTRIES)
    entry = AccessLogEntry.objects.get(user=world.owner)
    assert set(entry.students.values_list("student_id", flat=True)) == {world.owned.student_id}


def test_entry_list_is_read_in_a_fixed_number_of_queries(world, plans):
    client = client_for(world.admin_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ENTRIES).status_code == 200
    for n in range(8):
        mentor = MentorFactory(user=member("teacher", world.school_a), schools=[world.school_a])
        entry = visit_plan_entry_create(
            by=world.admin_a,
            plan_id=plans[0].pk,
            student_id=StudentFactory(school=world.school_a).pk,
            visitor_id=mentor.pk,
            planned_on=D(2026, 12, 1) + datetime.timedelta(n),
            purpose="家访",
        )
        if n % 2:
            entry.visit = TutoringSessionFactory(pairing=world.colleagues, kind="home_visit")
            entry.save()
    with CaptureQueriesContext(connection) as many:
        response = client.get(ENTRIES)
    assert response.json()["count"] == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_administrator_moves_a_visit_and_deletes_another(world, plans):
    _plan_a, _plan_b, owners, colleagues, outsiders = plans
    client = client_for(world.admin_a)
    moved = client.patch(f"{ENTRIES}{owners.pk}/", {"planned_on": "2026-12-10"}, format="json")
    assert moved.status_code == 200 and moved.json()["planned_on"] == "2026-12-10"
    assert client.delete(f"{ENTRIES}{colleagues.pk}/").status_code == 204
    assert client.delete(f"{ENTRIES}{outsiders.pk}/").status_code == 404
    assert set(VisitPlanEntry.objects.values_list("pk", flat=True)) == {owners.pk, outsiders.pk}


def test_bad_change_names_every_field(world, plans):
    owners = plans[2]
    response = client_for(world.admin_a).patch(
        f"{ENTRIES}{owners.pk}/",
        {"visitor": world.outsiders.mentor_id, "purpose": "", "student": 1},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"visitor", "purpose", "student"}
    owners.refresh_from_db()
    assert owners.visitor_id == world.owned.mentor_id


# --- Visits logged against the plan --------------------------------------------------------------


def test_a_logged_home_visit_fulfils_its_entry(world, plans):
    _plan_a, _plan_b, owners, colleagues, _outsiders = plans
    response = client_for(world.owner).post(SESSIONS, home_visit(world.owned), format="json")
    assert response.status_code == 201, response.content

    shown = client_for(world.owner).get(f"{ENTRIES}{owners.pk}/").json()
    assert (shown["done"], shown["visit"], shown["visited_on"]) == (
        True,
        response.json()["id"],
        "2026-11-19",
    )
    colleagues.refresh_from_db()
    assert not colleagues.done
    plan = client_for(world.admin_a).get(f"{PLANS}{plans[0].pk}/").json()
    assert (plan["planned"], plan["done"]) == (2, 1)
    undone = client_for(world.admin_a).get(ENTRIES, {"done": "false"})
    assert ids(undone) == {colleagues.pk}


def test_tutoring_fulfils_no_visit(world, plans):
    client_for(world.owner).post(
        SESSIONS,
        home_visit(world.owned, kind=SessionKind.TUTORING, subject="math"),
        format="json",
    )
    owners = plans[2]
    owners.refresh_from_db()
    assert not owners.done


def test_each_visit_fulfils_the_next_entry_by_planned_day(world, plans):
    owners = plans[2]
    later = plan_entry(world, plans[0], world.owned, D(2026, 12, 20))
    client = client_for(world.owner)
    first = client.post(SESSIONS, home_visit(world.owned, "2026-11-18"), format="json").json()
    second = client.post(SESSIONS, home_visit(world.owned, "2026-11-19"), format="json").json()
    owners.refresh_from_db()
    later.refresh_from_db()
    assert (owners.visit_id, later.visit_id) == (first["id"], second["id"])


def test_a_visit_changed_to_tutoring_or_deleted_frees_its_entry(world, plans):
    owners = plans[2]
    client = client_for(world.owner)
    first = client.post(SESSIONS, home_visit(world.owned, "2026-11-18"), format="json").json()
    changed = client.patch(
        f"{SESSIONS}{first['id']}/", {"kind": "tutoring", "subject": "math"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    owners.refresh_from_db()
    assert not owners.done

    second = client.post(SESSIONS, home_visit(world.owned, "2026-11-19"), format="json").json()
    third = client.post(SESSIONS, home_visit(world.owned, "2026-11-20"), format="json").json()
    owners.refresh_from_db()
    assert owners.visit_id == second["id"]
    assert client.delete(f"{SESSIONS}{second['id']}/").status_code == 204
    owners.refresh_from_db()
    assert owners.visit_id == third["id"]  # the next visit takes the freed entry


def test_an_entry_planned_after_the_visit_takes_it(world, plans):
    response = client_for(world.colleague).post(
        SESSIONS, home_visit(world.colleagues), format="json"
    )
    assert response.status_code == 201
    # The colleague's entry took it; a new one for the same visitor finds none left.
    colleagues = plans[3]
    colleagues.refresh_from_db()
    assert colleagues.visit_id == response.json()["id"]
    colleagues.delete()
    entry = plan_entry(world, plans[0], world.colleagues, D(2026, 12, 1))
    assert entry.visit_id == response.json()["id"]


def test_a_done_entry_keeps_its_visitor(world, plans):
    owners = plans[2]
    client_for(world.owner).post(SESSIONS, home_visit(world.owned), format="json")
    response = client_for(world.admin_a).patch(
        f"{ENTRIES}{owners.pk}/", {"visitor": world.colleagues.mentor_id}, format="json"
    )
    assert response.status_code == 400 and "visitor" in response.json()
    assert TutoringSession.objects.count() == 1


def test_mentors_page_lists_the_planned_visits_and_what_was_done(world, plans):
    page = logged_in(world.owner)
    before = html(page.get(page_of(world.owned)))
    assert "了解家庭经济状况" in before and "2026年11月25日" in before
    assert "2026年11月19日" not in before

    client_for(world.owner).post(SESSIONS, home_visit(world.owned), format="json")
    after = html(page.get(page_of(world.owned)))
    assert "2026年11月19日" in after  # the planned visit, done that day
    # Another mentee's planned visit is not on this page.
    assert "2026年11月26日" not in after
