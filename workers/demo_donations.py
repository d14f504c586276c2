"""The demo's aid and donations: the seeds' projects, money in, allocation by rank, payments,
pledges and books, through the donations services.
"""

import datetime

from django.db import transaction

from mentoring.models import Student
from workers.demo_county import County

# The living subsidy's places per school of compulsory education this term.
LIVING_PLACES = [
    ("SUNSHINE-PS", 22),
    ("DONGFENG-PS", 20),
    ("XINHUA-PS", 18),
    ("HEXI-PS", 16),
    ("QINGSHAN-PS", 14),
    ("RED-STAR-JMS", 70),
]


def donations_replay(county: County) -> dict:
    """The seeds' aid projects, money in, allocation by rank, payments, pledges and books."""
    from django.utils import timezone

    from core.money import yuan
    from donations.models import AidProject, Allocation, Award

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


def _project(
    county, code, name, source, purpose, *, funding, standards, quotas=(), tier_shares=(), **rules
):
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
        tier_shares=[
            {"tier": tier, "percent": percent, "places": None} for tier, percent in tier_shares
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
        _guardian_account(admin, award.student)
        disbursement_pay(
            by=admin,
            award_id=award.pk,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=today,
            bank_reference=f"DEMO-{award.pk:06d}",
        )


def _guardian_account(admin, student) -> None:
    """A transfer goes to the guardian's account on record: the demo records a made-up one."""
    from mentoring.models import GuardianAccount
    from mentoring.services.guardian_accounts import guardian_account_set

    if not GuardianAccount.objects.filter(student=student).exists():
        guardian_account_set(
            by=admin,
            student=student,
            holder_name=student.guardian_name or f"{student.name}家长",
            bank_name="中国农业银行",
            account_number=f"6228480{student.pk:012d}",
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
    # 义务教育生活补助: hardship 200, special hardship 500 primary / 750 junior a year;
    # of each school's places (the county's control number split by school,
    # about one student in ten) 80 % go to hardship and 20 % to special hardship.
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
        quotas=LIVING_PLACES,
        tier_shares=[("hardship", 80), ("special_hardship", 20)],
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
