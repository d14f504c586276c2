from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mentoring.matching import run_inputs


class JobKind(models.TextChoices):
    ACCOUNT_CENSUS = "account_census", _("Account census")
    MATCH_RUN = "match_run", _("Matching run")
    CONTRIBUTION_POSTING = "contribution_posting", _("Posting a contribution")
    PLEDGE_CHECK = "pledge_check", _("Daily check of pledges")
    WEEKLY_CHECK = "weekly_check", _("Weekly tutoring check")
    TERM_REPORT = "term_report", _("Term report")


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


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
        "mentoring.School", on_delete=models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
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


class MatchRunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    # A later run for the same term, schools and kinds took its place.
    REPLACED = "replaced", _("Replaced by a later run")
    FAILED = "failed", _("Failed")


class MatchRun(models.Model):
    """One run of the term's matching: its inputs, weights, proposal and summary.

    The inputs (students and mentors as plain data) and the weights are kept
    so that a run can be reproduced exactly; the proposal is the run's
    pairings in status proposed, each with its ProposedPair. The inputs are
    stored packed (`mentoring.matching.run_inputs`: column by column, compressed) and
    read and written through `inputs`, as the plain data.
    """

    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    schools = models.ManyToManyField("mentoring.School", related_name="+")
    kinds = models.JSONField(_("kinds"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=MatchRunStatus.choices, default=MatchRunStatus.PENDING
    )
    weights = models.JSONField(_("weights"), default=dict)
    rules = models.JSONField(_("rules"), default=dict)
    packed_inputs = models.BinaryField(_("inputs"), null=True, blank=True, editable=False)
    summary = models.JSONField(_("summary"), null=True, blank=True)
    job = models.OneToOneField(
        Job, on_delete=models.PROTECT, null=True, blank=True, related_name="match_run"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")

    def __str__(self):
        return f"#{self.pk} {self.term} {'+'.join(self.kinds)} ({self.get_status_display()})"

    @property
    def inputs(self) -> dict | None:
        """The stored inputs as plain data (unpacked once per instance and packed value)."""
        packed = self.packed_inputs
        if packed is None:
            return None
        cached = self.__dict__.get("_unpacked_inputs")
        if cached is None or cached[0] is not packed:
            cached = (packed, run_inputs.unpack(bytes(packed)))
            self.__dict__["_unpacked_inputs"] = cached
        return cached[1]

    @inputs.setter
    def inputs(self, value: dict | None) -> None:
        self.packed_inputs = None if value is None else run_inputs.pack(value)


class ProposedPair(models.Model):
    """Why a run proposed a pairing: its cost and the reasons behind it."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposed_pairs")
    pairing = models.OneToOneField(
        "mentoring.Pairing", on_delete=models.CASCADE, related_name="proposal"
    )
    cost = models.PositiveIntegerField(_("cost"), default=0)
    reasons = models.JSONField(_("reasons"), default=dict)
    # Added or changed by hand during review rather than by the solver.
    by_hand = models.BooleanField(_("by hand"), default=False)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")

    def __str__(self):
        return f"{self.run_id}: {self.pairing_id} ({self.cost})"


class ReportScope(models.TextChoices):
    SCHOOL = "school", _("One school")
    DISTRICT = "district", _("The whole district")


class ReportStatus(models.TextChoices):
    BUILDING = "building", _("Building")
    ISSUED = "issued", _("Issued")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """One version of a term report (学期总结): a stored snapshot, never changed once issued.

    Building the report of the same term and scope again makes the next
    version; the job writes `data` once, only while the version is building,
    so an issued version keeps the figures it was issued with. `sources` says
    which records it was built from (counts and the latest change of each).
    """

    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(_("scope"), max_length=10, choices=ReportScope.choices)
    district = models.ForeignKey("mentoring.District", on_delete=models.PROTECT, related_name="+")
    # The school of a school report; None for the district's report.
    school = models.ForeignKey(
        "mentoring.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.BUILDING
    )
    data = models.JSONField(_("figures"), null=True, blank=True)
    sources = models.JSONField(_("sources"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    job = models.OneToOneField(
        Job, on_delete=models.PROTECT, null=True, blank=True, related_name="report"
    )
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
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
        return f"{self.term.code} {where} v{self.version} ({self.get_status_display()})"
