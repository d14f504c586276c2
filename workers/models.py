from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# A job's kinds and states are defined in core, with the one Job serializer that
# mentoring's match run nests too; callers import them from here as before.
from core.jobs import JobKind, JobStatus


class Job(models.Model):
    """One run of a background job, as its starter and administrators follow it.

    Every Celery task of Bangfu reports into a Job: the task receives the job's
    id, and `workers.services` moves it through pending → running →
    succeeded or failed, with progress from 0 to 100.
    """

    kind = models.CharField(_("kind"), max_length=40, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The Celery worker that ran the last attempt ("in-process" when eager).
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    # The Celery task id of the attempt that holds the job while it runs. The
    # same message delivered again (a lost worker's task, or a retry) carries
    # the same id and takes the job back at once; another message (a copy sent
    # by the reaper) waits until the holder's heartbeat has stopped.
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    # Written by the running attempt every few seconds (workers.services): a
    # job running without a recent heartbeat has lost its worker.
    heartbeat_at = models.DateTimeField(_("heartbeat at"), null=True, blank=True)
    # When the reaper last sent the task again (None: only sent when created).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # How often the reaper sent the task again after its worker was lost.
    resends = models.PositiveSmallIntegerField(_("resends"), default=0)
    # A job that must exist once per occasion (a periodic job's day) has a key:
    # the task delivered again finds its job instead of making another.
    key = models.CharField(_("key"), max_length=100, null=True, blank=True, unique=True)
    # The school whose administrators may follow the job; None for jobs that
    # concern no single school (only the starter and platform admins see them).
    school = models.ForeignKey(
        "mentoring.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("school"),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("started by"),
    )
    # A part of a job fanned out over workers (a province's county): the parent's
    # progress is its parts' summed, and it ends when the last part has ended.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        verbose_name=_("part of"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["kind", "status"]),
            # The reaper's query: the jobs not finished.
            models.Index(fields=["status"], name="job_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_0_100"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=JobStatus.SUCCEEDED) | Q(progress=100),
                name="job_succeeded_is_complete",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class ReportScope(models.TextChoices):
    SCHOOL = "school", _("One school")
    DISTRICT = "district", _("The whole district")


class ReportStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """One version of a term report (学期总结), or of a school year's (学年): a stored snapshot,
    never changed once issued.

    A term report has its term; a year report has no term but the school year
    whose terms (the district's terms of that year) it adds up. Building the
    report of the same term (or year) and scope again makes the next version;
    the job writes `data` once, only while the version is building,
    so an issued version keeps the figures it was issued with. `sources` says
    which records it was built from (counts and the latest change of each).
    """

    # None for a year report, which has its school year instead.
    term = models.ForeignKey(
        "mentoring.Term",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("term"),
    )
    # A year report's school year ("2026-2027"); blank for a term report.
    school_year = models.CharField(_("school year"), max_length=9, blank=True, default="")
    scope = models.CharField(_("scope"), max_length=10, choices=ReportScope.choices)
    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    # The school of a school report; None for the district's report.
    school = models.ForeignKey(
        "mentoring.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.BUILDING
    )
    data = models.JSONField(_("figures"), null=True, blank=True)
    sources = models.JSONField(_("sources"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    job = models.OneToOneField(
        Job,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report",
        verbose_name=_("job"),
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("built by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("term report")
        verbose_name_plural = _("term reports")
        constraints = [
            models.UniqueConstraint(
                fields=["term", "school", "version"],
                condition=Q(school__isnull=False),
                name="report_school_version_unique",
            ),
            models.UniqueConstraint(
                fields=["term", "district", "version"],
                condition=Q(school__isnull=True),
                name="report_district_version_unique",
            ),
            models.UniqueConstraint(
                fields=["school_year", "school", "version"],
                condition=Q(term__isnull=True, school__isnull=False),
                name="report_year_school_version_unique",
            ),
            models.UniqueConstraint(
                fields=["school_year", "district", "version"],
                condition=Q(term__isnull=True, school__isnull=True),
                name="report_year_district_version_unique",
            ),
            # A term report or a year report, never both nor neither.
            models.CheckConstraint(
                condition=Q(term__isnull=False, school_year="")
                | (Q(term__isnull=True) & ~Q(school_year="")),
                name="report_term_or_school_year",
            ),
            models.CheckConstraint(
                condition=Q(scope="school", school__isnull=False)
                | Q(scope="district", school__isnull=True),
                name="report_scope_matches_school",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(data__isnull=False, built_at__isnull=False),
                name="report_issued_has_data",
            ),
        ]

    def __str__(self):
        where = self.school.code if self.school_id else self.district.code
        period = self.term.code if self.term_id else self.school_year
        return f"{period} {where} v{self.version} ({self.get_status_display()})"

    @property
    def is_year(self) -> bool:
        return self.term_id is None
