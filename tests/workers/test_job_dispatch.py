"""workers.dispatch: the task of each job's kind, found without importing the tasks."""

import pytest
from django.conf import settings

from workers import tasks
from workers.dispatch import task_for
from workers.factories import JobFactory
from workers.models import JobKind

pytestmark = pytest.mark.django_db

# The names queued messages and Celery beat carry: a rename would strand them.
TASK_OF_KIND = {
    JobKind.ACCOUNT_CENSUS: ("workers.account_census", tasks.account_census_task),
    JobKind.MATCH_RUN: ("workers.match_run", tasks.match_run_task),
    JobKind.CONTRIBUTION_POSTING: ("workers.post_contribution", tasks.post_contribution_task),
    JobKind.PLEDGE_CHECK: ("workers.pledges_daily_check", tasks.pledges_daily_check_task),
    JobKind.WEEKLY_CHECK: ("workers.weekly_check", tasks.weekly_check_task),
    JobKind.TERM_REPORT: ("workers.term_report", tasks.term_report_task),
    JobKind.PROVINCE_TERM: ("workers.province_term", tasks.province_term_task),
    JobKind.PROVINCE_COUNTY: ("workers.province_county", tasks.province_county_task),
    JobKind.REMINDER_MAIL: ("workers.reminder_mail", tasks.reminder_mail_task),
}


def test_every_kind_of_job_has_its_task_under_its_name():
    assert set(TASK_OF_KIND) == set(JobKind)
    for kind, (name, task) in TASK_OF_KIND.items():
        found = task_for(JobFactory.build(kind=kind, parameters={}))

        assert found.name == name
        assert found is task._get_current_object()


def test_a_weekly_check_job_of_one_pairing_is_a_refresh_of_that_pairing():
    job = JobFactory.build(kind=JobKind.WEEKLY_CHECK, parameters={"pairing": 7, "weeks": []})

    assert task_for(job).name == "workers.compliance_refresh"
    assert task_for(job) is tasks.compliance_refresh_task._get_current_object()


def test_every_task_beat_sends_is_registered():
    from celery import current_app

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in current_app.tasks
