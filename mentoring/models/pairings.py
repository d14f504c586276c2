"""Mentors and their pairings with students."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.models.people import School, Term
from mentoring.models.students import Gender, Student


class MentorKind(models.TextChoices):
    PARTY_TEACHER = "party_teacher", _("Party-member teacher")
    TEACHER = "teacher", _("Teacher")
    LEADER = "leader", _("School leader")
    VOLUNTEER = "volunteer", _("Volunteer")


class Mentor(models.Model):
    """A user who mentors students: tutors struggling ones or sponsors poor ones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentor",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MentorKind.choices)
    # Teachers and leaders: their one school. Volunteers: the schools they serve.
    schools = models.ManyToManyField(School, related_name="mentors", verbose_name=_("schools"))
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    grades = models.JSONField(_("grades taught"), default=list, blank=True)
    party_branch = models.CharField(_("party branch"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=3)
    min_mentees = models.PositiveSmallIntegerField(_("minimum mentees"), default=0)
    vetted_until = models.DateField(_("vetted until"), null=True, blank=True)
    conflicts = models.ManyToManyField(
        Student, related_name="conflicted_mentors", blank=True, verbose_name=_("conflicts")
    )
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(m2m_fields=[schools, conflicts])

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="mentor_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_mentees__lte=F("capacity")), name="mentor_min_within_capacity"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["party_teacher", "leader"]) | Q(min_mentees__gte=1),
                name="mentor_party_and_leaders_min_one",
            ),
        ]

    def __str__(self):
        return f"{self.user.display_name} ({self.get_kind_display()})"


class PairingHistory(HistoricalRecords):
    """A pairing's audit trail, whose rows are written 90,000 at a time and read by pairing.

    A county's run writes a history row for each pairing it proposes, replaces
    or approves, in one statement (`core.bulk`); each index of the history and
    each foreign key checked costs every one of those rows. The history is read
    only by the pairing's id (the admin's history page, `prev_record`), which
    its own index serves, so the two indexes simple-history adds by default, on
    `history_date` and `history_user`, are not made. `history_user` also goes
    unchecked by the database (`user_db_constraint=False`, as the history's other
    references already are): it is written from the user making the change, in
    the same transaction, and users are deactivated, never deleted; checking it
    at commit cost an approval of 90,000 pairs a tenth to a fifth of its time.
    """

    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        extra["history_date"].db_index = False
        extra["history_user"].db_index = False
        return extra


class PairingKind(models.TextChoices):
    ACADEMIC = "academic", _("Academic tutoring")
    CARE = "care", _("Care and sponsorship")


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


# A pair that has met, or meets now: what a mentor still sees, the weekly check
# counts and the report calls paired. A proposal is none of these.
PAIRED_STATUSES = (PairingStatus.ACTIVE, PairingStatus.ENDED)


class Pairing(models.Model):
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("term")
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("student")
    )
    mentor = models.ForeignKey(
        Mentor, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("mentor")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PairingKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PairingStatus.choices, default=PairingStatus.PROPOSED
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # Set when the pairing continues over the holiday after its term (summer
    # contracting, 暑期承包): sessions may be dated up to this day, and are
    # counted apart from the term's weeks. None: the term's dates only.
    holiday_until = models.DateField(_("holiday work until"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    # Not indexed: nothing reads pairings by who created them (only deleting a user
    # looks, rarely), and each index costs every pairing a county's run writes,
    # replaces or approves (90,000 at a time) an entry more to write.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        db_index=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # A pairing's history is read by the pairing (its id), never by term, student or
    # mentor: indexing those too cost a county's approval of 90,000 pairs a third of
    # its time (bench/matching_job.py). Nor by date or by who made the change (see
    # PairingHistory), and its user is not checked against the users' table either.
    history = PairingHistory(
        no_db_index=["term", "student", "mentor", "created_by"], user_db_constraint=False
    )

    class Meta:
        ordering = ["term", "student", "kind"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            # The database, not only Python, keeps one active pairing per kind,
            # so two administrators pairing the same student at once cannot both win.
            models.UniqueConstraint(
                fields=["student", "term", "kind"],
                condition=Q(status="active"),
                name="pairing_one_active_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(started_on__isnull=False),
                name="pairing_active_has_start",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.mentor} → {self.student} ({self.get_kind_display()})"
