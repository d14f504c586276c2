"""A district with two schools whose lists are exported (issue 16, item 6), and a reader of
every role: school A's administrator, school B's, the district's, a teacher of school A with
one mentee, a donor and a supervisor of school A.

Each school has `size` students with a term record; every second one is identified (approved),
every fourth is under public notice today; an aid project awards every identified student of
both schools and pays half of them.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from openpyxl import load_workbook

from donations.models import AidProject, FundSource, ProjectFunding
from mentoring.models import AssessmentRoute, AssessmentStatus, District, School, Student, Term
from tests.report_scene import appropriate, award_bulk, pay_bulk
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


@dataclass
class ListScene:
    district: District
    term: Term
    schools: dict[str, School]
    students: dict[str, list[Student]]
    readers: dict = field(default_factory=dict)
    project: AidProject | None = None
    mentee: Student | None = None


def add_school_students(scene: ListScene, key: str, size: int) -> None:
    school = scene.schools[key]
    today = timezone.localdate()
    people = scene.students.setdefault(key, [])
    for n in range(len(people), len(people) + size):
        student = StudentFactory(school=school, name=f"{key}同学{n:03d}号")
        StudentRecordFactory(student=student, term=scene.term, grade=1 + n % 6)
        people.append(student)
        if n % 2 == 0:
            under_notice = n % 4 == 0
            AssessmentFactory(
                student=student,
                term=scene.term,
                route=AssessmentRoute.APPLICATION,
                status=AssessmentStatus.PUBLICIZED if under_notice else AssessmentStatus.APPROVED,
                tier="hardship",
                decided_on=None if under_notice else datetime.date(2026, 10, 9),
                notice_starts_on=today - datetime.timedelta(days=1) if under_notice else None,
                notice_ends_on=today + datetime.timedelta(days=5) if under_notice else None,
            )


def award_approved(scene: ListScene, key: str) -> None:
    """Award every approved student of the school, and pay every second award."""
    admin = scene.readers["district_admin"]
    approved = [s for n, s in enumerate(scene.students[key]) if n % 4 == 2]
    already = set(scene.project.awards.values_list("student", flat=True))
    fresh = [s for s in approved if s.pk not in already]
    funding = ProjectFunding.objects.get(project=scene.project, term=scene.term)
    appropriate(scene.project, funding, len(fresh) * 50_000)
    award_bulk(scene.project, scene.term, fresh, 50_000, by=admin)
    awards = list(scene.project.awards.filter(student__in=fresh).order_by("pk"))
    pay_bulk(awards[::2], by=admin)


def list_scene(size: int = 8) -> ListScene:
    district = DistrictFactory(code="LIST-COUNTY", name="列表县", complaint_phone="0816-1234567")
    term = TermFactory(district=district)
    schools = {
        "A": SchoolFactory(district=district, code="LIST-A", name="甲小学"),
        "B": SchoolFactory(district=district, code="LIST-B", name="乙小学"),
    }
    scene = ListScene(district, term, schools, {})
    scene.readers = {
        "school_admin": member("administrator", schools["A"], first_name="丽", last_name="王"),
        "other_admin": member("administrator", schools["B"]),
        "district_admin": member("administrator", schools["A"], schools["B"]),
        "teacher": member("teacher", schools["A"]),
        "volunteer": member("volunteer", schools["A"]),
        "donor": member("donor", schools["A"]),
        "supervisor": member("supervisor", schools["A"]),
    }
    scene.project = AidProject.objects.create(
        district=district,
        code="LIST-AID",
        name="义务教育生活补助",
        source=FundSource.CENTRAL,
        purpose="living_subsidy",
    )
    ProjectFunding.objects.create(
        project=scene.project, term=term, source=FundSource.CENTRAL, amount_fen=10_000_000
    )
    for key in schools:
        add_school_students(scene, key, size)
        award_approved(scene, key)
    # The teacher mentors one approved student of school A (the third).
    scene.mentee = scene.students["A"][2]
    mentor = MentorFactory(user=scene.readers["teacher"], schools=[schools["A"]])
    PairingFactory(student=scene.mentee, term=term, mentor=mentor)
    return scene


def sheet_rows(body: bytes) -> list[tuple]:
    """The workbook's only sheet, as rows of values."""
    import io

    workbook = load_workbook(io.BytesIO(body))
    return list(workbook.active.iter_rows(values_only=True))


def table_of(body: bytes, first_column: str) -> tuple[list, list[list]]:
    """The header row (the one starting with `first_column`) and the rows under it that are
    numbered (序号), leaving out titles, totals and notes."""
    rows = sheet_rows(body)
    start = next(n for n, row in enumerate(rows) if row[0] == first_column)
    header = list(rows[start])
    body_rows = [
        list(r) for r in rows[start + 1 :] if r[0] not in (None, "") and str(r[0]).isdigit()
    ]
    return header, body_rows
