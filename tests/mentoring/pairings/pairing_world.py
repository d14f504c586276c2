"""The world of the pairings' tests: the owner's pairing, a colleague's, an outsider's and a
volunteer's, at a fixed moment of the factories' term. Shared with the sessions', mentors',
teacher page's and idempotency tests.
"""

import datetime
from dataclasses import dataclass
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from mentoring.models import Mentor, MentorKind, Pairing, PairingKind, Role, School, Term, User
from workers.factories import (
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    member,
)

PAIRINGS_URL = "/api/v1/pairings/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every test runs at this moment, inside the 2026-autumn term of the factories.
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def clock():
    """Freeze django.utils.timezone.now; set `clock.return_value` to move time."""
    with mock.patch("django.utils.timezone.now", return_value=NOW) as frozen:
        yield frozen


@dataclass
class World:
    """Two schools of one district, a term, and a mentor of each kind with a mentee.

    - owner: a teacher in school A, mentor of `owned` (academic, active);
    - colleague: another teacher in school A with their own pairing;
    - outsider: a teacher in school B with their own pairing;
    - volunteer: a volunteer serving school A with their own pairing.
    """

    school_a: School
    school_b: School
    term: Term
    admin_a: User
    admin_b: User
    owner: User
    colleague: User
    outsider: User
    volunteer: User
    donor: User
    supervisor: User
    superuser: User
    owned: Pairing
    colleagues: Pairing
    outsiders: Pairing
    volunteers: Pairing


def _mentor(role: str, kind: str, school: School, username: str) -> Mentor:
    user = member(role, school, username=username)
    return MentorFactory(user=user, kind=kind, schools=[school], capacity=5)


def _pairing(mentor: Mentor, school: School, term: Term, **fields) -> Pairing:
    student = StudentFactory(school=school)
    return PairingFactory(mentor=mentor, student=student, term=term, **fields)


def build_world() -> World:
    # No safeguarding policy here, so that any new student may be paired with
    # the (female) mentors; the rule has its own tests in test_pairing_rules.py.
    district = DistrictFactory(same_gender_from_age=None)
    school_a = SchoolFactory(district=district)
    school_b = SchoolFactory(district=district)
    term = TermFactory(district=district)
    owner = _mentor(Role.TEACHER, MentorKind.TEACHER, school_a, "owner")
    colleague = _mentor(Role.TEACHER, MentorKind.PARTY_TEACHER, school_a, "colleague")
    outsider = _mentor(Role.TEACHER, MentorKind.TEACHER, school_b, "outsider")
    volunteer = _mentor(Role.VOLUNTEER, MentorKind.VOLUNTEER, school_a, "volunteer")
    return World(
        school_a=school_a,
        school_b=school_b,
        term=term,
        admin_a=member(Role.ADMINISTRATOR, school_a, username="admin.a"),
        admin_b=member(Role.ADMINISTRATOR, school_b, username="admin.b"),
        owner=owner.user,
        colleague=colleague.user,
        outsider=outsider.user,
        volunteer=volunteer.user,
        donor=member(Role.DONOR, school_a, username="donor"),
        supervisor=member(Role.SUPERVISOR, school_a, username="supervisor"),
        superuser=UserFactory(username="platform.root", is_superuser=True, is_staff=True),
        owned=_pairing(owner, school_a, term),
        colleagues=_pairing(colleague, school_a, term),
        outsiders=_pairing(outsider, school_b, term),
        volunteers=_pairing(volunteer, school_a, term, kind=PairingKind.CARE),
    )


@pytest.fixture
def world(db, clock) -> World:
    return build_world()


def detail_url(pairing) -> str:
    return f"{PAIRINGS_URL}{pairing.pk}/"


def end_url(pairing) -> str:
    return f"{PAIRINGS_URL}{pairing.pk}/end/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def row_counts() -> tuple[int, int]:
    return Pairing.objects.count(), Pairing.history.count()


def new_pairing(w: World, **overrides) -> dict:
    """A care pairing of a new student in school A with the owner, valid as it is."""
    payload = {
        "student": overrides.pop("student", None) or StudentFactory(school=w.school_a).pk,
        "mentor": w.owner.mentor.pk,
        "term": w.term.pk,
        "kind": PairingKind.CARE,
        "reason": "低保家庭需要生活关怀",
    }
    payload.update(overrides)
    return payload
