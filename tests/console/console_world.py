"""A small county for the console's tests: who may open each page, and what each reader sees.

District one has schools A and B, district two school C, each with a term
running today. The readers are the roles the console must tell apart: an
administrator of A, an administrator of B (another school of the same
district), a district administrator (A and B), a teacher with a mentee in A,
a donor of district one and a supervisor of A.
"""

import dataclasses
import datetime

from django.test import Client
from django.utils import timezone

from donations.models import Donor, DonorKind
from mentoring.models import AssessmentStatus, MentorKind, Role, School, Term, User
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
READERS = [
    "school_admin",
    "other_school_admin",
    "district_admin",
    "teacher",
    "donor",
    "supervisor",
]


@dataclasses.dataclass
class World:
    schools: dict[str, School]
    terms: dict[str, Term]
    users: dict[str, User]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def running_term(district, code: str) -> Term:
    today = timezone.localdate()
    return TermFactory(
        district=district,
        code=code,
        start_date=today - datetime.timedelta(days=60),
        end_date=today + datetime.timedelta(days=60),
        holiday_weeks=[],
    )


def pupil(school: School, term: Term, name: str, *, class_name: str = "1班"):
    student = StudentFactory(school=school, name=name)
    StudentRecordFactory(student=student, term=term, grade=3, class_name=class_name)
    return student


def paired(school: School, term: Term, name: str):
    """A pupil of the school with a mentor of their own, paired from the term's start."""
    return PairingFactory(
        mentor=MentorFactory(schools=[school]),
        student=pupil(school, term, name),
        term=term,
        started_on=term.start_date,
    )


def assessment(school: School, term: Term, name: str, status=AssessmentStatus.SUBMITTED, **kw):
    return AssessmentFactory(student=pupil(school, term, name), term=term, status=status, **kw)


def build_world() -> World:
    one, two = DistrictFactory(name="示范县"), DistrictFactory(name="邻县")
    a = SchoolFactory(district=one, code="A-PS", name="阳光小学")
    b = SchoolFactory(district=one, code="B-PS", name="东风小学")
    c = SchoolFactory(district=two, code="C-PS", name="邻县小学")
    terms = {"one": running_term(one, "live-autumn"), "two": running_term(two, "live-autumn")}
    teacher = member(Role.TEACHER, a, username="teacher")
    mentor = MentorFactory(user=teacher, kind=MentorKind.PARTY_TEACHER, schools=[a])
    PairingFactory(
        mentor=mentor,
        student=pupil(a, terms["one"], "李小明"),
        term=terms["one"],
        started_on=terms["one"].start_date,
    )
    donor = member(Role.DONOR, a, username="donor")
    Donor.objects.create(district=one, kind=DonorKind.ORGANISATION, name="县报社", user=donor)
    users = {
        "school_admin": member(Role.ADMINISTRATOR, a, username="school_admin"),
        "other_school_admin": member(Role.ADMINISTRATOR, b, username="other_school_admin"),
        "district_admin": member(Role.ADMINISTRATOR, a, b, username="district_admin"),
        "teacher": teacher,
        "donor": donor,
        "supervisor": member(Role.SUPERVISOR, a, username="supervisor"),
    }
    return World(schools={"A": a, "B": b, "C": c}, terms=terms, users=users)
