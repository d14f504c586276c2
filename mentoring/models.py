from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# The match run's models live in their own module; they are mentoring's models,
# read from here like the others.
from mentoring.match_run_models import MatchRun, MatchRunStatus, ProposedPair  # noqa: F401


def default_tiers() -> list[dict]:
    return [
        {"code": "special_hardship", "name": "特别困难"},
        {"code": "hardship", "name": "困难"},
        {"code": "general_hardship", "name": "一般困难"},
    ]


class District(models.Model):
    """A county or district education bureau: the scope of a district administrator.

    Identification rules that differ by district are data here: the hardship
    tiers (code and name, most needy first) and the public-notice period.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    tiers = models.JSONField(_("hardship tiers"), default=default_tiers)
    notice_working_days = models.PositiveSmallIntegerField(
        _("public notice working days"), default=5
    )
    # Safeguarding: a student of this age or older is paired only with a mentor
    # of the same gender (home visits). The district's standing policy, applied
    # to hand pairings and match runs alike; a run may lower the age (tighten),
    # never raise it or switch it off. Null: the district has no such rule.
    same_gender_from_age = models.PositiveSmallIntegerField(
        _("same-gender mentor from age"), null=True, blank=True, default=12
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_working_days__gte=5), name="district_notice_at_least_5_days"
            ),
            models.CheckConstraint(
                condition=Q(same_gender_from_age__lte=20),
                name="district_same_gender_age_at_most_20",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # No service writes a district; the platform administrator edits it in
        # the admin, and identification reads each tier's code and name.
        tiers = self.tiers
        well_formed = (
            isinstance(tiers, list)
            and tiers
            and all(
                isinstance(tier, dict)
                and set(tier) == {"code", "name"}
                and all(isinstance(tier[key], str) and tier[key].strip() for key in tier)
                for tier in tiers
            )
        )
        if not well_formed:
            raise ValidationError(
                {
                    "tiers": _(
                        'Give a list of tiers, most needy first, each {"code": ..., "name": ...}.'
                    )
                }
            )
        codes = [tier["code"] for tier in tiers]
        if len(set(codes)) != len(codes):
            raise ValidationError({"tiers": _("Each tier needs its own code.")})

    @property
    def tier_codes(self) -> list[str]:
        return [tier["code"] for tier in self.tiers]


class SchoolLevel(models.TextChoices):
    PRESCHOOL = "preschool", _("Preschool")
    PRIMARY = "primary", _("Primary")
    JUNIOR_MIDDLE = "junior_middle", _("Junior middle")


class School(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=SchoolLevel.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="schools", verbose_name=_("district")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    TEACHER = "teacher", _("Teacher")
    VOLUNTEER = "volunteer", _("Volunteer")
    DONOR = "donor", _("Donor")
    SUPERVISOR = "supervisor", _("Supervisor")


class User(AbstractUser):
    """An account. What it may do comes from its memberships.

    A superuser is a platform administrator: it administers every school.
    """

    schools = models.ManyToManyField(
        School, through="Membership", related_name="members", verbose_name=_("schools")
    )
    # Carried as a claim in every JWT issued to the account and compared on
    # each request and refresh (mentoring.apis.tokens): raising it ends every
    # token issued so far, access tokens included, at no extra query.
    token_generation = models.PositiveIntegerField(_("token generation"), default=0, editable=False)

    # Password hashes, login times and token generations are not audit history.
    history = HistoricalRecords(excluded_fields=["password", "last_login", "token_generation"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser

    def save(self, *args, **kwargs):
        """Save, and revoke the account's tokens when it loses a password, its activity or a flag.

        Every path that changes an account (the API's services, the Django
        admin, `changepassword`, `set_password` anywhere) saves it here. A
        `QuerySet.update()` would not; nothing in Bangfu changes these fields so.
        """
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        if kwargs.get("update_fields") is None:
            # The generation moves only by revoke_tokens(), in the database:
            # saving an account loaded before a logout must not write the old
            # number back and revive the tokens that logout ended.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name != "token_generation"
                and field.attname not in deferred
            ]
        revokes = self._loses_access(kwargs["update_fields"])
        super().save(*args, **kwargs)
        if revokes:
            self.revoke_tokens()

    def _loses_access(self, update_fields) -> bool:
        watched = [name for name in TOKEN_REVOKING_FIELDS if name in set(update_fields)]
        if not watched:
            return False
        stored = type(self).objects.filter(pk=self.pk).values(*watched).first()
        if stored is None:
            return False
        for name in watched:
            if name == "password":
                if stored[name] != self.password:
                    return True
            elif stored[name] and not getattr(self, name):
                return True
        return False

    def revoke_tokens(self) -> None:
        """End every JWT issued to this account so far; the next login gets working ones."""
        revoke_tokens_of([self.pk])
        self.refresh_from_db(fields=["token_generation"])


# A new password, deactivation, or the loss of the platform administrator's or
# the staff flag revokes an account's tokens (User.save).
TOKEN_REVOKING_FIELDS = ("password", "is_active", "is_superuser", "is_staff")


def revoke_tokens_of(user_ids) -> None:
    """Raise the token generation of these accounts, so that their earlier tokens are refused."""
    User.objects.filter(pk__in=user_ids).update(token_generation=F("token_generation") + 1)


class Membership(models.Model):
    """A user's role in one school. A district administrator has one per school."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["school__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "role"], name="membership_unique_role_per_school"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.school}"


class Term(models.Model):
    """A school term of a district, e.g. `2026-autumn`.

    Holiday weeks (the Monday of each ISO week) do not count for weekly tutoring.
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="terms")
    code = models.CharField(_("code"), max_length=20)
    school_year = models.CharField(_("school year"), max_length=9)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    holiday_weeks = models.JSONField(_("holiday weeks"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district__code", "-start_date"]
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="term_unique_code"),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="term_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.code

    def contains(self, day) -> bool:
        return self.start_date <= day <= self.end_date


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Subject(models.TextChoices):
    CHINESE = "chinese", _("Chinese")
    MATH = "math", _("Mathematics")
    ENGLISH = "english", _("English")
    SCIENCE = "science", _("Science")
    PHYSICS = "physics", _("Physics")
    CHEMISTRY = "chemistry", _("Chemistry")
    BIOLOGY = "biology", _("Biology")
    HISTORY = "history", _("History")
    GEOGRAPHY = "geography", _("Geography")
    POLITICS = "politics", _("Morality and law")
    ARTS = "arts", _("Music and art")
    PE = "pe", _("Physical education")
    OTHER = "other", _("Other")


class Student(models.Model):
    """A student's identity in one school; what changes by term is in StudentRecord.

    The ID number itself is never stored: only a keyed hash (to match
    government lists and find duplicate aid across schools) and a masked form.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    student_number = models.CharField(_("student number"), max_length=32)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_hash = models.CharField(_("ID number hash"), max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number (masked)"), max_length=18)
    village = models.CharField(_("village or community"), max_length=100, blank=True)
    guardian_name = models.CharField(_("guardian"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("guardian phone"), max_length=20, blank=True)
    guardian_consents_to_name = models.BooleanField(
        _("guardian consents to showing the name to donors"), default=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["school__code", "student_number"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student_number"], name="student_unique_number_per_school"
            ),
        ]

    def __str__(self):
        return f"{self.student_number} {self.name}"


class StudentRecord(models.Model):
    """A student's archive for one term (建档): kept, never overwritten by a later term."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="records")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="student_records")
    level = models.CharField(_("level"), max_length=20, choices=SchoolLevel.choices)
    grade = models.PositiveSmallIntegerField(_("grade"))
    class_name = models.CharField(_("class"), max_length=20)
    boarding = models.BooleanField(_("boarding"), default=False)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    income_per_capita_fen = models.BigIntegerField(
        _("yearly income per person (fen)"), null=True, blank=True
    )
    disabled = models.BooleanField(_("disabled student"), default=False)
    struggling = models.BooleanField(_("academically struggling"), default=False)
    weak_subjects = models.JSONField(_("weak subjects"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "student"]
        verbose_name = _("student record")
        verbose_name_plural = _("student records")
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="record_unique_per_term"),
            models.CheckConstraint(
                condition=Q(grade__gte=1) & Q(grade__lte=9), name="record_grade_1_9"
            ),
            models.CheckConstraint(
                condition=Q(income_per_capita_fen__isnull=True) | Q(income_per_capita_fen__gte=0),
                name="record_income_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.student_id} · {self.term_id}"


class SubjectScore(models.Model):
    """A struggling student's score in a weak subject at the start and end of a term."""

    record = models.ForeignKey(StudentRecord, on_delete=models.CASCADE, related_name="scores")
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    start_score = models.DecimalField(
        _("score at start"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    end_score = models.DecimalField(
        _("score at end"), max_digits=5, decimal_places=1, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("subject score")
        verbose_name_plural = _("subject scores")
        constraints = [
            models.UniqueConstraint(fields=["record", "subject"], name="score_unique_subject"),
            models.CheckConstraint(
                condition=(
                    Q(start_score__isnull=True) | Q(start_score__gte=0, start_score__lte=150)
                )
                & (Q(end_score__isnull=True) | Q(end_score__gte=0, end_score__lte=150)),
                name="score_0_150",
            ),
        ]

    def __str__(self):
        return f"{self.get_subject_display()}: {self.start_score} → {self.end_score}"


class HardshipKind(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Extreme poverty support (特困供养/五保)")
    ORPHAN = "orphan", _("Orphan or de facto unsupported child")
    PARENT_DECEASED = "parent_deceased", _("One parent deceased")
    BOTH_PARENTS_DECEASED = "both_parents_deceased", _("Both parents deceased")
    DISABLED_PARENT = "disabled_parent", _("Disabled parent")
    DISABLED_STUDENT = "disabled_student", _("Disabled student")
    LONG_TERM_ILLNESS = "long_term_illness", _("Long-term illness in the family")
    DISASTER = "disaster", _("Disaster or sudden misfortune")
    REGISTERED_POVERTY = "registered_poverty", _("Registered or formerly poor household")
    MONITORED_HOUSEHOLD = "monitored_household", _("Monitored household")
    MARTYR_CHILD = "martyr_child", _("Child of a martyr")
    DISABLED_SOLDIER_CHILD = "disabled_soldier_child", _("Child of a disabled soldier")
    OTHER = "other", _("Other")


class IndicatorSource(models.TextChoices):
    FAMILY_APPLICATION = "family_application", _("Family application")
    HOME_VISIT = "home_visit", _("Home visit")
    GOVERNMENT_LIST = "government_list", _("Government list")
    ROSTER = "roster", _("Roster import")


class HardshipIndicator(models.Model):
    """One hardship circumstance of a student, dated and with where it is known from."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField(_("kind"), max_length=30, choices=HardshipKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=IndicatorSource.choices)
    recorded_on = models.DateField(_("recorded on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["student", "-recorded_on"]
        verbose_name = _("hardship indicator")
        verbose_name_plural = _("hardship indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "kind", "source", "recorded_on"], name="indicator_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_source_display()}, {self.recorded_on})"


class AssessmentRoute(models.TextChoices):
    APPLICATION = "application", _("Application and review")
    GOVERNMENT_LIST = "government_list", _("Government list")


class AssessmentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Application submitted")
    INVESTIGATED = "investigated", _("Investigated by the class teacher")
    CLASS_REVIEWED = "class_reviewed", _("Reviewed by the class review group")
    SCHOOL_REVIEWED = "school_reviewed", _("Reviewed by the school")
    PUBLICIZED = "publicized", _("Under public notice")
    PROPOSED = "proposed", _("Proposed from a government list")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Assessment(models.Model):
    """The identification (认定) of one student's need in one term.

    The allowed transitions live in `mentoring.services.identification`; each is
    recorded as an AssessmentEvent. `tier` is a code of the district's tiers, or
    `not_in_hardship` (不困难), which is an outcome too.
    """

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="assessments")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="assessments")
    route = models.CharField(
        _("route"),
        max_length=20,
        choices=AssessmentRoute.choices,
        default=AssessmentRoute.APPLICATION,
    )
    status = models.CharField(_("status"), max_length=20, choices=AssessmentStatus.choices)
    tier = models.CharField(_("tier"), max_length=30, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The family's written commitment (承诺书), which replaces certificates.
    commitment = models.TextField(_("written commitment"), blank=True)
    government_category = models.CharField(
        _("government list category"), max_length=30, choices=HardshipKind.choices, blank=True
    )
    # Need score used to rank approved students (higher is needier).
    need_score = models.PositiveIntegerField(_("need score"), default=0)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="assessment_unique_per_term"),
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="assessment_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.student_id} · {self.term_id} · {self.get_status_display()}"


class AssessmentEvent(models.Model):
    """One transition of an assessment: who did what, when, from which state to which."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["assessment", "at", "pk"]
        verbose_name = _("assessment event")
        verbose_name_plural = _("assessment events")

    def __str__(self):
        return f"{self.action}: {self.from_status} → {self.to_status}"


class Objection(models.Model):
    """An objection raised during the public notice; it must be answered before approval."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField(_("objection"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["filed_at", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self):
        return f"#{self.pk} on {self.assessment_id}"


class MentorKind(models.TextChoices):
    PARTY_TEACHER = "party_teacher", _("Party-member teacher")
    TEACHER = "teacher", _("Teacher")
    LEADER = "leader", _("School leader")
    VOLUNTEER = "volunteer", _("Volunteer")


class Mentor(models.Model):
    """A user who mentors students: tutors struggling ones or sponsors poor ones."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentor"
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
        return f"{self.user} ({self.get_kind_display()})"


class PairingKind(models.TextChoices):
    ACADEMIC = "academic", _("Academic tutoring")
    CARE = "care", _("Care and sponsorship")


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class Pairing(models.Model):
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="pairings")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="pairings")
    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="pairings")
    kind = models.CharField(_("kind"), max_length=20, choices=PairingKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PairingStatus.choices, default=PairingStatus.PROPOSED
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

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


class SessionKind(models.TextChoices):
    TUTORING = "tutoring", _("Tutoring")
    HOME_VISIT = "home_visit", _("Home visit")
    COUNSELLING = "counselling", _("Counselling")
    MATERIAL_HELP = "material_help", _("Material help")


class TutoringSession(models.Model):
    """One logged activity of a pairing's mentor: tutoring, home visit, counselling, help."""

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    content = models.TextField(_("content"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("tutoring session")
        verbose_name_plural = _("tutoring sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=600), name="session_minutes_1_600"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.minutes} min"


class WeeklyCompliance(models.Model):
    """One school week of one academic pairing: what was logged and whether the target was met.

    Written by the weekly check (and refreshed after a session of a past week
    is logged, edited or deleted); one row per pairing and ISO week, never two.
    The school, mentor and term are copied from the pairing so that the
    figures per school and per mentor are read without a join.
    """

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="weeks")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="compliance_weeks")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="compliance_weeks")
    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="compliance_weeks")
    # The Monday of the week, and its ISO year and week number.
    week_start = models.DateField(_("week starting"))
    iso_year = models.PositiveSmallIntegerField(_("ISO year"))
    iso_week = models.PositiveSmallIntegerField(_("ISO week"))
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=0)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    home_visits = models.PositiveSmallIntegerField(_("home visits"), default=0)
    target_sessions = models.PositiveSmallIntegerField(_("weekly target (sessions)"), default=1)
    met = models.BooleanField(_("target met"), default=False)
    # Weeks missed in a row up to and including this one (0 when met).
    missed_streak = models.PositiveSmallIntegerField(_("missed weeks in a row"), default=0)
    checked_at = models.DateTimeField(_("checked at"), auto_now=True)

    class Meta:
        ordering = ["term", "school", "mentor", "pairing", "week_start"]
        verbose_name = _("weekly compliance")
        verbose_name_plural = _("weekly compliance")
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "iso_year", "iso_week"], name="compliance_one_per_pairing_week"
            ),
        ]
        indexes = [
            models.Index(fields=["term", "school", "week_start"]),
            models.Index(fields=["term", "mentor", "week_start"]),
        ]

    def __str__(self):
        return f"{self.pairing_id} {self.iso_year}-W{self.iso_week:02d}: {self.met}"


class NotificationKind(models.TextChoices):
    MISSED_WEEK = "missed_week", _("A week without tutoring")
    MISSED_STREAK = "missed_streak", _("Weeks missed in a row")
    LATE_AWARD = "late_award", _("Award not paid in time")


class Notification(models.Model):
    """A message to one user, stored (read in the API and on the page) and sent by e-mail.

    `key` names what the notification is about (kind, object, week); with the
    recipient it is unique, so a reminder is never sent twice for the same
    thing, even when two workers run the same check at once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    key = models.CharField(_("key"), max_length=200)
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    # What it is about, for a link: e.g. {"pairing": 12, "week": "2026-W40"}.
    data = models.JSONField(_("data"), default=dict, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When the records stopped bearing the reminder out (its missed week was
    # met after all, by a session logged late); a resolved notification is
    # not unread, whether or not its recipient read it.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The one definition of "unread", for the API, the pages and their counts.
    UNREAD = Q(read_at__isnull=True, resolved_at__isnull=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"

    @property
    def unread(self) -> bool:
        return self.read_at is None and self.resolved_at is None


class AccessAction(models.TextChoices):
    LIST = "list", _("Listed")
    READ = "read", _("Read")
    EXPORT = "export", _("Exported")


class AccessLogEntry(models.Model):
    """One request that served students' records: who, what, when and from where.

    Append-only: the database refuses to change or delete a row (migration
    `access_log`, core.append_only). It holds ids only: no name, no query
    string, nothing a reader of the log could not already look up with the
    right to do so. The students the request served are its
    AccessLogStudent rows, so "who read this child" is one indexed query.

    The user and the students are kept as plain ids (no database
    constraint, nothing done on delete): deleting an account or a student
    neither erases nor is blocked by what the log says about them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the index on (user, at) below starts with the user
        related_name="+",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    # The model name of what was served: "student", "pairing", "report", ...
    object_kind = models.CharField(_("kind of record"), max_length=50)
    # The record read or exported; empty for a list.
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=300)
    address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["at"], name="accesslog_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values), name="accesslog_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_kind}"


class AccessLogStudent(models.Model):
    """One student whose record an access log entry served."""

    entry = models.ForeignKey(AccessLogEntry, on_delete=models.PROTECT, related_name="students")
    student = models.ForeignKey(
        Student,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique index below starts with the student
        related_name="+",
    )

    class Meta:
        verbose_name = _("student in an access log entry")
        verbose_name_plural = _("students in access log entries")
        constraints = [
            models.UniqueConstraint(fields=["student", "entry"], name="accesslog_student_once"),
        ]

    def __str__(self):
        return f"{self.entry_id}: {self.student_id}"
