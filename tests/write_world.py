"""The small world the write operations (tests/write_operations.py) run on, and the
requests that need more than one line to build.

The world is built lazily: an operation builds only the records it needs, so
that each of the many cases stays cheap. Dates are relative to today, because
services refuse sessions in the future and pledges in the past.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from donations.models import (
    AidProject,
    Donor,
    DonorKind,
    FundSource,
    ItemKind,
    LedgerKind,
    Pledge,
    PledgeKind,
    PledgeSchedule,
    ProjectFunding,
)
from donations.services.awards import award_create
from donations.services.disbursements import disbursement_pay
from donations.services.ledger import fund_account_of, ledger_post
from donations.services.payment_batches import payment_batch_create
from mentoring.models import (
    AssessmentStatus,
    Gender,
    Investigation,
    MentorKind,
    Notification,
    NotificationKind,
    Objection,
    Role,
    Subject,
    User,
    VisitPlan,
    VisitPlanEntry,
)
from mentoring.services.applications import application_code_open, application_submit_public
from mentoring.services.review_committees import committee_create
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
    TutoringSessionFactory,
    UserFactory,
    id_number_for,
    member,
)

COMMITTEE_MEMBERS = [
    {"name": "陈校长", "role": "school_leader"},
    {"name": "孙老师", "role": "teacher_rep"},
    {"name": "周敏", "role": "parent_rep"},
]


@dataclass
class Call:
    user: User
    url: str
    body: dict
    format: str = "json"
    method: str = "POST"


class World:
    """One district, one school, one term around today, and a platform administrator.

    Given a school, the world is built in it (and its district) instead of a new one.
    """

    def __init__(self, capture_on_commit, school=None):
        self._capture_on_commit = capture_on_commit
        self.today = timezone.localdate()
        self.school = school or SchoolFactory(district=DistrictFactory())
        self.district = self.school.district
        self.term = TermFactory(
            district=self.district,
            start_date=self.today - datetime.timedelta(days=60),
            end_date=self.today + datetime.timedelta(days=60),
            holiday_weeks=[],
        )
        self.root = UserFactory(is_superuser=True, is_staff=True)
        self._students = 0

    def day(self, offset: int) -> str:
        return (self.today + datetime.timedelta(days=offset)).isoformat()

    def student(self, *, struggling=False, weak=(), grade=3):
        self._students += 1
        # Of the mentors' gender (MentorFactory's), so that the district's
        # safeguarding rule allows any pair of them.
        student = StudentFactory(school=self.school, gender=Gender.FEMALE)
        StudentRecordFactory(
            student=student,
            term=self.term,
            grade=grade,
            struggling=struggling,
            weak_subjects=list(weak),
        )
        return student

    # Mentoring

    @cached_property
    def mentor(self):
        return MentorFactory(
            user=member(Role.TEACHER, self.school),
            kind=MentorKind.TEACHER,
            schools=[self.school],
            capacity=3,
        )

    @cached_property
    def pairing(self):
        return PairingFactory(
            student=self.student(struggling=True, weak=[Subject.MATH]),
            mentor=self.mentor,
            term=self.term,
            started_on=self.term.start_date,
        )

    @cached_property
    def session(self):
        return TutoringSessionFactory(
            pairing=self.pairing, date=self.today - datetime.timedelta(days=1)
        )

    @cached_property
    def visit_plan(self):
        plan, _created = VisitPlan.objects.get_or_create(
            school=self.school, term=self.term, defaults={"created_by": self.root}
        )
        return plan

    @cached_property
    def visit_plan_entry(self):
        return VisitPlanEntry.objects.create(
            plan=self.visit_plan,
            student=self.pairing.student,
            visitor=self.mentor,
            planned_on=self.today,
            purpose="家访",
        )

    def assessment(self, status, **fields):
        return AssessmentFactory(
            student=self.student(), term=self.term, status=status, created_by=self.root, **fields
        )

    # Applications and the committees

    def investigated_submission(self):
        """A submitted assessment whose investigation is recorded: `review` may move it."""
        assessment = self.assessment(AssessmentStatus.SUBMITTED)
        Investigation.objects.create(
            assessment=assessment,
            investigated_on=self.today,
            investigators="班主任",
            findings="属实",
            visited_on=self.today,
            recorded_by=self.root,
        )
        return assessment

    @cached_property
    def application_code(self):
        return application_code_open(by=self.root, school_id=self.school.pk, term_id=self.term.pk)

    def family_application(self):
        return application_submit_public(
            code=self.application_code,
            child_name="李小红",
            grade=3,
            class_name="1班",
            guardian_name="李红梅",
            guardian_relation="mother",
            guardian_phone="13900001111",
            hardship_kinds=["long_term_illness"],
            income_per_capita_fen=None,
            circumstances="母亲长期患病",
            committed=True,
        )

    @cached_property
    def class_committee(self):
        return committee_create(
            by=self.root,
            school_id=self.school.pk,
            term_id=self.term.pk,
            stage="class",
            class_name="",
            name="班级评议小组",
            members=COMMITTEE_MEMBERS,
        )

    @cached_property
    def objection(self):
        assessment = self.assessment(
            AssessmentStatus.PUBLICIZED,
            tier="hardship",
            notice_starts_on=self.today,
            notice_ends_on=self.today + datetime.timedelta(days=7),
        )
        return Objection.objects.create(assessment=assessment, text="异议", filed_by=self.root)

    @cached_property
    def run(self):
        """A proposed match run of one struggling student and two mentors who can take her."""
        from mentoring.services.match_runs import match_run_start

        student = self.student(struggling=True, weak=[Subject.MATH])
        self.run_student = student
        self.run_mentors = [
            MentorFactory(
                user=member(Role.TEACHER, self.school),
                kind=MentorKind.TEACHER,
                gender=student.gender,
                schools=[self.school],
                subjects=[Subject.MATH],
                grades=[3],
                capacity=1,
            )
            for _ in range(2)
        ]
        with self._capture_on_commit(execute=True):
            run = match_run_start(
                by=self.root, term_id=self.term.pk, kinds=["academic"], school_ids=None
            )
        run.refresh_from_db()
        assert run.status == "proposed", run.status
        return run

    # Money and items

    @cached_property
    def donor(self):
        return Donor.objects.create(
            district=self.district, kind=DonorKind.ORGANISATION, name="县报社"
        )

    @cached_property
    def project(self):
        project = AidProject.objects.create(
            district=self.district,
            code="SPRING-BUD",
            name="春蕾计划",
            source=FundSource.SOCIAL,
            purpose="girls",
        )
        ProjectFunding.objects.create(
            project=project, term=self.term, source=FundSource.SOCIAL, amount_fen=1_000_000
        )
        return project

    @cached_property
    def appropriation(self):
        return ledger_post(
            account_id=fund_account_of(self.project).pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=500_000,
            by=self.root,
            source=FundSource.SOCIAL,
        )

    def _award(self):
        # The project's account holds the money the award pays out.
        assert self.appropriation.balance_after_fen >= 10_000
        student = self.student()
        # Paid by transfer, to the guardian's account on record.
        GuardianAccountFactory(student=student)
        return award_create(
            by=self.root,
            project_id=self.project.pk,
            student_id=student.pk,
            term_id=self.term.pk,
            amount_fen=10_000,
        )

    @cached_property
    def award(self):
        return self._award()

    def payable_project(self, code: str) -> AidProject:
        """A project with its money, and one award of it due to a student with an account."""
        project = AidProject.objects.create(
            district=self.district,
            code=code,
            name="生活补助",
            source=FundSource.SOCIAL,
            purpose=code.lower(),
        )
        ledger_post(
            account_id=fund_account_of(project).pk,
            kind=LedgerKind.APPROPRIATION,
            amount_fen=100_000,
            by=self.root,
            source=FundSource.SOCIAL,
        )
        student = self.student()
        GuardianAccountFactory(student=student)
        award_create(
            by=self.root,
            project_id=project.pk,
            student_id=student.pk,
            term_id=self.term.pk,
            amount_fen=10_000,
        )
        return project

    def _batch(self, method: str, code: str):
        return payment_batch_create(
            by=self.root,
            school_id=self.school.pk,
            project_id=self.payable_project(code).pk,
            term_id=self.term.pk,
            method=method,
        )

    @cached_property
    def transfer_batch(self):
        return self._batch("bank_transfer", "PAY-BANK")

    @cached_property
    def cash_batch(self):
        return self._batch("cash", "PAY-CASH")

    @cached_property
    def unpaid_award(self):
        return self._award()

    @cached_property
    def payment(self):
        return disbursement_pay(
            by=self.root,
            award_id=self.award.pk,
            method="bank_transfer",
            paid_on=self.today,
            bank_reference="BANK-0",
        )

    @cached_property
    def item_kind(self):
        return ItemKind.objects.create(district=self.district, name="课外书", unit="本", stock=10)

    def _pledge(self, kind: str, amount: int, **fields):
        pledge = Pledge.objects.create(
            donor=self.donor,
            kind=kind,
            schedule=PledgeSchedule.ONCE,
            purpose="books",
            created_by=self.root,
            **fields,
        )
        pledge.instalments.create(due_on=self.today + datetime.timedelta(days=30), amount=amount)
        return pledge

    @cached_property
    def pledge(self):
        return self._pledge(PledgeKind.MONEY, 10_000)

    @cached_property
    def items_pledge(self):
        return self._pledge(PledgeKind.ITEMS, 20, item_name="课外书", item_unit="本")

    @cached_property
    def notification(self):
        return Notification.objects.create(
            recipient=self.root,
            kind=NotificationKind.values[0],
            key="write-operations",
            subject="提醒",
            body="本周辅导未完成",
        )


def bank_result_upload() -> SimpleUploadedFile:
    """The bank's result of a batch's first row: paid."""
    data = "序号,结果,失败原因\n1,成功,\n".encode()
    return SimpleUploadedFile("result.csv", data, content_type="text/csv")


def roster_upload(world: World) -> SimpleUploadedFile:
    from mentoring.services.roster_columns import COLUMNS

    birth = datetime.date(2016, 3, 1)
    row = {
        "学校代码": world.school.code,
        "学籍号": "R000000001",
        "姓名": "新同学",
        "性别": "女",
        "出生日期": birth.isoformat(),
        "身份证号码": id_number_for(9_000_001, birth),
        "学段": "小学",
        "年级": "3",
        "班级": "1班",
    }
    headers = [column.header for column in COLUMNS]
    lines = [",".join(headers), ",".join(row.get(header, "") for header in headers)]
    data = ("\n".join(lines) + "\n").encode()
    return SimpleUploadedFile("roster.csv", data, content_type="text/csv")


def _government_list(w: World) -> Call:
    birth = datetime.date(2015, 5, 5)
    number = id_number_for(9_000_002, birth)
    StudentRecordFactory(
        student=StudentFactory(
            school=w.school, birth_date=birth, id_number=number, student_number="GOV0001"
        ),
        term=w.term,
    )
    body = {
        "term": w.term.pk,
        "tier": "hardship",
        "rows": [{"id_number": number, "category": "低保"}],
    }
    return Call(w.root, "/api/v1/assessments/government-list/", body)


def _new_student(w: World) -> dict:
    birth = datetime.date(2016, 4, 1)
    return {
        "school": w.school.pk,
        "student_number": "N000000001",
        "name": "新同学",
        "gender": "female",
        "birth_date": birth.isoformat(),
        "id_number": id_number_for(9_000_003, birth),
    }


def _pair_add(w: World) -> Call:
    from mentoring.services.match_runs import match_run_pair_remove

    run = w.run
    proposal = run.proposed_pairs.get()
    match_run_pair_remove(run=run, by=w.root, proposal=proposal)
    body = {"student": w.run_student.pk, "mentor": w.run_mentors[0].pk, "kind": "academic"}
    return Call(w.root, f"/api/v1/match-runs/{run.pk}/pairs/", body)


def _pair_change(w: World) -> Call:
    run = w.run
    proposal = run.proposed_pairs.select_related("pairing").get()
    other = next(m for m in w.run_mentors if m.pk != proposal.pairing.mentor_id)
    return Call(w.root, f"/api/v1/match-runs/{run.pk}/pairs/{proposal.pk}/", {"mentor": other.pk})


def _project(w: World, code="SPRING-BUD") -> dict:
    return {
        "code": code,
        "name": "春蕾计划",
        "source": "social",
        "purpose": "girls",
        "standards": [{"yearly": "500.00"}],
        "funding": [{"term": w.term.pk, "source": "social", "amount": "10000.00"}],
        "quotas": [{"term": w.term.pk, "school": w.school.pk, "places": 10}],
        "tier_shares": [
            {"tier": "hardship", "percent": 80},
            {"tier": "special_hardship", "places": 2},
        ],
    }


def _award_request(w: World) -> Call:
    # An award promises money the project's account holds.
    assert w.appropriation.balance_after_fen >= 10_000
    return Call(
        w.root,
        "/api/v1/awards/",
        {
            "project": w.project.pk,
            "student": w.student().pk,
            "term": w.term.pk,
            "amount": "100.00",
            "instalments": ["40.00", "60.00"],
        },
    )


def _score(w: World):
    """A score of a student of the world's school, in the world's term."""
    from mentoring.models import SubjectScore

    record = w.student().records.get(term=w.term)
    return SubjectScore.objects.create(record=record, subject="math", start_score=50)


def committee_award(w: World, *, agreed: bool = False, student=None, term=None):
    """An award of a project that uses village committees, to a student of a committee.

    Pending the committee's review, or agreed by it (`agreed`), awaiting the district.
    """
    from donations.services.committee_reviews import committee_review_record
    from workers.factories import VillageCommitteeFactory

    student = student or w.student()
    student.committee = VillageCommitteeFactory(district=w.district)
    student.save(update_fields=["committee"])
    project = AidProject.objects.create(
        district=w.district,
        code=f"LIVING-{student.pk}",
        name="义务教育生活补助",
        source=FundSource.COUNTY,
        purpose=f"living-{student.pk}",
        uses_committees=True,
    )
    ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=100_000,
        by=w.root,
    )
    award = award_create(
        by=w.root,
        project_id=project.pk,
        student_id=student.pk,
        term_id=(term or w.term).pk,
        amount_fen=10_000,
    )
    if agreed:
        committee_review_record(
            by=w.root,
            award_id=award.pk,
            reviewers=["王主任"],
            reviewed_on=w.today,
            decision="agree",
        )
    return award
