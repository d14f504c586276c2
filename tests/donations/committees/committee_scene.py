"""The scene of the committees/ tests: a district with two schools, its village committees,
the compulsory living subsidy that uses them, and approved students of each committee.
"""

from dataclasses import dataclass, field

from donations.models import AidProject, FundSource
from donations.services.projects import appropriation_receive, project_save
from mentoring.models import (
    AssessmentStatus,
    District,
    School,
    SchoolLevel,
    Student,
    Term,
    User,
    VillageCommittee,
)
from workers.factories import (
    AssessmentFactory,
    DistrictFactory,
    GuardianAccountFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    VillageCommitteeFactory,
    member,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
REVIEWS = "/api/v1/committee-reviews/"
COMMITTEES = "/api/v1/village-committees/"
PAY = "/api/v1/disbursements/"


@dataclass
class Scene:
    district: District
    term: Term
    schools: list[School]
    admins: list[User]
    district_admin: User
    committees: list[VillageCommittee]
    students: list[Student] = field(default_factory=list)


def build(*, committees: int = 2) -> Scene:
    district = DistrictFactory()
    term = TermFactory(district=district)
    schools = [SchoolFactory(district=district) for _ in range(2)]
    return Scene(
        district=district,
        term=term,
        schools=schools,
        admins=[member("administrator", school) for school in schools],
        district_admin=member("administrator", *schools),
        committees=[VillageCommitteeFactory(district=district) for _ in range(committees)],
    )


def approved_student(scene: Scene, *, school=0, committee: int | None = 0, need=50) -> Student:
    """An approved hardship student of the school, living in that committee (None: none known)."""
    student = StudentFactory(
        school=scene.schools[school],
        committee=scene.committees[committee] if committee is not None else None,
    )
    StudentRecordFactory(student=student, term=scene.term, level=SchoolLevel.PRIMARY)
    # Paid by transfer into the guardian's account, which must be on record.
    GuardianAccountFactory(student=student)
    AssessmentFactory(
        student=student,
        term=scene.term,
        status=AssessmentStatus.APPROVED,
        tier="hardship",
        need_score=need,
    )
    scene.students.append(student)
    return student


def living_subsidy(
    scene: Scene, *, uses_committees=True, places: list[int] | None = None, code="LIVING"
) -> AidProject:
    """The compulsory living subsidy (200 a year, 100.00 a term), funded; committee quotas
    `places` for the scene's committees in order (None: no quota at all)."""
    project = project_save(
        by=scene.district_admin,
        district=scene.district,
        fields={
            "code": code,
            "name": "义务教育家庭经济困难学生生活补助",
            "source": FundSource.COUNTY,
            "purpose": f"living-{code}",
            "uses_committees": uses_committees,
        },
        standards=[{"tier": "", "level": "", "boarding": "any", "yearly_fen": 20_000}],
        funding=[{"term": scene.term.pk, "source": FundSource.COUNTY, "amount_fen": 1_000_000}],
        committee_quotas=[
            {"term": scene.term.pk, "committee": committee.pk, "places": n}
            for committee, n in zip(scene.committees, places or [], strict=False)
        ],
    )
    appropriation_receive(
        by=scene.district_admin,
        project=project,
        term_id=scene.term.pk,
        source=FundSource.COUNTY,
        amount_fen=1_000_000,
    )
    return project
