"""The demo county: schools, students, mentors and a term's activity, made with the factories.

Deterministic (fixed seeds), so every `make demo` gives the same county, and
safe to run again: everything is found by its natural key before it is made.
The shape follows the seeds' summaries: a kindergarten of 251 children, five
primary schools and one junior middle school of about 1,600 students, with
struggling and poor students, party-member teachers, leaders and volunteers.
"""

import datetime
import random

import factory.random
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
    district = DistrictFactory(code="DEMO-COUNTY", name="示范县")
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
    for number, (code, _name, level, count) in enumerate(SCHOOLS):
        _students(rng, schools[code], term, level, count, school_number=number)
        if level != SchoolLevel.PRESCHOOL:
            _mentors(rng, schools[code], number)
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
                        recorded_on=datetime.date(2026, 9, 10),
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


def _mentors(rng, school, school_number):
    """Party-member teachers, subject teachers and leaders of one school."""
    level = school.level
    subjects = WEAK_SUBJECTS[level]
    plan = [(MentorKind.PARTY_TEACHER, 6), (MentorKind.TEACHER, 4), (MentorKind.LEADER, 2)]
    for kind, count in plan:
        for n in range(count):
            username = f"{school.code.lower()}-{kind}-{n + 1}"
            user = UserFactory(username=username, password=DEMO_PASSWORD)
            MembershipFactory(user=user, school=school, role=Role.TEACHER)
            MentorFactory(
                user=user,
                kind=kind,
                schools=[school],
                subjects=rng.sample(subjects, k=min(2, len(subjects))),
                grades=GRADES[level][n % 2 :: 2] or GRADES[level],
                gender=Gender.FEMALE if n % 2 else Gender.MALE,
                capacity=3 if kind != MentorKind.LEADER else 2,
                party_branch=f"{school.name}党支部" if kind == MentorKind.PARTY_TEACHER else "",
            )


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


# The term so far -----------------------------------------------------------------------------

GOVERNMENT_LIST_KINDS = {
    HardshipKind.DIBAO: "dibao",
    HardshipKind.TEKUN: "tekun",
    HardshipKind.ORPHAN: "orphan",
    HardshipKind.REGISTERED_POVERTY: "registered_poverty",
    HardshipKind.MONITORED_HOUSEHOLD: "monitored_household",
}
APPLICATION_KINDS = [
    HardshipKind.PARENT_DECEASED,
    HardshipKind.DISABLED_PARENT,
    HardshipKind.LONG_TERM_ILLNESS,
]
SESSION_CONTENT = {
    Subject.CHINESE: "阅读理解与作文指导",
    Subject.MATH: "错题讲解与计算练习",
    Subject.ENGLISH: "单词听写与课文朗读",
    Subject.PHYSICS: "力学基础概念复习",
    Subject.CHEMISTRY: "化学方程式配平练习",
}


def demo_id_number(student: Student) -> str:
    """The demo's made-up ID number of a student, rebuilt from its student number."""
    school_number, n = int(student.student_number[1:3]), int(student.student_number[3:])
    return id_number_for(school_number * 1000 + n, student.birth_date)


def run_term(county: County) -> dict:
    """Replay the term so far through the services, as the school would have done it.

    Each step is skipped when it is already done, so the demo can run again.
    """
    return {
        "identification": _identify(county),
        "matching": _match(county),
        "sessions": _log_sessions(county),
        "compliance": _weekly_checks(county),
        "donations": _donations(county),
    }


def _identify(county: County) -> dict:
    from mentoring.models import Assessment, AssessmentStatus
    from mentoring.services import government_list, identification

    term, admin = county.term, county.accounts["district_admin"]
    if Assessment.objects.filter(term=term).exists():
        return _assessment_counts(term)
    # Students on the county's government lists are identified directly.
    listed = (
        HardshipIndicator.objects.filter(
            student__school__district=county.district, kind__in=list(GOVERNMENT_LIST_KINDS)
        )
        .select_related("student")
        .order_by("student__student_number", "kind")
    )
    rows, seen = [], set()
    for indicator in listed:
        if indicator.student_id in seen:
            continue
        seen.add(indicator.student_id)
        rows.append(
            government_list.GovernmentListRow(
                row=len(rows) + 2,
                id_number=demo_id_number(indicator.student),
                category=GOVERNMENT_LIST_KINDS[indicator.kind],
            )
        )
    government_list.government_list_import(by=admin, term_id=term.pk, rows=rows)
    for assessment in Assessment.objects.filter(term=term, status=AssessmentStatus.PROPOSED):
        identification.assessment_approve(by=admin, assessment=assessment, note="政府名单直接认定")

    # Other families apply; their class teachers investigate, the class and the
    # school review, and the school's proposal goes under public notice today.
    applicants = (
        Student.objects.filter(
            school__district=county.district, indicators__kind__in=APPLICATION_KINDS
        )
        .exclude(pk__in=seen)
        .distinct()
        .order_by("student_number")
    )
    tiers = county.district.tier_codes
    for number, student in enumerate(applicants):
        assessment = identification.assessment_submit(
            by=admin,
            student_id=student.pk,
            term_id=term.pk,
            reason="家庭经济困难，申请认定",
            commitment="本人承诺所填信息真实，如有不实愿承担责任",
        )
        for note in ["班主任家访核实", "班级评议小组评议通过"]:
            identification.assessment_review(by=admin, assessment=assessment, note=note)
        identification.assessment_review(
            by=admin,
            assessment=assessment,
            note="学校资助工作领导小组审核",
            tier=tiers[min(number % 3, len(tiers) - 1)],
        )
        identification.assessment_publicize(by=admin, assessment=assessment)
    # The kindergarten decided in September, after its notice (9.7–9.11) ended.
    for assessment in Assessment.objects.filter(
        term=term, status=AssessmentStatus.PUBLICIZED, student__school__code="DEMO-KG"
    ):
        Assessment.objects.filter(pk=assessment.pk).update(
            notice_starts_on=datetime.date(2026, 9, 7), notice_ends_on=datetime.date(2026, 9, 11)
        )
        assessment.refresh_from_db()
        identification.assessment_approve(by=admin, assessment=assessment, note="公示无异议")
    # The supervisory group objects to one proposal, and the school answers.
    first = Assessment.objects.filter(term=term, status=AssessmentStatus.PUBLICIZED).first()
    if first is not None:
        supervisor = county.accounts["supervisor"]
        if first.student.school.memberships.filter(user=supervisor).exists():
            objection = identification.assessment_object(
                by=supervisor, assessment=first, text="该生家庭新购车辆，请核实"
            )
            identification.objection_answer(
                by=admin,
                assessment=first,
                objection=objection,
                answer="经核实为亲属借用车辆，家庭经济状况属实",
            )
    return _assessment_counts(term)


def _assessment_counts(term) -> dict:
    from django.db.models import Count

    from mentoring.models import Assessment

    return dict(
        Assessment.objects.filter(term=term)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def _match(county: County) -> dict:
    from mentoring.models import MatchRun, MatchRunStatus
    from mentoring.services.match_runs import match_run_approve, match_run_start

    run = MatchRun.objects.filter(term=county.term, status=MatchRunStatus.APPROVED).first()
    if run is None:
        run = match_run_start(
            by=county.accounts["district_admin"],
            term_id=county.term.pk,
            kinds=["academic", "care"],
        )
        run.refresh_from_db()
        match_run_approve(run=run, by=county.accounts["district_admin"])
        # The demo replays a term that began in September: the pairings it
        # approved today date from the term's second week.
        from mentoring.models import Pairing

        Pairing.objects.filter(proposal__run=run).update(
            started_on=county.term.start_date + datetime.timedelta(days=6)
        )
    return run.summary


def _log_sessions(county: County) -> int:
    """Weekly tutoring for most pairs and weeks up to today; some weeks are missed."""
    from django.utils import timezone

    from mentoring.models import Pairing, PairingKind, PairingStatus, SessionKind, TutoringSession
    from mentoring.services.sessions import session_log

    term = county.term
    if TutoringSession.objects.filter(pairing__term=term).exists():
        return TutoringSession.objects.filter(pairing__term=term).count()
    # Seeded: the demo's sessions are the same every run.
    rng = random.Random(SEED + 1)  # nosec B311
    today = timezone.localdate()
    holidays = {datetime.date.fromisoformat(week) for week in term.holiday_weeks}
    pairings = (
        Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE)
        .select_related("mentor__user")
        .order_by("pk")
    )
    # One query for every pairing's weak subjects, not one per pairing.
    weak_subjects = dict(
        StudentRecord.objects.filter(term=term).values_list("student_id", "weak_subjects")
    )
    for pairing in pairings:
        monday = pairing.started_on - datetime.timedelta(days=pairing.started_on.weekday())
        weak = weak_subjects.get(pairing.student_id) or [Subject.MATH]
        while monday + datetime.timedelta(days=4) < min(today, term.end_date):
            day = monday + datetime.timedelta(days=rng.randint(0, 4))
            if monday not in holidays and day >= pairing.started_on and rng.random() < 0.85:
                if pairing.kind == PairingKind.ACADEMIC:
                    subject = rng.choice(weak)
                    session_log(
                        by=pairing.mentor.user,
                        pairing_id=pairing.pk,
                        day=day,
                        minutes=rng.choice([40, 45, 60]),
                        kind=SessionKind.TUTORING,
                        subject=subject,
                        content=SESSION_CONTENT.get(subject, "课业辅导"),
                    )
                elif rng.random() < 0.3:
                    session_log(
                        by=pairing.mentor.user,
                        pairing_id=pairing.pk,
                        day=day,
                        minutes=90,
                        kind=SessionKind.HOME_VISIT,
                        content="家访，了解家庭近况，送去学习用品",
                    )
            monday += datetime.timedelta(days=7)
    return TutoringSession.objects.filter(pairing__term=term).count()


def _donations(county: County) -> dict:
    """The seeds' aid projects, money in, allocation by rank, payments, pledges and books."""
    from django.utils import timezone

    from donations.models import AidProject, Allocation, Award
    from donations.money_words import yuan

    district, term = county.district, county.term
    today = timezone.localdate()
    if not AidProject.objects.filter(district=district).exists():
        _government_aid(county, today)
        _social_aid(county, today)
        _books(county, today)
    awards = Award.objects.filter(term=term)
    return {
        "projects": AidProject.objects.filter(district=district).count(),
        "awards": awards.count(),
        "paid": awards.filter(status="paid").count(),
        "balances": {
            p.code: yuan(p.account.balance_fen)
            for p in AidProject.objects.filter(district=district).select_related("account")
        },
        "left_out": {
            a.project.code: len(a.left_out)
            for a in Allocation.objects.filter(term=term).select_related("project")
        },
    }


def _project(county, code, name, source, purpose, *, funding, standards, quotas=(), **rules):
    from donations.services.projects import appropriation_receive, project_save

    admin, term = county.accounts["district_admin"], county.term
    project = project_save(
        by=admin,
        district=county.district,
        fields={"code": code, "name": name, "source": source, "purpose": purpose, **rules},
        standards=[
            {"tier": tier, "level": level, "boarding": boarding, "yearly_fen": yearly}
            for tier, level, boarding, yearly in standards
        ],
        funding=[{"term": term.pk, "source": src, "amount_fen": amount} for src, amount in funding],
        quotas=[
            {"term": term.pk, "school": county.schools[school].pk, "places": places}
            for school, places in quotas
        ],
    )
    # Government money arrives in full (资金到位); society's comes as contributions.
    for src, amount in funding:
        if src != "social":
            appropriation_receive(
                by=admin, project=project, term_id=term.pk, source=src, amount_fen=amount
            )
    return project


def _pay_all(county, project, today, *, every=1):
    """Pay the project's awards by bank transfer (every n-th left unpaid, to show the gap)."""
    from donations.models import Award, AwardStatus, PaymentMethod
    from donations.services.disbursements import disbursement_pay

    admin = county.accounts["district_admin"]
    awards = Award.objects.filter(project=project, status=AwardStatus.AWARDED).order_by("pk")
    for number, award in enumerate(awards):
        if every > 1 and number % every == every - 1:
            continue
        disbursement_pay(
            by=admin,
            award_id=award.pk,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=today,
            bank_reference=f"DEMO-{award.pk:06d}",
        )


def _government_aid(county: County, today) -> None:
    from donations.models import Boarding, FundSource
    from donations.services.allocation import allocate

    admin, term = county.accounts["district_admin"], county.term
    # 学前教育资助: 28 children of the kindergarten at 1,000 yuan a term,
    # 18,900 provincial + 9,100 county (the seeds' kindergarten summary).
    preschool = _project(
        county,
        "PRESCHOOL-2026",
        "学前教育幼儿资助",
        FundSource.PROVINCIAL,
        "preschool_aid",
        levels=["preschool"],
        funding=[(FundSource.PROVINCIAL, 1_890_000), (FundSource.COUNTY, 910_000)],
        standards=[("", "", Boarding.ANY, 200_000)],
        quotas=[("DEMO-KG", 28)],
    )
    # 义务教育生活补助: hardship 200, special hardship 500 primary / 750 junior a year.
    living = _project(
        county,
        "LIVING-2026",
        "义务教育家庭经济困难学生生活补助",
        FundSource.CENTRAL,
        "living_subsidy",
        levels=["primary", "junior_middle"],
        tiers=["special_hardship", "hardship"],
        funding=[(FundSource.CENTRAL, 3_000_000), (FundSource.PROVINCIAL, 750_000)],
        standards=[
            ("hardship", "", Boarding.ANY, 20_000),
            ("special_hardship", "primary", Boarding.ANY, 50_000),
            ("special_hardship", "junior_middle", Boarding.ANY, 75_000),
        ],
    )
    # 寄宿生生活补助: 500 yuan a term for identified boarders.
    boarding = _project(
        county,
        "BOARDING-2026",
        "家庭经济困难寄宿生生活补助",
        FundSource.PROVINCIAL,
        "boarding_subsidy",
        boarding=Boarding.BOARDING,
        funding=[(FundSource.PROVINCIAL, 4_000_000)],
        standards=[("", "", Boarding.BOARDING, 100_000)],
    )
    for project in (preschool, living, boarding):
        allocate(by=admin, project=project, term=term)
    _pay_all(county, preschool, today)
    _pay_all(county, living, today, every=10)
    _pay_all(county, boarding, today, every=5)


def _social_aid(county: County, today) -> None:
    from django.db import transaction

    from donations.models import (
        Boarding,
        Donor,
        DonorKind,
        FundSource,
        PaymentMethod,
        PledgeKind,
        PledgeSchedule,
    )
    from donations.services.allocation import allocate
    from donations.services.awards import award_create
    from donations.services.contributions import contribution_record
    from donations.services.disbursements import disbursement_pay
    from donations.services.pledges import pledge_create
    from mentoring.models import Student

    admin, term, district = county.accounts["district_admin"], county.term, county.district
    newspaper = Donor.objects.create(
        district=district,
        kind=DonorKind.ORGANISATION,
        name="县报社",
        user=county.accounts["donor_org"],
    )
    person = Donor.objects.create(
        district=district,
        kind=DonorKind.INDIVIDUAL,
        name="赵女士",
        anonymous=True,
        user=county.accounts["donor_person"],
    )
    # 报社助学: 36 poor students a term at 500 yuan, pledged every term.
    sponsorship = _project(
        county,
        "NEWSPAPER-2026",
        "县报社爱心助学",
        FundSource.SOCIAL,
        "sponsorship",
        funding=[],  # society's money comes as contributions, not an allocation
        standards=[("", "", Boarding.ANY, 100_000)],
        quotas=[("SUNSHINE-PS", 12), ("RED-STAR-JMS", 24)],
    )
    pledge_create(
        by=county.accounts["donor_org"],
        donor_id=newspaper.pk,
        kind=PledgeKind.MONEY,
        schedule=PledgeSchedule.PER_TERM,
        project_id=sponsorship.pk,
        purpose="每学期资助 36 名贫困学生",
        instalments=[
            (today + datetime.timedelta(days=1), 1_800_000),
            (today + datetime.timedelta(days=180), 1_800_000),
        ],
    )
    # 教职工爱心捐款 and 赵女士's gift; 大病救助: 1,200 yuan for a sick student.
    staff = _project(
        county,
        "STAFF-2026",
        "教职工爱心捐款",
        FundSource.SOCIAL,
        "staff_collection",
        funding=[],
        standards=[("", "", Boarding.ANY, 60_000)],
        quotas=[("RED-STAR-JMS", 5)],
    )
    emergency = _project(
        county,
        "EMERGENCY-2026",
        "大病紧急救助",
        FundSource.SOCIAL,
        "emergency",
        funding=[],
        standards=[("", "", Boarding.ANY, 240_000)],
    )
    teachers = [
        Donor.objects.create(district=district, kind=DonorKind.STAFF, name=f"红星中学教师{i + 1}")
        for i in range(6)
    ]
    gifts = [(newspaper, sponsorship, 1_800_000), (person, emergency, 120_000)]
    gifts += [(teacher, staff, 50_000) for teacher in teachers]
    # Contributions are posted by their job once the transaction commits.
    with transaction.atomic():
        for donor, project, amount in gifts:
            contribution_record(
                by=admin,
                donor_id=donor.pk,
                project_id=project.pk,
                amount_fen=amount,
                received_on=today,
                pledge_id=None,
            )
    for project in (sponsorship, staff):
        allocate(by=admin, project=project, term=term)
        _pay_all(county, project, today)
    sick = (
        Student.objects.filter(
            school=county.schools["RED-STAR-JMS"], indicators__kind="long_term_illness"
        )
        .order_by("student_number")
        .first()
    )
    if sick is not None:
        award = award_create(
            by=admin,
            project_id=emergency.pk,
            student_id=sick.pk,
            term_id=term.pk,
            amount_fen=120_000,
            reason="学生患重病住院，紧急救助",
        )
        disbursement_pay(
            by=admin,
            award_id=award.pk,
            method=PaymentMethod.CASH,
            paid_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )


def _books(county: County, today) -> None:
    from donations.models import Award, Donor, DonorKind, ItemKind, PledgeKind, PledgeSchedule
    from donations.services.items import item_distribute, item_donation_record
    from donations.services.pledges import pledge_create

    admin, district = county.accounts["district_admin"], county.district
    bookshop = Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="新华书店")
    pledge = pledge_create(
        by=admin,
        donor_id=bookshop.pk,
        kind=PledgeKind.ITEMS,
        schedule=PledgeSchedule.INSTALMENTS,
        purpose="寄宿生课外读物",
        item_name="课外读物",
        item_unit="本",
        unit_value_fen=2_500,
        instalments=[
            (today + datetime.timedelta(days=7), 200),
            (today + datetime.timedelta(days=120), 200),
        ],
    )
    books = ItemKind.objects.create(district=district, name="课外读物", unit="本")
    item_donation_record(
        by=admin,
        donor_id=bookshop.pk,
        item_kind_id=books.pk,
        quantity=200,
        value_fen=500_000,
        received_on=today,
        pledge_id=pledge.pk,
    )
    boarders = (
        Award.objects.filter(project__code="BOARDING-2026")
        .order_by("pk")
        .values_list("student_id", flat=True)[:20]
    )
    for student_id in boarders:
        item_distribute(
            by=admin,
            item_kind_id=books.pk,
            student_id=student_id,
            quantity=2,
            given_on=today,
            signed_by_student=True,
            signed_by_guardian=True,
        )


def _weekly_checks(county: County) -> dict:
    """Replay the Monday check of every week of the term so far, then read the figures.

    Each Monday's reminders are stored as they would have been; their e-mails
    go to memory instead of the console, which would drown the demo's output.
    A late session is then logged for last week, as a teacher would on
    Monday morning, and its week's row is refreshed after the commit.
    """
    from django.test.utils import override_settings
    from django.utils import timezone

    from mentoring.models import Notification, PairingKind, PairingStatus, SessionKind
    from mentoring.models import WeeklyCompliance as Week
    from mentoring.school_weeks import last_ended_week, school_weeks
    from mentoring.selectors.compliance import compliance_summary
    from mentoring.services.compliance import compliance_check
    from mentoring.services.sessions import session_log

    term, admin = county.term, county.accounts["district_admin"]
    today = timezone.localdate()
    if not Week.objects.filter(term=term).exists():
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for monday in school_weeks(term.start_date, term.end_date, term.holiday_weeks):
                if monday + datetime.timedelta(days=7) > today:
                    break
                compliance_check(term_id=term.pk, today=monday + datetime.timedelta(days=7))
        # Monday morning: one mentor logs last week's missed session late.
        last_week = last_ended_week(today)
        missed = (
            Week.objects.filter(
                term=term,
                week_start=last_week,
                met=False,
                pairing__status=PairingStatus.ACTIVE,
                pairing__kind=PairingKind.ACADEMIC,
            )
            .select_related("pairing__mentor__user")
            .order_by("pairing_id")
            .first()
        )
        if missed is not None and term.contains(last_week + datetime.timedelta(days=4)):
            with transaction.atomic():
                session_log(
                    by=missed.pairing.mentor.user,
                    pairing_id=missed.pairing_id,
                    day=max(last_week + datetime.timedelta(days=4), missed.pairing.started_on),
                    minutes=45,
                    kind=SessionKind.TUTORING,
                    subject=Subject.MATH,
                    content="补记：上周五放学后辅导数学",
                )
    summary = compliance_summary(user=admin, term_id=term.pk)
    summary["reminders"] = Notification.objects.filter(
        kind__in=["missed_week", "missed_streak"], school__district=county.district
    ).count()
    return summary


def compliance_lines(summary: dict) -> list[str]:
    """The compliance figures of the demo term, one line per school, for the demo command."""
    totals = summary["totals"]
    lines = [
        f"  weekly tutoring: {totals['pair_weeks_met']} of {totals['pair_weeks']} pair-weeks met "
        f"({totals['met_percent']} %), {totals['sessions']} sessions, {totals['minutes']} min, "
        f"{totals['home_visits']} home visits, {totals['students_with_streak']} students with "
        f"2+ missed weeks in a row, {summary['reminders']} reminders stored",
    ]
    for row in summary["by_school"]:
        if not row["pair_weeks"] and not row["party_teachers"]:
            continue
        lines.append(
            f"    {row['school_code']:<13} {row['met_percent'] or 0:>5} % met "
            f"({row['pair_weeks_met']}/{row['pair_weeks']}), {row['sessions']:>4} sessions, "
            f"{row['home_visits']:>3} home visits, streaks {row['students_with_streak']:>2}, "
            f"party-member teachers with a mentee {row['party_teachers_with_mentee']}"
            f"/{row['party_teachers']}"
        )
    return lines


def build_term_report(county: County) -> dict:
    """Build the district's term report (a new version each run) and write its files.

    The HTML, XLSX and PDF go to var/reports/, named by term and version.
    """
    from pathlib import Path

    from django.conf import settings

    from workers.reporting import exports
    from workers.reports import ReportReader, report_start

    admin = county.accounts["district_admin"]
    report = report_start(by=admin, term_id=county.term.pk, district_id=county.district.pk)
    report.refresh_from_db()
    if report.data is None:  # failed, or queued for a worker (REDIS_URL set)
        return {"report": report, "files": [], "error": report.error}
    data = ReportReader(admin).data(report)
    folder = Path(settings.VAR_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"report-{county.term.code}-{county.district.code}-v{report.version}"
    files = []
    formats = [
        ("html", lambda: exports.to_html(data, language="zh-hans").encode()),
        ("xlsx", lambda: exports.to_xlsx(data)),
    ]
    # The PDF needs the system's Pango (see README); without it the rest is written.
    if exports.pdf_available():
        formats.append(("pdf", lambda: exports.to_pdf(data, language="zh-hans")))
    for suffix, render in formats:
        body = render()
        path = stem.with_suffix(f".{suffix}")
        path.write_bytes(body)
        files.append(path)
    return {"report": report, "files": files, "error": ""}
