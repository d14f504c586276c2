"""Contributions: recorded, posted to the project's account in the background, once."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from core.errors import DomainError
from donations.models import (
    AidProject,
    Contribution,
    ContributionStatus,
    Donor,
    DonorKind,
    FundSource,
    LedgerEntry,
)
from donations.services.contributions import contribution_post, contribution_record
from donations.services.ledger import fund_account_of
from workers.factories import DistrictFactory, member
from workers.models import Job, JobKind, JobStatus
from workers.services import job_create
from workers.tasks import post_contribution_task

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def funds(district, school_a):
    project = AidProject.objects.create(
        district=district,
        code="SOCIAL-1",
        name="爱心助学基金",
        source=FundSource.SOCIAL,
        purpose="tuition",
    )
    donor = Donor.objects.create(district=district, kind=DonorKind.ORGANISATION, name="县报社")
    return project, donor, member("administrator", school_a)


def record(funds, **overrides):
    project, donor, admin = funds
    values = dict(
        by=admin, donor_id=donor.pk, project_id=project.pk, amount_fen=500_000, received_on=TODAY
    )
    values.update(overrides)
    return contribution_record(**values)


@pytest.mark.django_db
def test_a_recorded_contribution_is_posted_once_with_a_receipt(
    funds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contribution = record(funds)
    contribution.refresh_from_db()
    project, _donor, admin = funds
    assert contribution.status == ContributionStatus.POSTED
    assert contribution.receipt_number == f"SOCIAL-1-{contribution.pk:08d}"
    assert contribution.ledger_entry.amount_fen == 500_000
    assert fund_account_of(project).balance_fen == 500_000
    job = Job.objects.get(kind=JobKind.CONTRIBUTION_POSTING)
    assert (job.status, job.progress, job.started_by) == (JobStatus.SUCCEEDED, 100, admin)
    assert job.result["receipt_number"] == contribution.receipt_number

    # Posting again, by the service or by another job, changes nothing.
    contribution_post(contribution_id=contribution.pk)
    again = job_create(
        kind=JobKind.CONTRIBUTION_POSTING, parameters={"contribution": contribution.pk}
    )
    post_contribution_task.delay(again.pk)
    assert LedgerEntry.objects.count() == 1
    assert fund_account_of(project).balance_fen == 500_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_fen": 0}, "amount"),
        ({"amount_fen": -100}, "amount"),
        ({"project_id": 999_999}, "project"),
        ({"received_on": datetime.date(2999, 1, 1)}, "received_on"),
    ],
)
def test_bad_contributions_are_refused_naming_the_field(funds, overrides, field):
    with pytest.raises(DomainError) as refused:
        record(funds, **overrides)
    assert refused.value.field == field
    assert Contribution.objects.count() == 0
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_projects_and_donors_of_another_district_are_unknown(funds):
    other = DistrictFactory()
    foreign_project = AidProject.objects.create(
        district=other, code="X", name="x", source=FundSource.SOCIAL, purpose="x"
    )
    foreign_donor = Donor.objects.create(district=other, kind=DonorKind.INDIVIDUAL, name="某人")
    with pytest.raises(DomainError) as refused:
        record(funds, project_id=foreign_project.pk)
    assert refused.value.field == "project"
    with pytest.raises(DomainError) as refused:
        record(funds, donor_id=foreign_donor.pk)
    assert refused.value.field == "donor"
    assert Contribution.objects.count() == 0


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_posts_a_contribution_sent_twice_once(funds):
    project, _donor, _admin = funds
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            contribution = record(funds)
            second = job_create(
                kind=JobKind.CONTRIBUTION_POSTING, parameters={"contribution": contribution.pk}
            )
            post_contribution_task.delay(second.pk)
            for _ in range(300):
                jobs = list(Job.objects.filter(kind=JobKind.CONTRIBUTION_POSTING))
                if len(jobs) == 2 and all(job.status == JobStatus.SUCCEEDED for job in jobs):
                    break
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = previous

    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 2
    assert all(job.worker not in ("", "in-process") for job in jobs)
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.POSTED
    assert LedgerEntry.objects.filter(account__project=project).count() == 1
    assert fund_account_of(project).balance_fen == 500_000
