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

from donations.models import Award, Donor, DonorKind, FundSource
from donations.services.awards import award_create
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import AssessmentStatus, MentorKind, Role, School, Term, User
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    GuardianAccountFactory,
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

# What each reader gets opening a console page: administrators only.
OPENS = {
    "school_admin": 200,
    "other_school_admin": 200,
    "district_admin": 200,
    "teacher": 403,
    "donor": 403,
    "supervisor": 403,
}


@dataclasses.dataclass
class World:
    schools: dict[str, School]
    terms: dict[str, Term]
    users: dict[str, User]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def approve_run(client: Client, run, **extra):
    """Approve a run on its page as an administrator does: ticking what was reviewed."""
    page = client.get(f"/console/matching/{run.pk}/").content.decode()
    reviewed = page.split('name="reviewed" value="', 1)[1].split('"', 1)[0]
    return client.post(f"/console/matching/{run.pk}/approve/", {"reviewed": reviewed}, **extra)


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


def aid_project(world: World, *, code: str = "LIVING", arrived_fen: int = 1_000_000):
    """A living-subsidy project of district one: 200.00 yuan a term to each approved student,
    10,000.00 yuan of provincial funding for the live term, `arrived_fen` of it arrived."""
    admin, term = world.users["district_admin"], world.terms["one"]
    project = project_save(
        by=admin,
        district=world.schools["A"].district,
        fields={
            "code": code,
            "name": "生活补助",
            "source": FundSource.PROVINCIAL,
            "purpose": code.lower(),
        },
        standards=[{"tier": "", "level": "", "boarding": "any", "yearly_fen": 40_000}],
        funding=[{"term": term.pk, "source": FundSource.PROVINCIAL, "amount_fen": 1_000_000}],
    )
    if arrived_fen:
        appropriation_receive(
            by=admin,
            project=project,
            term_id=term.pk,
            source=FundSource.PROVINCIAL,
            amount_fen=arrived_fen,
        )
    return project


def aided(world: World, project, school: School, name: str, *, instalments=(10_000, 10_000)):
    """A student of `school` with a guardian's account, awarded 200.00 yuan by `project`."""
    term = world.terms["one"]
    student = pupil(school, term, name)
    GuardianAccountFactory(student=student)
    award = award_create(
        by=world.users["district_admin"],
        project_id=project.pk,
        student_id=student.pk,
        term_id=term.pk,
        amount_fen=sum(instalments),
        instalments=list(instalments),
    )
    return Award.objects.get(pk=award.pk)
