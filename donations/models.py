"""Aid projects, their fund accounts and the append-only ledger.

Money is integer fen (分) everywhere in the database. A fund account's
balance is the sum of its ledger; it is also kept on the account row, moved
only together with a ledger row, under a row lock, with a database check
that it never goes below zero. On PostgreSQL a trigger refuses any UPDATE or
DELETE of a ledger row: a mistake is corrected by a reversal, never erased.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FundSource(models.TextChoices):
    CENTRAL = "central", _("Central government")
    PROVINCIAL = "provincial", _("Provincial government")
    COUNTY = "county", _("County or district government")
    SCHOOL = "school", _("School")
    SOCIAL = "social", _("Society (donations)")


class Boarding(models.TextChoices):
    ANY = "any", _("Boarding or not")
    BOARDING = "boarding", _("Boarding students")
    NON_BOARDING = "non_boarding", _("Non-boarding students")


class AidProject(models.Model):
    """An aid project (资助项目) of a district, with its own fund account (专户)."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="aid_projects"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    # Two projects with the same purpose must not aid one student twice in a term.
    purpose = models.CharField(_("purpose"), max_length=100)
    # Eligibility; an empty list or "any" admits everyone approved.
    levels = models.JSONField(_("levels"), default=list, blank=True)
    tiers = models.JSONField(_("hardship tiers"), default=list, blank=True)
    boarding = models.CharField(
        _("boarding"), max_length=20, choices=Boarding.choices, default=Boarding.ANY
    )
    gender = models.CharField(_("gender"), max_length=6, blank=True)
    # An award not paid this many days after it was made is flagged late.
    late_after_days = models.PositiveSmallIntegerField(_("late after (days)"), default=30)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "code"]
        verbose_name = _("aid project")
        verbose_name_plural = _("aid projects")
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="project_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class ProjectFunding(models.Model):
    """Money allocated to a project for a term by one source (e.g. 18,900 provincial)."""

    project = models.ForeignKey(AidProject, on_delete=models.CASCADE, related_name="funding")
    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        ordering = ["project", "term", "source"]
        verbose_name = _("project funding")
        verbose_name_plural = _("project funding")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "term", "source"], name="funding_one_per_source"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funding_positive"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.get_source_display()}: {self.amount_fen} fen"


def term_amount_fen(yearly_fen: int) -> int:
    """Half a year's standard, rounded half up to the fen: 625.00 a year → 312.50 a term."""
    return (yearly_fen + 1) // 2


class ProjectStandard(models.Model):
    """The yearly amount for a tier, level and boarding; a term pays half of it.

    Blank `tier` or `level` and boarding "any" match every student; the most
    specific standard that matches a student applies.
    """

    project = models.ForeignKey(AidProject, on_delete=models.CASCADE, related_name="standards")
    tier = models.CharField(_("tier"), max_length=30, blank=True)
    level = models.CharField(_("level"), max_length=20, blank=True)
    boarding = models.CharField(
        _("boarding"), max_length=20, choices=Boarding.choices, default=Boarding.ANY
    )
    yearly_fen = models.BigIntegerField(_("yearly standard (fen)"))

    class Meta:
        ordering = ["project", "tier", "level", "boarding"]
        verbose_name = _("aid standard")
        verbose_name_plural = _("aid standards")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "tier", "level", "boarding"], name="standard_unique"
            ),
            models.CheckConstraint(condition=Q(yearly_fen__gt=0), name="standard_positive"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.tier}/{self.level}/{self.boarding}: {self.yearly_fen}"

    @property
    def per_term_fen(self) -> int:
        return term_amount_fen(self.yearly_fen)


class ProjectQuota(models.Model):
    """How many students of one school a project may aid in a term."""

    project = models.ForeignKey(AidProject, on_delete=models.CASCADE, related_name="quotas")
    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("mentoring.School", on_delete=models.PROTECT, related_name="+")
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        ordering = ["project", "term", "school"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.UniqueConstraint(fields=["project", "term", "school"], name="quota_unique"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.school_id}: {self.places}"


class Allocation(models.Model):
    """One run of allocating a project's term to approved students by rank of need.

    `left_out` lists the eligible students who got nothing, each with the
    reason: [{"student": id, "school": id, "tier": ..., "rank": n,
    "reason": "quota_full" | "no_quota" | "funds_exhausted" | "duplicate_aid" |
    "no_standard", "detail": "..."}].
    """

    project = models.ForeignKey(AidProject, on_delete=models.PROTECT, related_name="allocations")
    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    awarded = models.PositiveIntegerField(_("students awarded"), default=0)
    amount_fen = models.BigIntegerField(_("amount awarded (fen)"), default=0)
    left_out = models.JSONField(_("left out"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self):
        return f"{self.project.code} {self.term_id}: {self.awarded}"


class FundAccount(models.Model):
    """The project's own account; `balance_fen` always equals the sum of its ledger.

    The database refuses a balance below what the project's unpaid awards
    still commit, and an award beyond it (migration 0013).
    """

    project = models.OneToOneField(AidProject, on_delete=models.PROTECT, related_name="account")
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fund account")
        verbose_name_plural = _("fund accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_fen__gte=0), name="fund_account_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.project.code}: {self.balance_fen} fen"


class LedgerKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("Appropriation in")
    CONTRIBUTION = "contribution", _("Contribution in")
    DISBURSEMENT = "disbursement", _("Disbursement out")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One movement of money: positive in, negative out. Never changed, never deleted."""

    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=LedgerKind.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # The account's balance right after this entry: the ledger reads as a statement.
    balance_after_fen = models.BigIntegerField(_("balance after (fen)"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # Appropriations: which government level (or society) the money came from,
    # and the term's funding it honours (received against allocated: 资金到位率).
    source = models.CharField(_("source"), max_length=20, choices=FundSource.choices, blank=True)
    funding = models.ForeignKey(
        ProjectFunding, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    # A reversal names the entry it reverses; an entry is reversed at most once.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["account", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after_fen__gte=0), name="ledger_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["appropriation", "contribution"], amount_fen__gt=0)
                    | Q(kind="disbursement", amount_fen__lt=0)
                    | Q(kind="reversal", reverses__isnull=False)
                ),
                name="ledger_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_fen} fen"


class DonorKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation")
    STAFF = "staff", _("Staff")
    INDIVIDUAL = "individual", _("Individual")


class Donor(models.Model):
    """Who gives: an organisation, a member of staff or a person, in one district."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="donors"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DonorKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Published notices say "anonymous" instead of the name.
    anonymous = models.BooleanField(_("anonymous in published notices"), default=False)
    # The account the donor uses to pledge and to follow its gifts, if any.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donor",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self):
        return self.name


class ContributionStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    POSTED = "posted", _("Posted to the fund account")


class Contribution(models.Model):
    """Money received from a donor for a project, posted once to the project's account."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    project = models.ForeignKey(AidProject, on_delete=models.PROTECT, related_name="contributions")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    received_on = models.DateField(_("received on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # The pledge this money honours, if any.
    pledge = models.ForeignKey(
        "Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ContributionStatus.choices,
        default=ContributionStatus.RECEIVED,
    )
    # Set when posted: the receipt (收据) number and the ledger row.
    receipt_number = models.CharField(
        _("receipt number"), max_length=40, unique=True, null=True, blank=True
    )
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="contribution"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="contribution_positive"),
            models.CheckConstraint(
                condition=Q(status="received", ledger_entry__isnull=True)
                | Q(status="posted", ledger_entry__isnull=False, receipt_number__isnull=False),
                name="contribution_posted_has_entry_and_receipt",
            ),
        ]

    def __str__(self):
        return f"{self.donor} → {self.project.code}: {self.amount_fen} fen"


class AwardStatus(models.TextChoices):
    AWARDED = "awarded", _("Awarded")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Award(models.Model):
    """Aid of one project to one student for one term.

    The student's ID hash and the term's code are copied onto the award so
    that the database refuses a second award for the same purpose in the same
    term, whichever school or project it comes from (多头资助).
    """

    project = models.ForeignKey(AidProject, on_delete=models.PROTECT, related_name="awards")
    student = models.ForeignKey(
        "mentoring.Student", on_delete=models.PROTECT, related_name="awards"
    )
    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="awards")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(
        _("status"), max_length=20, choices=AwardStatus.choices, default=AwardStatus.AWARDED
    )
    purpose = models.CharField(_("purpose"), max_length=100)
    term_code = models.CharField(_("term"), max_length=20)
    student_id_hash = models.CharField(max_length=64)
    reason = models.TextField(_("reason"), blank=True)
    # The allocation that made it (None for an award made by hand).
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="awards"
    )
    # Set by the daily check when the award was not paid in time.
    late_since = models.DateField(_("late since"), null=True, blank=True)
    # A cancellation is a correction by a district administrator: who, when and why.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="award_positive"),
            models.UniqueConstraint(
                fields=["student_id_hash", "purpose", "term_code"],
                condition=~Q(status="cancelled"),
                name="award_one_per_purpose_and_term",
            ),
        ]

    def __str__(self):
        return f"{self.project.code} → {self.student_id}: {self.amount_fen} fen"


# An award is paid in at most this many instalments (a school year has twelve months).
MAX_INSTALMENTS = 12


class AwardInstalment(models.Model):
    """One planned payment of an award; an award's plan sums exactly to its amount.

    A disbursement pays one planned instalment, for exactly its amount, once
    (donations.services.disbursements.disbursement_pay); the database refuses
    payments that would take an award past its amount (migration 0011).
    """

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="plan")
    number = models.PositiveSmallIntegerField(_("instalment"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        ordering = ["award", "number"]
        verbose_name = _("award instalment")
        verbose_name_plural = _("award instalments")
        constraints = [
            models.UniqueConstraint(fields=["award", "number"], name="award_instalment_unique"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=MAX_INSTALMENTS),
                name="award_instalment_number_in_range",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="award_instalment_positive"),
        ]

    def __str__(self):
        return f"{self.award_id}#{self.number}: {self.amount_fen} fen"


class AidRefusal(models.Model):
    """A refused attempt to aid a student twice for one purpose in a term (多头资助).

    Kept so that the term report can say how many were refused, and where.
    """

    project = models.ForeignKey(AidProject, on_delete=models.PROTECT, related_name="refusals")
    term = models.ForeignKey("mentoring.Term", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("mentoring.Student", on_delete=models.PROTECT, related_name="+")
    other_award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="+")
    # "manual" (an award asked for by hand) or "allocation".
    via = models.CharField(_("via"), max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("duplicate aid refused")
        verbose_name_plural = _("duplicate aid refused")

    def __str__(self):
        return f"{self.project.code} → {self.student_id} (award #{self.other_award_id})"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer to the guardian's account")
    CASH = "cash", _("Cash against the signatures of student and guardian")


class Disbursement(models.Model):
    """One payment of a planned award instalment; the database allows one standing per instalment.

    A payment stands until it is reversed (`reversal` set); the award's
    standing payments never add up to more than the award.
    """

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="disbursements")
    instalment = models.PositiveSmallIntegerField(_("instalment"), default=1)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    paid_on = models.DateField(_("paid on"))
    # Bank transfers: the bank's reference; cash: both signatures were taken.
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    signed_by_student = models.BooleanField(_("signed by the student"), default=False)
    signed_by_guardian = models.BooleanField(_("signed by the guardian"), default=False)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="disbursement"
    )
    # A payment made in error is reversed by a ledger entry that names the
    # payment's entry (who and why are on that entry); the row stays, and the
    # instalment can be paid again.
    reversal = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_disbursement",
    )
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [
            models.UniqueConstraint(
                fields=["award", "instalment"],
                condition=Q(reversal__isnull=True),
                name="disbursement_once_per_instalment",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="disbursement_positive"),
            models.CheckConstraint(
                condition=Q(method="bank_transfer", bank_reference__gt="")
                | Q(method="cash", signed_by_student=True, signed_by_guardian=True),
                name="disbursement_has_proof",
            ),
        ]

    def __str__(self):
        return f"{self.award_id}#{self.instalment}: {self.amount_fen} fen"


class ItemKind(models.Model):
    """A kind of donated item held in stock in a district: books, stationery, clothes."""

    district = models.ForeignKey(
        "mentoring.District", on_delete=models.PROTECT, related_name="item_kinds"
    )
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20)
    # Kept equal to the sum of the stock movements, never below zero.
    stock = models.PositiveIntegerField(_("in stock"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["district", "name"]
        verbose_name = _("item kind")
        verbose_name_plural = _("item kinds")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="item_kind_unique_name"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="item_stock_not_negative"),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class ItemDonation(models.Model):
    """Items received from a donor, into stock."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="item_donations")
    item_kind = models.ForeignKey(ItemKind, on_delete=models.PROTECT, related_name="donations")
    quantity = models.PositiveIntegerField(_("quantity"))
    # Estimated value of the whole donation, for reports.
    value_fen = models.BigIntegerField(_("estimated value (fen)"), default=0)
    received_on = models.DateField(_("received on"))
    # The item pledge these items honour, if any.
    pledge = models.ForeignKey(
        "Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="item_donations"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("item donation")
        verbose_name_plural = _("item donations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_donation_positive"),
            models.CheckConstraint(condition=Q(value_fen__gte=0), name="item_value_not_negative"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item_kind}"


class ItemDistribution(models.Model):
    """Items given to a student against the signatures of student and guardian."""

    item_kind = models.ForeignKey(ItemKind, on_delete=models.PROTECT, related_name="distributions")
    student = models.ForeignKey(
        "mentoring.Student", on_delete=models.PROTECT, related_name="item_distributions"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    given_on = models.DateField(_("given on"))
    signed_by_student = models.BooleanField(_("signed by the student"))
    signed_by_guardian = models.BooleanField(_("signed by the guardian"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("item distribution")
        verbose_name_plural = _("item distributions")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_distribution_positive"),
            models.CheckConstraint(
                condition=Q(signed_by_student=True, signed_by_guardian=True),
                name="item_distribution_signed",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.item_kind} → {self.student_id}"


class PledgeKind(models.TextChoices):
    MONEY = "money", _("Money")
    ITEMS = "items", _("Items")


class PledgeSchedule(models.TextChoices):
    ONCE = "once", _("Once")
    PER_TERM = "per_term", _("Every term")
    INSTALMENTS = "instalments", _("In instalments")


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    OVERDUE = "overdue", _("Overdue")


class Pledge(models.Model):
    """A donor's promise of money or items, to a project or to a purpose, due in instalments."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="pledges")
    kind = models.CharField(_("kind"), max_length=10, choices=PledgeKind.choices)
    project = models.ForeignKey(
        AidProject, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges"
    )
    # What the gift is for when it names no project, e.g. "36 poor students per term".
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    schedule = models.CharField(_("schedule"), max_length=20, choices=PledgeSchedule.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.PLEDGED
    )
    # Items pledged: what, in which unit, and their estimated value per unit.
    item_name = models.CharField(_("item"), max_length=100, blank=True)
    item_unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_value_fen = models.BigIntegerField(_("estimated value per unit (fen)"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False) | ~Q(purpose=""), name="pledge_has_a_target"
            ),
            models.CheckConstraint(
                condition=Q(unit_value_fen__gte=0), name="pledge_unit_value_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.donor}: {self.get_kind_display()} ({self.get_status_display()})"


class PledgeInstalment(models.Model):
    """What a pledge promises by one due date: fen for money, a count for items."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="instalments")
    due_on = models.DateField(_("due on"))
    amount = models.BigIntegerField(_("amount (fen, or items)"))

    class Meta:
        ordering = ["pledge", "due_on", "pk"]
        verbose_name = _("pledge instalment")
        verbose_name_plural = _("pledge instalments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
            models.UniqueConstraint(fields=["pledge", "due_on"], name="instalment_one_per_day"),
        ]

    def __str__(self):
        return f"{self.due_on}: {self.amount}"
