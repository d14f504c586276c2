"""The match-runs API tests' world: the match run's scene, the people of both schools, and
runs started for school A, school B and both.
"""

from dataclasses import dataclass

import pytest

from mentoring.models import MatchRun, Pairing, PairingKind, ProposedPair, Role, User
from tests.conftest import client_for
from tests.mentoring.match_runs.match_scene import (
    Scene,
    build_scene,
    clock,  # noqa: F401
)
from workers.factories import UserFactory, member
from workers.models import Job

RUNS_URL = "/api/v1/match-runs/"
ACADEMIC = PairingKind.ACADEMIC


def detail_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/"


def pairs_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/pairs/"


def pair_url(run, proposal_id) -> str:
    return f"{RUNS_URL}{run.pk}/pairs/{proposal_id}/"


def approve_url(run) -> str:
    return f"{RUNS_URL}{run.pk}/approve/"


def row_counts() -> tuple[int, int, int, int]:
    return (
        MatchRun.objects.count(),
        Job.objects.count(),
        Pairing.objects.count(),
        ProposedPair.objects.count(),
    )


def run_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@dataclass
class People:
    admin_a: User
    colleague: User  # another administrator of school A
    admin_b: User
    district: User  # administrator of A and B
    teacher: User
    volunteer: User
    donor: User
    supervisor: User
    superuser: User


@pytest.fixture
def scene(db, clock) -> Scene:  # noqa: F811
    return build_scene()


@pytest.fixture
def people(scene) -> People:
    return People(
        admin_a=scene.admin,
        colleague=member(Role.ADMINISTRATOR, scene.school_a, username="colleague.a"),
        admin_b=member(Role.ADMINISTRATOR, scene.school_b, username="admin.b"),
        district=member(
            Role.ADMINISTRATOR, scene.school_a, scene.school_b, username="district.admin"
        ),
        teacher=scene.mentors["p1"].user,
        volunteer=scene.mentors["vetted"].user,
        donor=member(Role.DONOR, scene.school_a, username="donor"),
        supervisor=member(Role.SUPERVISOR, scene.school_a, username="supervisor"),
        superuser=UserFactory(username="platform.root", is_superuser=True, is_staff=True),
    )


@pytest.fixture
def start(scene, django_capture_on_commit_callbacks):
    """POST a run as `user` and let its task run once the request commits."""

    def post(user, **overrides):
        payload = {"term": scene.term.pk, "kinds": [ACADEMIC], **overrides}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post(RUNS_URL, payload, format="json")
        return response

    return post


def started(response) -> MatchRun:
    assert response.status_code == 202, response.content
    return MatchRun.objects.get(pk=response.json()["id"])


@pytest.fixture
def run_a(people, start) -> MatchRun:
    return started(start(people.admin_a))


@pytest.fixture
def run_b(people, start, scene) -> MatchRun:
    return started(start(people.admin_b, schools=[scene.school_b.pk]))


@pytest.fixture
def run_ab(people, start) -> MatchRun:
    return started(start(people.district))
