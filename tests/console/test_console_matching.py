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
