"""The Django admin of aid, money and donations: read-only, for platform administrators.

Every model here is written by the `donations.services` package (the
one home of their rules: eligibility, duplicate aid, the ledger, stock), so
the admin reads them; who may use it is in `core.admin`. Item kinds are the
exception: no service creates them, so they are added and renamed here,
while their stock moves only through the services.
"""

from django.contrib import admin
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline, RecordAdmin
from core.money_text import yuan_text
from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    CommitteeQuota,
    CommitteeReview,
    Contribution,
    Disbursement,
    Donor,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    ItemKind,
    LedgerEntry,
    PaymentBatch,
    PaymentBatchRow,
    Pledge,
    PledgeInstalment,
    PledgeKind,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
    ProjectTierShare,
)
from mentoring.admin_access import RecordsStudentAccessAdmin


class ProjectFundingInline(ReadOnlyInline, admin.TabularInline):
    model = ProjectFunding


class ProjectStandardInline(ReadOnlyInline, admin.TabularInline):
    model = ProjectStandard


class ProjectQuotaInline(ReadOnlyInline, admin.TabularInline):
    model = ProjectQuota


class CommitteeQuotaInline(ReadOnlyInline, admin.TabularInline):
    """The places per village committee, written through the projects API."""

    model = CommitteeQuota


class ProjectTierShareInline(ReadOnlyInline, admin.TabularInline):
    """The share of places per tier, written through the projects API (its checks live there)."""

    model = ProjectTierShare


@admin.register(AidProject)
class AidProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "district", "source", "purpose", "boarding", "gender"]
    list_filter = ["source", "district"]
    search_fields = ["code", "name", "purpose"]
    inlines = [
        ProjectFundingInline,
        ProjectStandardInline,
        ProjectQuotaInline,
        ProjectTierShareInline,
        CommitteeQuotaInline,
    ]


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyAdmin):
    """The ledger is its own history: each movement of money is a row of it."""

    list_display = ["project", "balance_fen", "updated_at"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "kind",
        "amount_fen",
        "balance_after_fen",
        "memo",
        "created_at",
    ]
    list_filter = ["kind", "account__project"]
    search_fields = ["memo"]


@admin.register(Donor)
class DonorAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "district", "anonymous"]
    list_filter = ["kind", "anonymous", "district"]
    search_fields = ["name"]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "donor", "project", "amount_fen", "received_on", "status"]
    list_filter = ["status", "project"]
    search_fields = ["receipt_number", "donor__name"]


@admin.register(Award)
class AwardAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["id", "project", "student", "term", "amount_fen", "status"]
    list_filter = ["status", "project", "term"]
    search_fields = ["student__name", "student__student_number"]
    # `term_code` and `purpose` are copies kept for the database's duplicate-aid
    # constraint: the term is shown once, and the purpose (a district's key,
    # with no names of its own) with the project whose purpose it is.
    exclude = ["student_id_hash", "term_code", "purpose"]
    readonly_fields = ["purpose_of_project"]

    @admin.display(description=_("purpose"))
    def purpose_of_project(self, award):
        return format_lazy(
            _("{purpose} (the purpose of {project})"),
            purpose=award.purpose,
            project=award.project.name,
        )


@admin.register(Disbursement)
class DisbursementAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    access_student_lookup = "award__student"
    list_display = ["id", "award", "instalment", "amount_fen", "method", "paid_on", "paid_by"]
    list_filter = ["method", "paid_on"]


@admin.register(ItemKind)
class ItemKindAdmin(RecordAdmin):
    list_display = ["name", "unit", "stock", "district"]

    def get_readonly_fields(self, request, obj=None):
        # Stock moves with each donation and distribution, in their services;
        # a kind stays in the district whose stock it counts.
        return ["stock"] if obj is None else ["stock", "district"]


@admin.register(ItemDonation)
class ItemDonationAdmin(ReadOnlyAdmin):
    list_display = ["item_kind", "quantity", "donor", "value_fen", "received_on"]


@admin.register(ItemDistribution)
class ItemDistributionAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["item_kind", "quantity", "student", "given_on"]


class PledgeInstalmentInline(ReadOnlyInline, admin.TabularInline):
    model = PledgeInstalment
    fields = ["due_on", "amount_promised"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Each row's name reads its pledge's kind (yuan or items).
        return super().get_queryset(request).select_related("pledge")

    @admin.display(description=_("amount (yuan, or items)"))
    def amount_promised(self, instalment):
        # Fen for a pledge of money, a count for one of items.
        if instalment.pledge.kind == PledgeKind.MONEY:
            return yuan_text(instalment.amount)
        return instalment.amount


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["id", "donor", "kind", "project", "purpose", "schedule", "status"]
    list_filter = ["kind", "schedule", "status"]
    search_fields = ["donor__name", "purpose"]
    inlines = [PledgeInstalmentInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    """Allocations are run through the API; here they are read, with who was left out and why."""

    list_display = ["id", "project", "term", "awarded", "amount_fen", "created_by", "created_at"]
    list_filter = ["project", "term"]


@admin.register(AidRefusal)
class AidRefusalAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["id", "project", "term", "student", "other_award", "via", "by", "at"]
    list_filter = ["via", "project", "term"]


@admin.register(CommitteeReview)
class CommitteeReviewAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    """Read only: reviews and approvals go through `donations.services.committee_reviews`."""

    access_student_lookup = "award__student"
    list_display = ["award", "committee", "state", "decision", "reviewed_on", "approved_at"]
    list_filter = ["state", "decision", "committee"]


class PaymentBatchRowInline(ReadOnlyInline, admin.TabularInline):
    """The batch's rows: the account number masked; the encrypted one never shows."""

    model = PaymentBatchRow
    fields = [
        "number",
        "award",
        "instalment",
        "amount_fen",
        "holder_name",
        "bank_name",
        "number_masked",
        "status",
        "reason",
        "disbursement",
    ]
    raw_id_fields = ["award", "disbursement"]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    """Read only: batches are made, exported and paid through `donations.services.payment_batches`.

    Its pages name the students of its rows, so each read is logged with them.
    """

    access_student_lookup = "rows__award__student"
    list_display = ["id", "project", "term", "school", "method", "created_at", "exported_at"]
    list_filter = ["method", "project", "term"]
    list_select_related = ["project", "term", "school"]
    search_fields = ["school__name", "project__code"]
    inlines = [PaymentBatchRowInline]
