"""/console/matching/: started by `match_run_start`, solved by its job, approved by the service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentoring.models import (
    AssessmentStatus,
    MatchRun,
    MatchRunStatus,
    PairingKind,
    PairingStatus,
    ProposedPair,
)
from tests.console.console_world import EN, READERS, assessment, pupil, signed_in
from workers.factories import MentorFactory, PairingFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/matching/"


@pytest.mark.parametrize("reader", READERS)
def test_only_administrators_open_matching(world, reader):
    expected = 200 if reader.endswith("admin") else 403

    assert signed_in(world.users[reader]).get(PAGE).status_code == expected


def test_a_run_is_started_solved_reviewed_and_approved(world, django_capture_on_commit_callbacks):
    a, term = world.schools["A"], world.terms["one"]
    assessment(a, term, "王小丽", AssessmentStatus.APPROVED, tier="hardship")
    client = signed_in(world.users["school_admin"])

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(PAGE, {"term": term.pk, "kinds": ["care"]})

    run = MatchRun.objects.get()
    assert (started.status_code, started["Location"]) == (302, f"{PAGE}{run.pk}/")
    assert run.status == MatchRunStatus.PROPOSED
    assert list(run.schools.all()) == [a]
    page = client.get(f"{PAGE}{run.pk}/", **EN).content.decode()
    assert 'data-status="proposed"' in page and 'id="approve"' in page
    assert "王小丽" in page
    # Left unmatched by the safeguarding rule, said in words (not the rule's code).
    assert "safeguarding_gender" not in page

    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(f"{PAGE}{run.pk}/approve/")

    assert approved.status_code == 302
    assert MatchRun.objects.get().status == MatchRunStatus.APPROVED


def test_a_run_with_no_kind_is_refused_by_the_service_and_nothing_started(world):
    response = signed_in(world.users["school_admin"]).post(
        PAGE, {"term": world.terms["one"].pk}, **EN
    )

    assert response.status_code == 400
    assert "Choose academic, care or both." in response.content.decode()
    assert not MatchRun.objects.exists()


def test_another_schools_run_is_not_found(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(world.users["other_school_admin"]).post(
            PAGE, {"term": world.terms["one"].pk, "kinds": ["care"]}
        )
    run = MatchRun.objects.get()
    client = signed_in(world.users["school_admin"])

    assert client.get(f"{PAGE}{run.pk}/").status_code == 404
    assert client.post(f"{PAGE}{run.pk}/approve/").status_code == 404
    assert signed_in(world.users["district_admin"]).get(f"{PAGE}{run.pk}/").status_code == 200


def _queries(client, run) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{PAGE}{run.pk}/").status_code == 200
    return len(queries)


def test_the_proposal_costs_the_same_queries_for_few_or_many_pairs(
    world, django_capture_on_commit_callbacks
):
    a, term = world.schools["A"], world.terms["one"]
    client = signed_in(world.users["school_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE, {"term": term.pk, "kinds": ["care"]})
    run = MatchRun.objects.get()
    mentor = MentorFactory(schools=[a])

    def propose(n):
        pairing = PairingFactory(
            mentor=mentor,
            student=pupil(a, term, f"学生{n}"),
            term=term,
            kind=PairingKind.CARE,
            status=PairingStatus.PROPOSED,
            started_on=term.start_date,
        )
        ProposedPair.objects.create(run=run, pairing=pairing, reasons={"need": n})

    propose(0)
    few = _queries(client, run)
    for n in range(1, 12):
        propose(n)

    assert _queries(client, run) == few


# The start form: weights and rules -------------------------------------------------------


def test_the_start_form_is_prefilled_with_the_default_weights_and_the_districts_rule(world):
    district = world.terms["one"].district
    district.same_gender_from_age = 12
    district.save()

    html = signed_in(world.users["school_admin"]).get(PAGE, **EN).content.decode()

    assert 'name="weight_subject_miss" id="weight-subject_miss" value="30"' in html
    assert 'name="weight_unmatched" id="weight-unmatched" value="400, 300, 200"' in html
    assert 'name="same_gender_from_age" id="same-gender" value="12"' in html


def test_a_run_takes_its_weights_and_a_tighter_rule_from_the_form(
    world, django_capture_on_commit_callbacks
):
    district = world.terms["one"].district
    district.same_gender_from_age = 12
    district.save()
    form = {
        "term": world.terms["one"].pk,
        "kinds": ["care"],
        "weight_subject_miss": "45",
        "weight_unmatched": "900, 500",
        "weight_max_candidates": " 20 ",
        "same_gender_from_age": "10",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.users["school_admin"]).post(PAGE, form)

    run = MatchRun.objects.get()
    assert response.status_code == 302
    assert (run.weights["subject_miss"], run.weights["unmatched"]) == (45, [900, 500])
    assert (run.weights["max_candidates"], run.weights["grade_miss"]) == (20, 10)
    assert run.rules == {"same_gender_from_age": 10}


def test_bad_weights_and_rules_are_all_named_at_once_and_nothing_is_started(world):
    district = world.terms["one"].district
    district.same_gender_from_age = 12
    district.save()
    form = {
        "term": world.terms["one"].pk,
        "weight_subject_miss": "-5",
        "weight_grade_miss": "many",
        "weight_unmatched": "",
        "weight_max_candidates": "0",
        "same_gender_from_age": "",
    }

    response = signed_in(world.users["school_admin"]).post(PAGE, form, **EN)

    assert response.status_code == 400
    html = response.content.decode()
    problems = html.split('id="problems"', 1)[1].split("</ul>", 1)[0]
    for message in [
        "Choose academic, care or both.",
        "Each weight is a whole number from 0 to 100000 (subject_miss).",
        "Each weight is a whole number from 0 to 100000 (grade_miss).",
        "unmatched takes a list of costs, neediest first.",
        "max_candidates must be at least 1.",
        "never loosen it",
    ]:
        assert message in problems, message
    # What was typed stays in the form, to be mended.
    assert 'id="weight-grade_miss" value="many"' in html
    assert not MatchRun.objects.exists()


def test_the_api_names_every_bad_weight_and_rule_in_one_answer(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.users["school_admin"])
    before = MatchRun.objects.count()

    response = client.post(
        "/api/v1/match-runs/",
        {
            "term": world.terms["one"].pk,
            "kinds": ["care"],
            "weights": {"kindness": 1, "subject_miss": -5, "max_candidates": 0},
            "rules": {"same_gender_from_age": 99},
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json() == {
        "weights": [
            "Unknown weights: kindness.",
            "max_candidates must be at least 1.",
            "Each weight is a whole number from 0 to 100000 (subject_miss).",
        ],
        "rules": ["same_gender_from_age is an age from 0 to 20, or null to switch it off."],
    }
    assert MatchRun.objects.count() == before
