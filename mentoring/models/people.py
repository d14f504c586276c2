"""Districts, schools, accounts and their memberships, terms."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mentoring.school_weeks import is_holiday

# The default tiers' names in the page's language. A district that keeps a
# default tier's name (stored in Chinese, as schools write it) sees it
# translated; one that renamed the tier sees its own name in every language.
DEFAULT_TIER_NAMES = {
    "special_hardship": ("特别困难", _("Special hardship")),
    "hardship": ("困难", _("Hardship")),
    "general_hardship": ("一般困难", _("General hardship")),
}


def tier_label(code: str, name: str) -> str:
    """The name a page shows for the tier `code` that its district calls `name`."""
    stored, translated = DEFAULT_TIER_NAMES.get(code, (None, None))
    # In Chinese the stored name is the name itself.
    if name != stored or (get_language() or "").startswith("zh"):
        return name
    return str(translated)


def default_tiers() -> list[dict]:
    return [
        {"code": "special_hardship", "name": "特别困难"},
        {"code": "hardship", "name": "困难"},
        {"code": "general_hardship", "name": "一般困难"},
    ]


def person_name(first: str, last: str) -> str:
    """A name in its own order: 张老师 (family name first, no space), or "Ann Lee"."""
    if any(ord(ch) > 0x2E7F for ch in first + last):
        return f"{last}{first}".strip()
    return f"{first} {last}".strip()


def tier_problems(tiers) -> list[str]:
    """What is wrong with a district's hardship tiers (none when well formed)."""
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
        return [_('Give a list of tiers, most needy first, each {"code": ..., "name": ...}.')]
    codes = [tier["code"] for tier in tiers]
    if len(set(codes)) != len(codes):
        return [_("Each tier needs its own code.")]
    return []


class Province(models.Model):
    """A province (省) or region: the counties and districts whose term's work is run as one job.

    Only a grouping: each county keeps its own rules, terms and administrators,
    and a province's job runs each county's work as that county's own
    (`workers.province`).
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


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
    # The province whose one job may run this county's term with the others'.
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="districts",
        verbose_name=_("province"),
    )
    # Safeguarding: a student of this age or older is paired only with a mentor
    # of the same gender (home visits). The district's standing policy, applied
    # to hand pairings and match runs alike; a run may lower the age (tighten),
    # never raise it or switch it off. Null: the district has no such rule.
    same_gender_from_age = models.PositiveSmallIntegerField(
        _("same-gender mentor from age"), null=True, blank=True, default=12
    )

    # The complaint line (举报电话) printed on every public notice and donation
    # notice, and how many working days the bureau has to answer a complaint.
    complaint_phone = models.CharField(_("complaint line"), max_length=30, blank=True)
    complaint_answer_working_days = models.PositiveSmallIntegerField(
        _("working days to answer a complaint"), default=15
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
            models.CheckConstraint(
                condition=Q(complaint_answer_working_days__gte=1)
                & Q(complaint_answer_working_days__lte=60),
                name="district_complaint_days_1_to_60",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The admin's form checks the tiers here; `mentoring.services.districts`
        # checks them (and what depends on them) before it writes.
        problems = tier_problems(self.tiers)
        if problems:
            raise ValidationError({"tiers": problems})

    @property
    def tier_codes(self) -> list[str]:
        return [tier["code"] for tier in self.tiers]

    @property
    def tier_labels(self) -> list[dict]:
        """The tiers as a page shows them: each default name in the page's language."""
        return [
            {"code": tier["code"], "name": tier_label(tier["code"], tier["name"])}
            for tier in self.tiers
        ]


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

    def __str__(self):
        # Wherever an account is named (the admin's read-only fields, its history's
        # "changed by", its log), it is named as people know it: 张老师, not zhang.ls.
        return self.display_name

    def get_full_name(self) -> str:
        """The person's name in its own order (`person_name`): 张老师, or "Ann Lee"."""
        return person_name(self.first_name, self.last_name)

    @property
    def display_name(self) -> str:
        """How the person is shown to others: their name, else their username."""
        return self.get_full_name() or self.username

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser

    @property
    def is_administrator(self) -> bool:
        """Administers some school, or is a platform administrator (who costs no query)."""
        if not self.is_active:
            return False
        return self.is_superuser or self.memberships.filter(role=Role.ADMINISTRATOR).exists()

    def roles(self) -> set[str]:
        """The roles the account holds in any school; a platform administrator also holds
        the administrator role. None for a deactivated account."""
        if not self.is_active:
            return set()
        # No ordering: a set needs none, and Membership's default (by school code)
        # joined the schools for nothing on every request that checks a role.
        roles = set(Membership.objects.filter(user=self).order_by().values_list("role", flat=True))
        if self.is_superuser:
            roles.add(Role.ADMINISTRATOR)
        return roles

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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("school")
    )
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


def term_label(code: str) -> str:
    """A term's code as people name it: "2026年秋季学期" for "2026-autumn"; else the code.

    A function of the code alone, so that a stored report names its term in the reader's language.
    """
    year, _sep, season = code.partition("-")
    names = {"spring": _("%(year)s spring term"), "autumn": _("%(year)s autumn term")}
    return str(names[season] % {"year": year}) if season in names else code


def school_year_label(school_year: str) -> str:
    """A school year as people name it: "2025—2026学年" for "2025-2026"; else as it is."""
    start, _sep, end = school_year.partition("-")
    if not (start.isdigit() and end.isdigit()):
        return school_year
    return str(_("%(start)s–%(end)s school year") % {"start": start, "end": end})


class Term(models.Model):
    """A school term of a district, e.g. `2026-autumn`.

    Holiday weeks (the Monday of each ISO week) do not count for weekly tutoring.
    """

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="terms", verbose_name=_("district")
    )
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

    @property
    def label(self) -> str:
        """The term as people name it: "2026年秋季学期" for the code "2026-autumn"."""
        return term_label(self.code)

    def contains(self, day) -> bool:
        return self.start_date <= day <= self.end_date

    def is_holiday(self, day) -> bool:
        """Outside the term or in one of its holiday weeks (`mentoring.school_weeks.is_holiday`)."""
        return is_holiday(day, self.start_date, self.end_date, self.holiday_weeks)
