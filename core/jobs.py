"""The words of a background job, shared by the apps that start, show and run jobs.

A job's kinds and states are read by more than the app that runs jobs: a
match run's answer (mentoring) nests its job, described by the one Job
serializer (`core.serializers.JobSerializer`), so that the API has one Job.
The `Job` model and its life stay in `workers`; these are its vocabulary.

A long domain service reports how far it has come through a `Progress`
callback (0 to 100), which the job's task records; the service knows
nothing of jobs.
"""

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

Progress = Callable[[int], None]


class JobKind(models.TextChoices):
    ACCOUNT_CENSUS = "account_census", _("Account census")
    MATCH_RUN = "match_run", _("Matching run")
    CONTRIBUTION_POSTING = "contribution_posting", _("Posting a contribution")
    PLEDGE_CHECK = "pledge_check", _("Daily check of pledges")
    WEEKLY_CHECK = "weekly_check", _("Weekly tutoring check")
    TERM_REPORT = "term_report", _("Term report")
    # A province's term (matching, then reports) as one job, fanned out as one
    # county part each (workers.province).
    PROVINCE_TERM = "province_term", _("Province's term")
    PROVINCE_COUNTY = "province_county", _("One county of a province's term")
    # The weekly check's reminders, e-mailed apart from the check (workers.receivers).
    REMINDER_MAIL = "reminder_mail", _("Reminder e-mails")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
