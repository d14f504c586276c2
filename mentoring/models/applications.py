"""Families' applications, the investigation with its home visit, and the review committees.

The identification workflow itself (statuses, transitions, events) is the
Assessment's (`mentoring.models.identification`); these records are what the
workflow's first steps rest on:

- `Application`: the family's application (家长提出申请), recorded by the class
  teacher, or typed by the family on the public page reached by the school's
  `ApplicationCode` and confirmed by the class teacher, which creates the
  assessment;
- `Investigation`: the class teacher's investigation with its home visit,
  which the `submitted → investigated` step requires;
- `ReviewCommittee`, `CommitteeMember`, `CommitteeDecision`: the class review
  group and the school's review, whose recorded decision the
  `investigated → class_reviewed` and `class_reviewed → school_reviewed`
  steps require.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.identification import Assessment
from mentoring.models.people import School, Term
from mentoring.models.sessions import TutoringSession


class ApplicationCode(models.Model):
    """The short code a school prints for one term; families open the application page with it.

    At most one code of a school and term is open; rotating closes it and opens
    a new one, so a code that went round too widely stops working.
    """

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="application_codes", verbose_name=_("school")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="application_codes", verbose_name=_("term")
    )
    code = models.CharField(_("code"), max_length=12, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("application code")
        verbose_name_plural = _("application codes")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "term"],
                condition=Q(closed_at__isnull=True),
                name="application_code_one_open_per_term",
            ),
        ]

    def __str__(self):
        return self.code


class ApplicantRelation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    GUARDIAN = "guardian", _("Appointed guardian")
    STUDENT = "student", _("The student")


class ApplicationSource(models.TextChoices):
    CLASS_TEACHER = "class_teacher", _("Recorded by the class teacher")
    FAMILY_PAGE = "family_page", _("Submitted by the family on the application page")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the class teacher")
    CONFIRMED = "confirmed", _("Confirmed")
    DECLINED = "declined", _("Declined")


class Application(models.Model):
    """A family's application for identification.

    One typed on the public page is `pending` and names the child only as the
    family typed it (`child_name`, `grade`, `class_name`); the class teacher
    confirms it against a student of the roster, which creates the
    assessment, or declines it. One recorded by the class teacher is
    confirmed from the start.
    """

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="applications", verbose_name=_("school")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="applications", verbose_name=_("term")
    )
    source = models.CharField(_("source"), max_length=20, choices=ApplicationSource.choices)
    status = models.CharField(_("status"), max_length=20, choices=ApplicationStatus.choices)
    code = models.ForeignKey(
        ApplicationCode,
        on_delete=models.PROTECT,
        related_name="applications",
        null=True,
        blank=True,
        verbose_name=_("application code"),
    )
    assessment = models.OneToOneField(
        Assessment,
        on_delete=models.PROTECT,
        related_name="application",
        null=True,
        blank=True,
        verbose_name=_("assessment"),
    )
    child_name = models.CharField(_("child's name as given"), max_length=50, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade as given"), null=True, blank=True)
    class_name = models.CharField(_("class as given"), max_length=20, blank=True)
    guardian_name = models.CharField(_("applicant"), max_length=50)
    guardian_relation = models.CharField(
        _("relation to the student"), max_length=20, choices=ApplicantRelation.choices
    )
    guardian_phone = models.CharField(_("applicant's phone"), max_length=20)
    hardship_kinds = models.JSONField(_("hardship kinds"), default=list, blank=True)
    income_per_capita_fen = models.BigIntegerField(
        _("yearly income per person"), null=True, blank=True
    )
    circumstances = models.TextField(_("circumstances"))
    # The family's written commitment (承诺书), which replaces certificates.
    commitment = models.TextField(_("written commitment"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("recorded by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("confirmed or declined by"),
    )
    decided_at = models.DateTimeField(_("confirmed or declined at"), null=True, blank=True)
    declined_reason = models.TextField(_("reason for declining"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(income_per_capita_fen__isnull=True) | Q(income_per_capita_fen__gte=0),
                name="application_income_not_negative",
            ),
            # A confirmed application is an assessment's; any other is not yet.
            models.CheckConstraint(
                condition=Q(status="confirmed", assessment__isnull=False)
                | (~Q(status="confirmed") & Q(assessment__isnull=True)),
                name="application_confirmed_has_assessment",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def student_id_or_none(self) -> int | None:
        """The student of a confirmed application; None while the family's typing is unmatched."""
        return self.assessment.student_id if self.assessment_id else None


class PublicApplicationAttempt(models.Model):
    """One use of the public application page from an address: a code typed, or a form sent.

    Counted to limit guessing codes and flooding a school with applications;
    kept for a day at most by `mentoring.services.applications`.
    """

    address = models.GenericIPAddressField(_("address"), null=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    accepted = models.BooleanField(_("accepted"))
    submitted = models.BooleanField(_("application sent"), default=False)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("application page attempt")
        verbose_name_plural = _("application page attempts")

    def __str__(self):
        return f"{self.address} {self.at}"


class Investigation(models.Model):
    """The class teacher's investigation of an application, with its home visit.

    The visit is either a logged home-visit session of one of the student's
    pairings (`visit_session`) or, since most families are visited before any
    pairing exists, the visit recorded here (`visited_on`); one of them must be.
    """

    assessment = models.OneToOneField(
        Assessment,
        on_delete=models.CASCADE,
        related_name="investigation",
        verbose_name=_("assessment"),
    )
    investigated_on = models.DateField(_("investigated on"))
    investigators = models.CharField(_("investigated by"), max_length=200)
    findings = models.TextField(_("findings"))
    visited_on = models.DateField(_("home visit on"), null=True, blank=True)
    visit_session = models.ForeignKey(
        TutoringSession,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("home-visit session"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        constraints = [
            models.CheckConstraint(
                condition=Q(visited_on__isnull=False) | Q(visit_session__isnull=False),
                name="investigation_has_visit",
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id} {self.investigated_on}"


class ReviewStage(models.TextChoices):
    CLASS = "class", _("Class review group")
    SCHOOL = "school", _("School review")


class ReviewCommittee(models.Model):
    """A school's review committee of one term: the class review group or the school's.

    A class group names its class; a committee with no class reviews the whole
    school's applications at its stage.
    """

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="review_committees", verbose_name=_("school")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="review_committees", verbose_name=_("term")
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ReviewStage.choices)
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "school", "stage", "class_name"]
        verbose_name = _("review committee")
        verbose_name_plural = _("review committees")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "term", "stage", "class_name"],
                name="review_committee_unique",
            ),
        ]

    def __str__(self):
        return self.name


class CommitteeRole(models.TextChoices):
    SCHOOL_LEADER = "school_leader", _("School leader")
    CLASS_TEACHER = "class_teacher", _("Class teacher")
    TEACHER_REPRESENTATIVE = "teacher_rep", _("Teachers' representative")
    PARENT_REPRESENTATIVE = "parent_rep", _("Parents' representative")
    STUDENT_REPRESENTATIVE = "student_rep", _("Students' representative")
    COMMUNITY_REPRESENTATIVE = "community_rep", _("Community representative")


class CommitteeMember(models.Model):
    committee = models.ForeignKey(
        ReviewCommittee,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("committee"),
    )
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=CommitteeRole.choices)

    class Meta:
        ordering = ["committee", "pk"]
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="committee_member_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class CommitteeOutcome(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    NOT_AGREED = "not_agreed", _("Not agreed")


class CommitteeDecision(models.Model):
    """A committee's decision on one assessment at one stage, with who was there and how it voted.

    Votes are optional: a committee that agrees by consensus records none.
    """

    committee = models.ForeignKey(
        ReviewCommittee,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("committee"),
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="committee_decisions",
        verbose_name=_("assessment"),
    )
    stage = models.CharField(_("stage"), max_length=10, choices=ReviewStage.choices)
    decided_on = models.DateField(_("decided on"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=CommitteeOutcome.choices)
    members_present = models.ManyToManyField(
        CommitteeMember, related_name="decisions", verbose_name=_("members present")
    )
    votes_for = models.PositiveSmallIntegerField(_("votes for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("votes against"), null=True, blank=True)
    votes_abstaining = models.PositiveSmallIntegerField(_("abstentions"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=30, blank=True)
    note = models.TextField(_("note"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["assessment", "recorded_at", "pk"]
        verbose_name = _("committee decision")
        verbose_name_plural = _("committee decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "stage"], name="committee_decision_one_per_stage"
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id} {self.stage} {self.outcome}"
