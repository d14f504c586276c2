"""/console/identification/: the queue by state, each next step one click through the workflow.

The buttons on a row are the workflow's `allowed_actions` for the reader
today, and each posts to the service the API calls; a refusal is shown with
its message and status, nothing written.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mentoring.models import AccessLogEntry, Assessment, AssessmentStatus, Objection
from tests.console.console_world import EN, assessment, signed_in

pytestmark = pytest.mark.django_db

PAGE = "/console/identification/"


def offered(html: str, assessment_id: int) -> list[str]:
    """The actions offered on one row, in order, from their data-action buttons."""
    row = html.split(f'data-assessment="{assessment_id}"', 1)[1].split("</tr>", 1)[0]
    return [part.split('"', 1)[0] for part in row.split('data-action="')[1:]]


def test_the_queue_shows_each_state_with_its_count_and_the_own_schools_only(world):
    a, b = world.schools["A"], world.schools["B"]
    term = world.terms["one"]
    mine = assessment(a, term, "王小丽", AssessmentStatus.SCHOOL_REVIEWED)
    assessment(a, term, "张小军", AssessmentStatus.SUBMITTED)
    theirs = assessment(b, term, "刘小东", AssessmentStatus.SCHOOL_REVIEWED)

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    assert f'data-assessment="{mine.pk}"' in html and "王小丽" in html
    assert f'data-assessment="{theirs.pk}"' not in html and "刘小东" not in html
    assert "Reviewed by the school (1)" in html and "Application submitted (1)" in html
    only = (
        signed_in(world.users["school_admin"])
        .get(PAGE, {"state": "submitted"}, **EN)
        .content.decode()
    )
    assert "张小军" in only and "王小丽" not in only


def test_each_row_offers_only_the_allowed_next_steps(world):
    a, term = world.schools["A"], world.terms["one"]
    today = timezone.localdate()
    reviewed = assessment(a, term, "王小丽", AssessmentStatus.SCHOOL_REVIEWED)
    running = assessment(
        a,
        term,
        "张小军",
        AssessmentStatus.PUBLICIZED,
        notice_starts_on=today - datetime.timedelta(days=1),
        notice_ends_on=today + datetime.timedelta(days=6),
    )
    listed = assessment(a, term, "刘小东", AssessmentStatus.PROPOSED)
    done = assessment(a, term, "陈小红", AssessmentStatus.APPROVED)

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    assert offered(html, reviewed.pk) == ["publicize", "reject"]
    # The notice still runs: neither approval nor an answer (no objection) is offered.
    assert offered(html, running.pk) == ["reject"]
    assert offered(html, listed.pk) == ["approve", "reject"]
    assert offered(html, done.pk) == []


def test_publishing_the_notice_and_answering_an_objection_go_through_the_workflow(world):
    a, term = world.schools["A"], world.terms["one"]
    row = assessment(a, term, "王小丽", AssessmentStatus.SCHOOL_REVIEWED)
    client = signed_in(world.users["school_admin"])

    published = client.post(f"{PAGE}{row.pk}/publicize/", {"next": PAGE})

    assert (published.status_code, published["Location"]) == (302, PAGE)
    row.refresh_from_db()
    assert row.status == AssessmentStatus.PUBLICIZED
    assert (
        row.notice_starts_on == timezone.localdate() and row.notice_ends_on > row.notice_starts_on
    )
    objection = Objection.objects.create(assessment=row, text="家里新盖了楼房", filed_by=None)
    html = client.get(PAGE, **EN).content.decode()
    assert "家里新盖了楼房" in html and offered(html, row.pk) == ["reject", "answer"]

    answered = client.post(
        f"{PAGE}objections/{objection.pk}/answer/", {"answer": "经核实，楼房为借款所建"}
    )

    assert answered.status_code == 302
    objection.refresh_from_db()
    assert objection.answer == "经核实，楼房为借款所建" and objection.answered_by is not None


def test_a_step_out_of_order_is_refused_with_the_workflows_message_and_nothing_written(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.SUBMITTED)

    response = signed_in(world.users["school_admin"]).post(f"{PAGE}{row.pk}/approve/", {}, **EN)

    assert response.status_code == 409
    assert 'id="problem"' in response.content.decode()
    assert Assessment.objects.get(pk=row.pk).status == AssessmentStatus.SUBMITTED


def test_the_queue_shown_after_a_refusal_sends_every_form_back_to_the_queue(world):
    # Before, each form's `next` was the page's own URL: after a refused step, the refused
    # step's POST-only URL, so the next successful click ended on a 405.
    refused = assessment(
        world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.SUBMITTED
    )
    assessment(world.schools["A"], world.terms["one"], "李雷", AssessmentStatus.PROPOSED)

    html = (
        signed_in(world.users["school_admin"])
        .post(f"{PAGE}{refused.pk}/approve/", {}, **EN)
        .content.decode()
    )

    nexts = re.findall(r'name="next" value="([^"]*)"', html)
    assert nexts
    assert set(nexts) == {f"{PAGE}?term={world.terms['one'].pk}"}


def test_a_rejection_without_a_reason_names_the_field_and_writes_nothing(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.PROPOSED)

    response = signed_in(world.users["school_admin"]).post(
        f"{PAGE}{row.pk}/reject/", {"reason": ""}, **EN
    )

    assert response.status_code == 400
    assert "Reason: This field is required." in response.content.decode()
    assert Assessment.objects.get(pk=row.pk).status == AssessmentStatus.PROPOSED


def test_approving_a_government_list_student_takes_one_click(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.PROPOSED)

    response = signed_in(world.users["district_admin"]).post(f"{PAGE}{row.pk}/approve/", {})

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.decided_on) == (AssessmentStatus.APPROVED, timezone.localdate())


def test_reading_the_queue_is_access_logged(world):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.PROPOSED)

    signed_in(world.users["school_admin"]).get(PAGE)

    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert (entry.action, entry.object_kind) == ("list", "assessment")
    assert list(entry.students.values_list("student_id", flat=True)) == [row.student_id]


@pytest.mark.parametrize(
    ("step", "data", "status"),
    [("approve", {}, 409), ("reject", {"reason": ""}, 400)],
)
def test_a_refused_step_shows_the_queue_and_is_access_logged_like_reading_it(
    world, step, data, status
):
    row = assessment(world.schools["A"], world.terms["one"], "王小丽", AssessmentStatus.SUBMITTED)

    response = signed_in(world.users["school_admin"]).post(f"{PAGE}{row.pk}/{step}/", data)

    assert response.status_code == status
    assert "王小丽" in response.content.decode()
    entry = AccessLogEntry.objects.get(user=world.users["school_admin"])
    assert (entry.action, entry.object_kind, entry.path) == (
        "list",
        "assessment",
        f"{PAGE}{row.pk}/{step}/",
    )
    assert list(entry.students.values_list("student_id", flat=True)) == [row.student_id]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_3_or_15_assessments(world):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    states = [
        AssessmentStatus.SUBMITTED,
        AssessmentStatus.PROPOSED,
        AssessmentStatus.SCHOOL_REVIEWED,
    ]
    for n in range(3):
        row = assessment(a, term, f"甲{n}", states[n % 3])
        Objection.objects.create(assessment=row, text="异议", filed_by=None)
    few = _queries(client)
    for n in range(12):
        row = assessment(a, term, f"乙{n}", states[n % 3])
        Objection.objects.create(assessment=row, text="异议", filed_by=None)

    assert _queries(client) == few
