"""Real records of every model the admin shows, and the data of an admin form.

`records_in(school, by=...)` writes one record of each registered model in
a school (or its district), each saved one by one so that simple-history
keeps a row of it: the changelists, change pages and history pages of the
admin then have something to show.
"""

import datetime

from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.utils import timezone

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    CommitteeReview,
    Contribution,
    Disbursement,
    Donor,
    DonorKind,
    FundSource,
    ItemDistribution,
    ItemDonation,
    ItemKind,
    PaymentBatch,
    PaymentBatchRow,
    PaymentMethod,
    Pledge,
    PledgeKind,
    PledgeSchedule,
)
from donations.services.ledger import fund_account_of, ledger_post
from mentoring.models import (
    MatchRun,
    School,
    User,
)
from oversight.models import Complaint, Suggestion, SupervisionMeeting, SupervisionMember
from tests.award_days import made_at_term_start
from workers.factories import (
    AssessmentFactory,
    GuardianAccountFactory,
    HardshipIndicatorFactory,
    JobFactory,
    MentorFactory,
    PairingFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    TutoringSessionFactory,
    UserFactory,
    VillageCommitteeFactory,
    member,
)
from workers.models import Report, ReportScope

DAY = datetime.date(2026, 9, 20)


def records_in(school: School, *, by: User) -> dict[type[models.Model], models.Model]:
    """One record of every model registered in the admin, in `school` or its district."""
    district = school.district
    term = TermFactory(district=district)
    student = StudentFactory(school=school)
    mentor = MentorFactory(schools=[school])
    pairing = PairingFactory(student=student, mentor=mentor, term=term)
    project = AidProject.objects.create(
        district=district,
        code=f"P-{school.code}",
        name=f"助学金 {school.code}",
        source=FundSource.PROVINCIAL,
        purpose=f"living-{school.code}",
    )
    account = fund_account_of(project)
    appropriation = ledger_post(
        account_id=account.pk, kind="appropriation", amount_fen=100_000, by=by
    )
    donor = Donor.objects.create(
        district=district, kind=DonorKind.ORGANISATION, name=f"晚报 {school.code}"
    )
    award = Award.objects.create(
        project=project,
        student=student,
        term=term,
        amount_fen=25_000,
        purpose=project.purpose,
        term_code=term.code,
        student_id_hash=student.id_hash,
        created_by=by,
    )
    made_at_term_start(award)
    payment = ledger_post(account_id=account.pk, kind="disbursement", amount_fen=-25_000, by=by)
    item_kind = ItemKind.objects.create(
        district=district, name=f"课外读物 {school.code}", unit="本", stock=9
    )
    review = committee_review_in(school, term=term, student=student, by=by)
    run = MatchRun.objects.create(term=term, created_by=by, kinds=["academic"])
    run.schools.set([school])
    guardian_account = GuardianAccountFactory(student=student)
    records = [
        district,
        school,
        member("teacher", school),
        term,
        student,
        StudentRecordFactory(student=student, term=term),
        HardshipIndicatorFactory(student=student),
        AssessmentFactory(student=student, term=term),
        mentor,
        pairing,
        TutoringSessionFactory(pairing=pairing),
        project,
        account,
        appropriation,
        donor,
        Contribution.objects.create(
            donor=donor, project=project, amount_fen=5_000, received_on=DAY, recorded_by=by
        ),
        award,
        Disbursement.objects.create(
            award=award,
            amount_fen=25_000,
            method=PaymentMethod.CASH,
            paid_on=DAY,
            signed_by_student=True,
            signed_by_guardian=True,
            ledger_entry=payment,
            paid_by=by,
        ),
        item_kind,
        ItemDonation.objects.create(
            donor=donor, item_kind=item_kind, quantity=10, received_on=DAY, recorded_by=by
        ),
        ItemDistribution.objects.create(
            item_kind=item_kind,
            student=student,
            quantity=1,
            given_on=DAY,
            signed_by_student=True,
            signed_by_guardian=True,
            given_by=by,
        ),
        Pledge.objects.create(
            donor=donor,
            kind=PledgeKind.MONEY,
            project=project,
            schedule=PledgeSchedule.ONCE,
            created_by=by,
        ),
        Allocation.objects.create(project=project, term=term, created_by=by),
        AidRefusal.objects.create(
            project=project, term=term, student=student, other_award=award, via="manual", by=by
        ),
        JobFactory(school=school, started_by=by),
        guardian_account,
        payment_batch_in(school, award=award, account=guardian_account, by=by),
        review.committee,
        review,
        run,
        Report.objects.create(
            term=term,
            scope=ReportScope.SCHOOL,
            district=district,
            school=school,
            version=Report.objects.filter(term=term, school=school).count() + 1,
            built_by=by,
        ),
        *_oversight_records(school, by),
        # A login lockout (core.logins), as django-axes records it.
        AccessAttempt.objects.create(
            username=f"locked-{school.code}",
            ip_address="203.0.113.9",
            user_agent="",
            http_accept="",
            path_info="/api/v1/auth/token/",
            get_data="",
            post_data="",
            failures_since_start=5,
        ),
    ]
    return {type(record): record for record in records}


def payment_batch_in(school: School, *, award: Award, account, by: User) -> PaymentBatch:
    """A transfer batch of the award's second instalment, due, with the guardian's account."""
    batch = PaymentBatch.objects.create(
        school=school,
        project=award.project,
        term=award.term,
        method=PaymentMethod.BANK_TRANSFER,
        columns=[["row", "序号"], ["account", "账号"], ["amount", "金额"]],
        created_by=by,
    )
    PaymentBatchRow.objects.create(
        batch=batch,
        number=1,
        award=award,
        instalment=2,
        amount_fen=12_500,
        holder_name=account.holder_name,
        bank_name=account.bank_name,
        number_masked=account.number_masked,
        number_encrypted=account.number_encrypted,
    )
    return batch


def committee_review_in(school: School, *, term, student, by: User) -> CommitteeReview:
    """An award of a project that uses village committees, reviewed and approved.

    Its own project (another purpose), so the school's other award stays the
    one that the payment and the refusal name.
    """
    committee = VillageCommitteeFactory(district=school.district)
    student.committee = committee
    student.save(update_fields=["committee"])
    project = AidProject.objects.create(
        district=school.district,
        code=f"V-{school.code}",
        name=f"生活补助 {school.code}",
        source=FundSource.COUNTY,
        purpose=f"compulsory-{school.code}",
        uses_committees=True,
    )
    ledger_post(
        account_id=fund_account_of(project).pk, kind="appropriation", amount_fen=50_000, by=by
    )
    award = Award.objects.create(
        project=project,
        student=student,
        term=term,
        amount_fen=10_000,
        purpose=project.purpose,
        term_code=term.code,
        student_id_hash=student.id_hash,
        created_by=by,
    )
    return CommitteeReview.objects.create(
        award=award,
        state="approved",
        committee=committee,
        reviewers=["王主任", "李委员"],
        reviewed_on=DAY,
        decision="agree",
        recorded_by=by,
        recorded_at=timezone.now(),
        approved_by=by,
        approved_at=timezone.now(),
    )


def _oversight_records(school: School, by: User) -> list[models.Model]:
    """A supervision group's member, meeting and suggestion, and a complaint, in `school`."""
    where = {"district": school.district, "school": school}
    member = SupervisionMember.objects.create(
        **where, name="王监督", affiliation="parent", joined_on=DAY, created_by=by
    )
    meeting = SupervisionMeeting.objects.create(
        **where, held_on=DAY, topic="资助公示检查", minutes="会议纪要", recorded_by=by
    )
    meeting.attendees.set([member])
    return [
        member,
        meeting,
        Suggestion.objects.create(
            **where, kind="suggestion", text="公示栏位置再醒目一些", created_by=by
        ),
        Complaint.objects.create(
            **where,
            received_on=DAY,
            channel="phone",
            anonymous=True,
            subject="资助名单",
            details="举报内容",
            answer_due_on=DAY,
            recorded_by=by,
        ),
    ]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _posted(form: forms.BaseForm) -> dict:
    data = {}
    for field in form:
        if field.field.disabled:
            continue
        value = field.value()
        widget = field.field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{index}"] = _text(part)
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif isinstance(field.field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[field.html_name] = [_text(item) for item in value or []]
        else:
            data[field.html_name] = _text(value)
    return data


def form_data(instance: models.Model) -> dict:
    """What the admin's change form of `instance` posts when submitted unchanged.

    The form and its inlines are those a platform administrator's change
    page (and simple_history's page of a version) is built from, whatever
    their fields are.
    """
    model_admin = admin.site._registry[type(instance)]
    request = RequestFactory().get("/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True, is_active=True)
    data = _posted(model_admin.get_form(request, instance)(instance=instance))
    for formset_class, _inline in model_admin.get_formsets_with_inlines(request, instance):
        formset = formset_class(instance=instance, prefix=formset_class.get_default_prefix())
        data |= _posted(formset.management_form)
        for form in formset.forms:
            data |= _posted(form)
    return data


def row_values(instance: models.Model) -> dict:
    """Every column of the instance's row as the database holds it now."""
    fresh = type(instance).objects.get(pk=instance.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}
