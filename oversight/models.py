"""Supervision and complaints: who watches over the aid, and what the public reports.

A school (or the district's bureau, `school` left empty) keeps a supervision
group (监督小组): members from the community, parents and deputies, its
meetings with their minutes, and the evaluations and suggestions it gives,
each answered by the administrators. Complaints (举报) come in through the
line published on every public notice and donation notice; each is recorded
(anonymous allowed: then neither name nor contact is kept), and must be
answered by its due day, a number of working days set by the district.

The database refuses the states no service writes: an answered record
without its answer, an anonymous complaint with a name, a member who left
before joining.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Affiliation(models.TextChoices):
    PARENT = "parent", _("Parent")
    COMMUNITY = "community", _("Community")
    DEPUTY = "deputy", _("People's congress deputy")
    TEACHER = "teacher", _("Teacher")
    BUREAU = "bureau", _("Education bureau")
    OTHER = "other", _("Other")


class Scoped(models.Model):
    """A record of a school's group, or of the district's when `school` is empty."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    school = models.ForeignKey(
        "mentoring.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class SupervisionMember(Scoped):
    name = models.CharField(_("name"), max_length=50)
    affiliation = models.CharField(_("affiliation"), max_length=20, choices=Affiliation.choices)
    organisation = models.CharField(_("work unit"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "school", "name"]
        verbose_name = _("supervision group member")
        verbose_name_plural = _("supervision group members")
        constraints = [
            models.CheckConstraint(
                condition=Q(affiliation__in=Affiliation.values), name="member_affiliation_valid"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="member_leaves_after_joining",
            ),
        ]

    def __str__(self):
        return self.name


class SupervisionMeeting(Scoped):
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    topic = models.CharField(_("topic"), max_length=200)
    minutes = models.TextField(_("minutes"))
    attendees = models.ManyToManyField(
        SupervisionMember, related_name="meetings", verbose_name=_("attendees")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("supervision meeting")
        verbose_name_plural = _("supervision meetings")

    def __str__(self):
        return f"{self.held_on} {self.topic}"


class SuggestionKind(models.TextChoices):
    EVALUATION = "evaluation", _("Evaluation")
    SUGGESTION = "suggestion", _("Suggestion")


class Suggestion(Scoped):
    """An evaluation (with a rating of 1 to 5) or a suggestion of the group, and its answer."""

    kind = models.CharField(_("kind"), max_length=20, choices=SuggestionKind.choices)
    meeting = models.ForeignKey(
        SupervisionMeeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("meeting"),
    )
    member = models.ForeignKey(
        SupervisionMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("member"),
    )
    text = models.TextField(_("text"))
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("evaluation or suggestion")
        verbose_name_plural = _("evaluations and suggestions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SuggestionKind.values), name="suggestion_kind_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=SuggestionKind.EVALUATION, rating__gte=1, rating__lte=5)
                    | Q(kind=SuggestionKind.SUGGESTION, rating__isnull=True)
                ),
                name="suggestion_rating_for_evaluations_only",
            ),
            models.CheckConstraint(
                condition=(
                    Q(answered_at__isnull=True, answered_by__isnull=True, answer="")
                    | (Q(answered_at__isnull=False, answered_by__isnull=False) & ~Q(answer=""))
                ),
                name="suggestion_answered_with_its_answer",
            ),
        ]

    def __str__(self):
        return self.text[:40]


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Complaint line")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("In person")
    EMAIL = "email", _("E-mail")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Complaint(Scoped):
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    complainant_name = models.CharField(_("complainant's name"), max_length=50, blank=True)
    complainant_contact = models.CharField(_("complainant's contact"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    details = models.TextField(_("details"))
    answer_due_on = models.DateField(_("answer due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=ComplaintChannel.values), name="complaint_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ComplaintStatus.values), name="complaint_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(complainant_name="", complainant_contact=""),
                name="complaint_anonymous_keeps_no_identity",
            ),
            models.CheckConstraint(
                condition=Q(answer_due_on__gte=models.F("received_on")),
                name="complaint_due_after_received",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=ComplaintStatus.OPEN, closed_at__isnull=True)
                    | (
                        Q(status=ComplaintStatus.ANSWERED, closed_at__isnull=True)
                        & Q(answered_at__isnull=False, answered_by__isnull=False)
                        & ~Q(answer="")
                    )
                    | (
                        Q(status=ComplaintStatus.CLOSED, closed_at__isnull=False)
                        & Q(answered_at__isnull=False, answered_by__isnull=False)
                        & ~Q(answer="")
                    )
                ),
                name="complaint_state_has_its_fields",
            ),
        ]

    def __str__(self):
        return f"{self.received_on} {self.subject}"

    @property
    def answered_late(self) -> bool:
        """Answered after its due day (in Beijing time), or still open past it."""
        return complaint_standing(self.answer_due_on, self.answered_at) in LATE


# Where a complaint stands against its due day; the report counts each.
LATE = ("answered_late", "overdue")


def complaint_standing(due, answered_at, today=None) -> str:
    """answered_in_time, answered_late, open (not yet due) or overdue, in Beijing time."""
    from django.utils import timezone

    if answered_at is None:
        return "overdue" if (today or timezone.localdate()) > due else "open"
    return "answered_late" if timezone.localtime(answered_at).date() > due else "answered_in_time"
