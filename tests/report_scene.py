"""Terms to report on: the seeds' kindergarten, and a school of any size with every record kind.

Rows are written in bulk (or through the donations services where the money
moves), so a school of 2,000 students builds in a few seconds.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    AwardStatus,
    Disbursement,
    Donor,
    DonorKind,
    FundAccount,
    FundSource,
    ItemKind,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    PledgeSchedule,
    PledgeStatus,
    ProjectFunding,
)
from donations.services.contributions import contribution_post, contribution_record
from donations.services.items import item_distribute, item_donation_record
from donations.services.ledger import fund_account_of
from mentoring.models import (
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    Gender,
    Mentor,
    MentorKind,
    Objection,
    Pairing,
    PairingKind,
    PairingStatus,
    School,
    SchoolLevel,
    SessionKind,
    Student,
    StudentRecord,
    Subject,
    SubjectScore,
    Term,
    TutoringSession,
    User,
    WeeklyCompliance,
)
from workers.factories import DistrictFactory, SchoolFactory, TermFactory, UserFactory, member

TERM_START = datetime.date(2026, 9, 1)
PAID_ON = datetime.date(2026, 10, 20)


@dataclass
class Scene:
    district: object
    term: Term
    admin: User
    schools: dict = field(default_factory=dict)
    projects: dict = field(default_factory=dict)


def add_students(school: School, term: Term, count: int, *, boarding_every=0, struggling_every=0):
    """`count` students of `school` with their record for `term`; returns the students."""
    first = Student.objects.count()
    students = Student.objects.bulk_create(
        [
            Student(
                school=school,
                student_number=f"{school.code}-{first + n:06d}",
                name=f"学生{first + n}",
                gender=Gender.FEMALE if n % 2 else Gender.MALE,
                birth_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=n % 900),
                id_hash=f"hash-{school.code}-{first + n}",
                id_masked="**************0000",
            )
            for n in range(count)
        ]
    )
    if not students[0].pk:
        students = list(Student.objects.filter(school=school).order_by("pk"))[-count:]
    StudentRecord.objects.bulk_create(
        [
            StudentRecord(
                student=student,
                term=term,
                level=school.level,
                grade=1 + n % 6,
                class_name=f"{1 + n % 4}班",
                boarding=bool(boarding_every) and n % boarding_every == 0,
                struggling=bool(struggling_every) and n % struggling_every == 0,
                weak_subjects=[Subject.MATH]
                if struggling_every and n % struggling_every == 0
                else [],
            )
            for n, student in enumerate(students)
        ]
    )
    return students


def appropriate(project: AidProject, funding: ProjectFunding, amount_fen: int) -> LedgerEntry:
    """An appropriation received against the term's funding, as the lead's service will post it."""
    account = fund_account_of(project)
    account.refresh_from_db()
    entry = LedgerEntry.objects.create(
        account=account,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=amount_fen,
        balance_after_fen=account.balance_fen + amount_fen,
        source=funding.source,
        funding=funding,
        memo="appropriation",
    )
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=entry.balance_after_fen)
    return entry


def award_bulk(project, term, students, amount_fen, *, by, created_at=None) -> list[Award]:
    Award.objects.bulk_create(
        [
            Award(
                project=project,
                student=student,
                term=term,
                amount_fen=amount_fen,
                purpose=project.purpose,
                term_code=term.code,
                student_id_hash=student.id_hash,
                reason="test",
                created_by=by,
            )
            for student in students
        ]
    )
    # Made before the scene's payments (PAID_ON and later): a payment is never dated
    # before its award, and the database refuses one that is (donations migration 0022).
    if created_at is None:
        created_at = timezone.make_aware(datetime.datetime(2026, 9, 1, 9, 0))
    Award.objects.filter(project=project, term=term).update(created_at=created_at)
    return list(Award.objects.filter(project=project, term=term).order_by("pk"))


def pay_bulk(awards, *, by, paid_on=PAID_ON) -> None:
    """Pay awards in bulk: one disbursement entry per award, balances running down."""
    if not awards:
        return
    account = fund_account_of(awards[0].project)
    account.refresh_from_db()
    balance = account.balance_fen
    entries = []
    for award in awards:
        balance -= award.amount_fen
        entries.append(
            LedgerEntry(
                account=account,
                kind=LedgerKind.DISBURSEMENT,
                amount_fen=-award.amount_fen,
                balance_after_fen=balance,
                memo=f"Award #{award.pk}",
                created_by=by,
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    entries = list(
        LedgerEntry.objects.filter(account=account, kind=LedgerKind.DISBURSEMENT).order_by("pk")
    )[-len(awards) :]
    Disbursement.objects.bulk_create(
        [
            Disbursement(
                award=award,
                amount_fen=award.amount_fen,
                method=PaymentMethod.BANK_TRANSFER,
                paid_on=paid_on,
                bank_reference=f"B{award.pk}",
                ledger_entry=entry,
                paid_by=by,
            )
            for award, entry in zip(awards, entries, strict=True)
        ]
    )
    FundAccount.objects.filter(pk=account.pk).update(balance_fen=balance)
    Award.objects.filter(pk__in=[a.pk for a in awards]).update(status=AwardStatus.PAID)


def kindergarten_scene() -> Scene:
    """The seeds' case: 251 children, 28 aided at 1,000 yuan, 18,900 provincial + 9,100 district.

    Appropriations arrived in full and every award is paid, 10 days after it was made.
    """
    district = DistrictFactory(code="SEED-COUNTY", name="示范县")
    term = TermFactory(district=district)
    school = SchoolFactory(
        district=district, code="SEED-KG", name="第一幼儿园", level=SchoolLevel.PRESCHOOL
    )
    admin = member("administrator", school, username="kg_admin")
    children = add_students(school, term, 251, boarding_every=0)
    project = AidProject.objects.create(
        district=district,
        code="PRESCHOOL-AID",
        name="学前教育幼儿资助",
        source=FundSource.PROVINCIAL,
        purpose="preschool_aid",
    )
    provincial = ProjectFunding.objects.create(
        project=project, term=term, source=FundSource.PROVINCIAL, amount_fen=1_890_000
    )
    county = ProjectFunding.objects.create(
        project=project, term=term, source=FundSource.COUNTY, amount_fen=910_000
    )
    appropriate(project, provincial, 1_890_000)
    appropriate(project, county, 910_000)
    aided = children[::9][:28]
    for n, child in enumerate(aided):
        # Five come from the 低保 list, the others applied.
        Assessment.objects.create(
            student=child,
            term=term,
            route=AssessmentRoute.GOVERNMENT_LIST if n < 5 else AssessmentRoute.APPLICATION,
            government_category="dibao" if n < 5 else "",
            status=AssessmentStatus.APPROVED,
            tier="hardship",
            created_by=admin,
        )
    awarded_at = timezone.make_aware(datetime.datetime(2026, 10, 10, 9, 0))
    awards = award_bulk(project, term, aided, 100_000, by=admin, created_at=awarded_at)
    pay_bulk(awards, by=admin)
    return Scene(district, term, admin, {"kg": school}, {"aid": project})


def busy_school(scene: Scene, code: str, students: int) -> School:
    """A primary school with every kind of record the report reads, in proportion to its size."""
    district, term, admin = scene.district, scene.term, scene.admin
    school = SchoolFactory(district=district, code=code, name=f"{code}小学")
    admin.memberships.create(school=school, role="administrator")
    people = add_students(school, term, students, boarding_every=3, struggling_every=5)
    previous = Term.objects.filter(district=district, code="2026-spring").first()
    if previous is not None:
        StudentRecord.objects.bulk_create(
            [
                StudentRecord(
                    student=s, term=previous, level=school.level, grade=2, class_name="1班"
                )
                for s in people
            ]
        )
    # Identification: every 8th applies; every 16th comes from a government list.
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(
                student=s,
                term=term,
                route=AssessmentRoute.GOVERNMENT_LIST
                if n % 16 == 0
                else AssessmentRoute.APPLICATION,
                status=[AssessmentStatus.APPROVED, AssessmentStatus.PUBLICIZED][n % 24 == 8],
                tier=["special_hardship", "hardship", "general_hardship"][n % 3],
                created_by=admin,
            )
            for n, s in enumerate(people)
            if n % 8 == 0
        ]
    )
    assessments = list(Assessment.objects.filter(student__school=school).order_by("pk"))
    Objection.objects.bulk_create(
        [
            Objection(
                assessment=a,
                text="请核实",
                answer="已核实" if n % 2 else "",
                answered_at=timezone.now() if n % 2 else None,
            )
            for n, a in enumerate(assessments[: max(2, len(assessments) // 10)])
        ]
    )
    # Aid: the approved students, half paid; one left out by an allocation.
    project = scene.projects["aid"]
    approved = [a.student for a in assessments if a.status == AssessmentStatus.APPROVED]
    funding = ProjectFunding.objects.get(project=project, term=term, source=FundSource.PROVINCIAL)
    extra = len(approved) * 50_000
    ProjectFunding.objects.filter(pk=funding.pk).update(amount_fen=funding.amount_fen + extra)
    appropriate(project, funding, extra)
    award_bulk(project, term, approved, 50_000, by=admin)
    awards = list(
        Award.objects.filter(project=project, term=term, student__school=school).order_by("pk")
    )
    pay_bulk(awards[::2], by=admin)
    Award.objects.filter(pk__in=[a.pk for a in awards[1::4]]).update(
        late_since=datetime.date(2026, 11, 10)
    )
    Allocation.objects.create(
        project=project,
        term=term,
        left_out=[
            {"student": s.pk, "school": school.pk, "tier": "hardship", "rank": n, "reason": r}
            for n, (s, r) in enumerate(
                zip(people[1:4], ["quota_full", "funds_exhausted", "duplicate_aid"], strict=True)
            )
        ],
        created_by=admin,
    )
    # The allocation's duplicate was refused, and the refusal recorded.
    AidRefusal.objects.create(
        project=project, term=term, student=people[3], other_award=awards[0], via="allocation"
    )
    # Mentoring: one mentor per ten struggling students, of every kind.
    struggling = [s for n, s in enumerate(people) if n % 5 == 0]
    kinds = [MentorKind.PARTY_TEACHER, MentorKind.TEACHER, MentorKind.LEADER, MentorKind.VOLUNTEER]
    mentors = []
    for n in range(max(4, len(struggling) // 10)):
        user = UserFactory(username=f"{code}-mentor-{n}")
        kind = kinds[n % 4]
        mentor = Mentor.objects.create(
            user=user,
            kind=kind,
            gender=Gender.FEMALE,
            capacity=20,
            min_mentees=1 if kind in (MentorKind.PARTY_TEACHER, MentorKind.LEADER) else 0,
            party_branch=f"第{1 + n % 2}党支部" if kind == MentorKind.PARTY_TEACHER else "",
        )
        mentor.schools.add(school)
        mentors.append(mentor)
    pairings = Pairing.objects.bulk_create(
        [
            Pairing(
                term=term,
                student=s,
                mentor=mentors[n % len(mentors)],
                kind=PairingKind.ACADEMIC,
                status=PairingStatus.ACTIVE,
                started_on=TERM_START,
            )
            for n, s in enumerate(struggling)
            if n % 7
        ]
        + [
            Pairing(
                term=term,
                student=s,
                mentor=mentors[2],
                kind=PairingKind.CARE,
                status=PairingStatus.ACTIVE,
                started_on=TERM_START,
            )
            for s in approved[:5]
        ]
    )
    pairings = list(Pairing.objects.filter(student__school=school).select_related("mentor"))
    TutoringSession.objects.bulk_create(
        [
            TutoringSession(
                pairing=p,
                date=TERM_START + datetime.timedelta(days=7 * week + 1),
                minutes=45,
                subject=Subject.MATH,
                kind=SessionKind.HOME_VISIT if p.kind == PairingKind.CARE else SessionKind.TUTORING,
                content="辅导",
                logged_by=p.mentor.user,
            )
            for p in pairings
            for week in range(3)
        ]
    )
    WeeklyCompliance.objects.bulk_create(
        [
            WeeklyCompliance(
                pairing=p,
                term=term,
                school=school,
                mentor=p.mentor,
                week_start=TERM_START + datetime.timedelta(days=7 * week - 1),
                iso_year=2026,
                iso_week=36 + week,
                sessions=0 if (n % 5 == 0 and week >= 2) else 1,
                met=not (n % 5 == 0 and week >= 2),
                missed_streak=week - 1 if (n % 5 == 0 and week >= 2) else 0,
            )
            for n, p in enumerate(pairings)
            if p.kind == PairingKind.ACADEMIC
            for week in range(4)
        ]
    )
    SubjectScore.objects.bulk_create(
        [
            SubjectScore(
                record=record,
                subject=Subject.MATH,
                start_score=50,
                end_score=55 if n % 2 else 48,
            )
            for n, record in enumerate(
                StudentRecord.objects.filter(term=term, student__school=school, struggling=True)
            )
        ]
    )
    kind = ItemKind.objects.get_or_create(district=district, name="课外读物", unit="本")[0]
    donor = Donor.objects.get_or_create(
        district=district, name="新华书店", kind=DonorKind.ORGANISATION
    )[0]
    item_donation_record(
        by=admin,
        donor_id=donor.pk,
        item_kind_id=kind.pk,
        quantity=students,
        value_fen=students * 2_000,
        received_on=datetime.date(2026, 10, 1),
    )
    for student in struggling[:3]:
        item_distribute(
            by=admin,
            item_kind_id=kind.pk,
            student_id=student.pk,
            quantity=2,
            given_on=datetime.date(2026, 10, 2),
            signed_by_student=True,
            signed_by_guardian=True,
        )
    return school


def add_donations(scene: Scene) -> None:
    """A social project with two posted contributions (one anonymous) and an overdue pledge."""
    love = AidProject.objects.create(
        district=scene.district,
        code="LOVE",
        name="爱心助学金",
        source=FundSource.SOCIAL,
        purpose="tuition",
    )
    scene.projects["love"] = love
    paper = Donor.objects.create(
        district=scene.district, kind=DonorKind.ORGANISATION, name="县报社"
    )
    person = Donor.objects.create(
        district=scene.district, kind=DonorKind.INDIVIDUAL, name="赵某某", anonymous=True
    )
    for donor, amount in [(paper, 1_000_000), (person, 200_000)]:
        contribution = contribution_record(
            by=scene.admin,
            donor_id=donor.pk,
            project_id=love.pk,
            amount_fen=amount,
            received_on=datetime.date(2026, 9, 20),
        )
        contribution_post(contribution_id=contribution.pk)
    pledge = Pledge.objects.create(
        donor=paper,
        kind=PledgeKind.MONEY,
        project=love,
        schedule=PledgeSchedule.ONCE,
        status=PledgeStatus.OVERDUE,
        created_by=scene.admin,
    )
    PledgeInstalment.objects.create(pledge=pledge, due_on=datetime.date(2026, 10, 1), amount=1)


def previous_term(scene: Scene) -> Term:
    return TermFactory(
        district=scene.district,
        code="2026-spring",
        school_year="2025-2026",
        start_date=datetime.date(2026, 2, 20),
        end_date=datetime.date(2026, 7, 10),
        holiday_weeks=[],
    )
