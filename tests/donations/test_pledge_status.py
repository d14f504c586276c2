"""A pledge follows the money: partly received, fulfilled, or overdue when a due date passes."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from donations.models import AidProject, Donor, DonorKind, FundSource, PledgeStatus
from donations.services.contributions import contribution_post, contribution_record
from donations.services.pledges import pledge_create, pledges_mark_overdue
from workers.factories import member
from workers.models import Job, JobKind, JobStatus
from workers.tasks import pledges_daily_check_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    # Read per test, not at import: a run that crosses midnight in the
    # district's time zone would otherwise pledge for a day already past.
    return timezone.localdate()


@pytest.fixture
def pledged(district, school_a, today):
    admin = member("administrator", school_a)
    project = AidProject.objects.create(
        district=district, code="LOVE", name="爱心助学", source=FundSource.SOCIAL, purpose="tuition"
    )
    donor = Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="县报社")
    pledge = pledge_create(
        by=admin,
        donor_id=donor.pk,
        kind="money",
        schedule="instalments",
        project_id=project.pk,
        instalments=[(today, 100_000), (today + datetime.timedelta(days=60), 100_000)],
    )
    return {"admin": admin, "project": project, "donor": donor, "pledge": pledge, "today": today}


def receive(pledged, amount):
    gift = contribution_record(
        by=pledged["admin"],
        donor_id=pledged["donor"].pk,
        project_id=pledged["project"].pk,
        amount_fen=amount,
        received_on=pledged["today"],
        pledge_id=pledged["pledge"].pk,
    )
    contribution_post(contribution_id=gift.pk)


def status(pledged):
    pledged["pledge"].refresh_from_db()
    return pledged["pledge"].status


def test_money_received_moves_the_pledge_to_partly_received_then_fulfilled(pledged):
    receive(pledged, 100_000)
    assert status(pledged) == PledgeStatus.PARTLY_RECEIVED
    receive(pledged, 100_000)
    assert status(pledged) == PledgeStatus.FULFILLED


def test_a_pledge_whose_due_money_has_not_come_becomes_overdue(pledged, today):
    assert pledges_mark_overdue(today=today) == 0
    assert status(pledged) == PledgeStatus.PLEDGED
    assert pledges_mark_overdue(today=today + datetime.timedelta(days=1)) == 1
    assert status(pledged) == PledgeStatus.OVERDUE
    # Running the check again changes nothing.
    assert pledges_mark_overdue(today=today + datetime.timedelta(days=1)) == 1
    receive(pledged, 100_000)
    assert status(pledged) == PledgeStatus.PARTLY_RECEIVED


def test_the_daily_job_reports_into_a_job_and_is_scheduled_every_morning(pledged):
    job_id = pledges_daily_check_task.delay().get()
    job = Job.objects.get(pk=job_id)
    assert (job.kind, job.status, job.progress) == (JobKind.PLEDGE_CHECK, JobStatus.SUCCEEDED, 100)
    assert job.result == {"overdue": 0, "late_awards": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["pledges-daily-check"]
    assert entry["task"] == pledges_daily_check_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({6}, {0})


def test_a_contribution_can_honour_only_an_open_pledge_of_its_donor(pledged, district, today):
    other = Donor.objects.create(district=district, kind=DonorKind.INDIVIDUAL, name="某人")
    with pytest.raises(DomainError) as refused:
        contribution_record(
            by=pledged["admin"],
            donor_id=other.pk,
            project_id=pledged["project"].pk,
            amount_fen=100,
            received_on=today,
            pledge_id=pledged["pledge"].pk,
        )
    assert refused.value.field == "pledge"
