"""The demo county: its schools, accounts, students and mentors, made with the factories.

Deterministic (fixed seeds) and safe to run again: everything is found by its
natural key before it is made. The shape follows the seeds' summaries: a
kindergarten of 251 children, five primary schools and one junior middle
school of about 1,600 students, with struggling and poor students,
party-member teachers, leaders and volunteers. `workers.demo` runs the term.
"""

import datetime
import random

import factory.random
import faker
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from mentoring.models import (
    Gender,
    HardshipIndicator,
    HardshipKind,
    IndicatorSource,
    MentorKind,
    Role,
    School,
    SchoolLevel,
    Student,
    StudentRecord,
    Subject,
    SubjectScore,
)
from workers.factories import (
    DistrictFactory,
    MembershipFactory,
    MentorFactory,
    SchoolFactory,
    StudentFactory,
    TermFactory,
    UserFactory,
    id_number_for,
)

SEED = 2026
# Published in the README: the demo's accounts are for trying the demo only.
DEMO_PASSWORD = "bangfu-demo-2026"  # noqa: S105  # nosec B105
# The day the roster's hardship indicators were recorded: every student with one is
# identified by the term's replay (`workers.demo_term`); `workers.demo_waiting` takes others.
ROSTER_DAY = datetime.date(2026, 9, 10)

# code, name, level, students
SCHOOLS = [
    ("DEMO-KG", "示范县第一幼儿园", SchoolLevel.PRESCHOOL, 251),
    ("SUNSHINE-PS", "阳光小学", SchoolLevel.PRIMARY, 220),
    ("DONGFENG-PS", "东风小学", SchoolLevel.PRIMARY, 200),
    ("XINHUA-PS", "新华小学", SchoolLevel.PRIMARY, 180),
    ("HEXI-PS", "河西小学", SchoolLevel.PRIMARY, 160),
    ("QINGSHAN-PS", "青山小学", SchoolLevel.PRIMARY, 140),
    ("RED-STAR-JMS", "红星初级中学", SchoolLevel.JUNIOR_MIDDLE, 700),
]

# username, role, schools, (family name, given name): one account per role to try the API.
ACCOUNTS = [
    ("admin", Role.ADMINISTRATOR, ["SUNSHINE-PS"], ("王", "校长")),
    ("district_admin", Role.ADMINISTRATOR, [code for code, *_ in SCHOOLS], ("李", "科长")),
    ("teacher_a", Role.TEACHER, ["SUNSHINE-PS"], ("张", "老师")),
    ("teacher_b", Role.TEACHER, ["RED-STAR-JMS"], ("刘", "老师")),
    ("volunteer", Role.VOLUNTEER, ["SUNSHINE-PS", "DONGFENG-PS"], ("陈", "志愿者")),
    ("donor_org", Role.DONOR, ["SUNSHINE-PS", "RED-STAR-JMS"], ("县报社", "")),
    ("donor_person", Role.DONOR, ["SUNSHINE-PS"], ("赵", "女士")),
    ("supervisor", Role.SUPERVISOR, ["SUNSHINE-PS", "RED-STAR-JMS"], ("周", "代表")),
]

GRADES = {
    SchoolLevel.PRESCHOOL: [1, 2, 3],
    SchoolLevel.PRIMARY: [1, 2, 3, 4, 5, 6],
    SchoolLevel.JUNIOR_MIDDLE: [7, 8, 9],
}
BIRTH_YEAR_OF_GRADE_1 = {
    SchoolLevel.PRESCHOOL: 2022,
    SchoolLevel.PRIMARY: 2019,
    SchoolLevel.JUNIOR_MIDDLE: 2019,
}
POOR_KINDS = [
    HardshipKind.DIBAO,
    HardshipKind.REGISTERED_POVERTY,
    HardshipKind.MONITORED_HOUSEHOLD,
    HardshipKind.PARENT_DECEASED,
    HardshipKind.DISABLED_PARENT,
    HardshipKind.LONG_TERM_ILLNESS,
    HardshipKind.ORPHAN,
    HardshipKind.TEKUN,
]
WEAK_SUBJECTS = {
    SchoolLevel.PRIMARY: [Subject.CHINESE, Subject.MATH, Subject.ENGLISH],
    SchoolLevel.JUNIOR_MIDDLE: [
        Subject.CHINESE,
        Subject.MATH,
        Subject.ENGLISH,
        Subject.PHYSICS,
        Subject.CHEMISTRY,
    ],
}


class County:
    """What the demo made, for the steps after it."""

    def __init__(self, district, term, schools, accounts):
        self.district = district
        self.term = term
        self.schools = schools
        self.accounts = accounts


@transaction.atomic
def build_county() -> County:
    factory.random.reseed_random(SEED)
    # Seeded on purpose: the same county every run. Nothing secret comes from it.
    rng = random.Random(SEED)  # nosec B311
    # The complaint line (举报电话) the public notice and the payment notices print.
    district = DistrictFactory(code="DEMO-COUNTY", name="示范县", complaint_phone="0816-1234567")
    TermFactory(
        district=district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 23),
        end_date=datetime.date(2026, 7, 3),
        holiday_weeks=["2026-05-04"],
    )
    term = TermFactory(
        district=district,
        code="2026-autumn",
        school_year="2026-2027",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 1, 22),
        holiday_weeks=["2026-09-28"],
    )
    schools = {
        code: SchoolFactory(code=code, name=name, level=level, district=district)
        for code, name, level, _count in SCHOOLS
    }
    accounts = _accounts(schools)
    mentors = []
    for number, (code, _name, level, count) in enumerate(SCHOOLS):
        _students(rng, schools[code], term, level, count, school_number=number)
        if level != SchoolLevel.PRESCHOOL:
            mentors += _mentor_plan(rng, schools[code])
    _mentors(mentors, district)
    _volunteers(schools, accounts)
    return County(district, term, schools, accounts)


def _accounts(schools: dict[str, School]) -> dict:
    accounts = {}
    for username, role, codes, (family, given) in ACCOUNTS:
        user = UserFactory(
            username=username,
            last_name=family,
            first_name=given,
            email=f"{username}@demo.bangfu.local",
            password=DEMO_PASSWORD,
        )
        for code in codes:
            MembershipFactory(user=user, school=schools[code], role=role)
        accounts[username] = user
    # The demo teachers are party-member teachers with a mentor profile.
    for username, code in [("teacher_a", "SUNSHINE-PS"), ("teacher_b", "RED-STAR-JMS")]:
        MentorFactory(
            user=accounts[username],
            kind=MentorKind.PARTY_TEACHER,
            schools=[schools[code]],
            subjects=[Subject.MATH, Subject.CHINESE],
            capacity=3,
            grades=[4, 5, 6] if code == "SUNSHINE-PS" else [7, 8, 9],
        )
    return accounts


def _students(rng, school, term, level, count, *, school_number):
    """The school's roster for the term; skipped when it is already there."""
    if Student.objects.filter(school=school).exists():
        return
    grades = GRADES[level]
    students, records, indicators, scores = [], [], [], []
    for n in range(count):
        grade = grades[n % len(grades)]
        birth = datetime.date(BIRTH_YEAR_OF_GRADE_1[level] - (grade - 1), 1 + n % 12, 1 + n % 28)
        student = StudentFactory.build(
            school=school,
            student_number=f"G{school_number:02d}{n:06d}",
            birth_date=birth,
            gender=Gender.FEMALE if n % 2 else Gender.MALE,
            id_number=id_number_for(school_number * 1000 + n, birth),
        )
        students.append(student)
    bulk_create_with_history(students, Student, batch_size=500)
    students = list(Student.objects.filter(school=school).order_by("student_number"))
    for n, student in enumerate(students):
        poor = rng.random() < 0.12
        struggling = level != SchoolLevel.PRESCHOOL and rng.random() < 0.12
        weak = rng.sample(WEAK_SUBJECTS[level], k=rng.choice([1, 2])) if struggling else []
        grade = grades[n % len(grades)]
        records.append(
            StudentRecord(
                student=student,
                term=term,
                level=level,
                grade=grade,
                class_name=f"{1 + (n // len(grades)) % 4}班",
                boarding=level == SchoolLevel.JUNIOR_MIDDLE and rng.random() < 0.4,
                household_size=rng.randint(3, 6),
                income_per_capita_fen=rng.randint(250_000, 600_000)
                if poor
                else rng.randint(900_000, 3_000_000),
                disabled=poor and rng.random() < 0.05,
                struggling=struggling,
                weak_subjects=weak,
            )
        )
        if poor:
            for kind in rng.sample(POOR_KINDS, k=rng.choice([1, 1, 2])):
                indicators.append(
                    HardshipIndicator(
                        student=student,
                        kind=kind,
                        source=IndicatorSource.FAMILY_APPLICATION,
                        recorded_on=ROSTER_DAY,
                    )
                )
    bulk_create_with_history(records, StudentRecord, batch_size=500)
    bulk_create_with_history(indicators, HardshipIndicator, batch_size=500)
    for record in StudentRecord.objects.filter(student__school=school, struggling=True):
        for subject in record.weak_subjects:
            scores.append(
                SubjectScore(record=record, subject=subject, start_score=rng.randint(35, 59))
            )
    bulk_create_with_history(scores, SubjectScore, batch_size=500)


def _mentor_plan(rng, school) -> list[dict]:
    """Party-member teachers, subject teachers and leaders of one school, to be made."""
    level = school.level
    subjects = WEAK_SUBJECTS[level]
    plan = [(MentorKind.PARTY_TEACHER, 6), (MentorKind.TEACHER, 4), (MentorKind.LEADER, 2)]
    return [
        {
            "username": f"{school.code.lower()}-{kind}-{n + 1}",
            "kind": kind,
            "school": school,
            "subjects": rng.sample(subjects, k=min(2, len(subjects))),
            "grades": GRADES[level][n % 2 :: 2] or GRADES[level],
            "gender": Gender.FEMALE if n % 2 else Gender.MALE,
            "capacity": 3 if kind != MentorKind.LEADER else 2,
            "party_branch": f"{school.name}党支部" if kind == MentorKind.PARTY_TEACHER else "",
        }
        for kind, count in plan
        for n in range(count)
    ]


def _mentors(plan: list[dict], district) -> None:
    """The mentors of `plan`, each with a Chinese name that no student or guardian has.

    The names come from a zh_CN Faker seeded apart from the factories' shared
    generator, so the same names come out every run; a teacher never shares a
    name with a child or a parent of the county, nor contains one, so a name tells them apart.
    """
    names = faker.Faker("zh_CN")
    names.seed_instance(SEED)
    taken = {
        name
        for pair in Student.objects.filter(school__district=district).values_list(
            "name", "guardian_name"
        )
        for name in pair
    }
    for mentor in plan:
        family, given = _mentor_name(names, mentor["gender"], taken)
        user = UserFactory(
            username=mentor["username"],
            last_name=family,
            first_name=given,
            password=DEMO_PASSWORD,
        )
        MembershipFactory(user=user, school=mentor["school"], role=Role.TEACHER)
        MentorFactory(
            user=user,
            kind=mentor["kind"],
            schools=[mentor["school"]],
            subjects=mentor["subjects"],
            grades=mentor["grades"],
            gender=mentor["gender"],
            capacity=mentor["capacity"],
            party_branch=mentor["party_branch"],
        )


def _mentor_name(names: faker.Faker, gender: str, taken: set[str]) -> tuple[str, str]:
    """A (family name, given name) with no name of `taken` in it, then taken."""
    while True:
        family = names.last_name()
        given = names.first_name_female() if gender == Gender.FEMALE else names.first_name_male()
        name = family + given
        # Nor a child's name inside it (刘玉 in 刘玉华): a log line naming the teacher
        # must not seem to name the child.
        parts = {name[i:j] for i in range(len(name)) for j in range(i + 2, len(name) + 1)}
        if not parts & taken:
            taken.add(name)
            return family, given


def _volunteers(schools, accounts):
    MentorFactory(
        user=accounts["volunteer"],
        kind=MentorKind.VOLUNTEER,
        schools=[schools["SUNSHINE-PS"], schools["DONGFENG-PS"]],
        subjects=[Subject.ENGLISH],
        grades=[3, 4, 5, 6],
        capacity=2,
        vetted_until=datetime.date(2027, 8, 31),
    )


def demo_id_number(student: Student) -> str:
    """The demo's made-up ID number of a student, rebuilt from its student number."""
    school_number, n = int(student.student_number[1:3]), int(student.student_number[3:])
    return id_number_for(school_number * 1000 + n, student.birth_date)
