from django.contrib import admin

from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    Contribution,
    Disbursement,
    Donor,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    ItemKind,
    LedgerEntry,
    Pledge,
    PledgeInstalment,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
)
from mentoring.admin import ScopedAdmin


class ProjectFundingInline(admin.TabularInline):
    model = ProjectFunding
    extra = 0


class ProjectStandardInline(admin.TabularInline):
    model = ProjectStandard
    extra = 0


class ProjectQuotaInline(admin.TabularInline):
    model = ProjectQuota
    extra = 0
    raw_id_fields = ["school"]


@admin.register(AidProject)
class AidProjectAdmin(ScopedAdmin):
    school_path = "district__schools"
    superuser_only_writes = True
    list_display = ["code", "name", "district", "source", "purpose", "boarding", "gender"]
    list_filter = ["source", "district"]
    search_fields = ["code", "name", "purpose"]
    inlines = [ProjectFundingInline, ProjectStandardInline, ProjectQuotaInline]


class ReadOnlyAdmin(ScopedAdmin):
    """Money moves only through the services, each movement a ledger row.

    The ledger is its own history, so these use Django's plain history page.
    """

    history_view = admin.ModelAdmin.history_view
    object_history_template = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyAdmin):
    school_path = "project__district__schools"
    list_display = ["project", "balance_fen", "updated_at"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    school_path = "account__project__district__schools"
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
class DonorAdmin(ScopedAdmin):
    school_path = "district__schools"
    list_display = ["name", "kind", "district", "anonymous"]
    list_filter = ["kind", "anonymous", "district"]
    search_fields = ["name"]


@admin.register(Contribution)
class ContributionAdmin(ScopedAdmin):
    """Read-only: a contribution reaches the ledger only through its posting job."""

    school_path = "project__district__schools"
    superuser_only_writes = True
    list_display = ["receipt_number", "donor", "project", "amount_fen", "received_on", "status"]
    list_filter = ["status", "project"]
    search_fields = ["receipt_number", "donor__name"]
    readonly_fields = ["status", "receipt_number", "ledger_entry", "posted_at"]


@admin.register(Award)
class AwardAdmin(ScopedAdmin):
    """Read-only: awards are made and paid through the API, where the rules hold."""

    school_path = "student__school"
    superuser_only_writes = True
    list_display = ["id", "project", "student", "term", "amount_fen", "status"]
    list_filter = ["status", "project", "term"]
    search_fields = ["student__name", "student__student_number"]
    exclude = ["student_id_hash"]


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    school_path = "award__student__school"
    list_display = ["id", "award", "instalment", "amount_fen", "method", "paid_on", "paid_by"]
    list_filter = ["method", "paid_on"]

    history_view = ScopedAdmin.history_view
    object_history_template = ScopedAdmin.object_history_template


@admin.register(ItemKind)
class ItemKindAdmin(ScopedAdmin):
    school_path = "district__schools"
    superuser_only_writes = True
    list_display = ["name", "unit", "stock", "district"]
    readonly_fields = ["stock"]


@admin.register(ItemDonation)
class ItemDonationAdmin(ScopedAdmin):
    school_path = "item_kind__district__schools"
    superuser_only_writes = True
    list_display = ["item_kind", "quantity", "donor", "value_fen", "received_on"]


@admin.register(ItemDistribution)
class ItemDistributionAdmin(ScopedAdmin):
    school_path = "student__school"
    superuser_only_writes = True
    list_display = ["item_kind", "quantity", "student", "given_on"]


class PledgeInstalmentInline(admin.TabularInline):
    model = PledgeInstalment
    extra = 0


@admin.register(Pledge)
class PledgeAdmin(ScopedAdmin):
    school_path = "donor__district__schools"
    superuser_only_writes = True
    list_display = ["id", "donor", "kind", "project", "purpose", "schedule", "status"]
    list_filter = ["kind", "schedule", "status"]
    search_fields = ["donor__name", "purpose"]
    inlines = [PledgeInstalmentInline]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    """Allocations are run through the API; here they are read, with who was left out and why."""

    school_path = "project__district__schools"
    list_display = ["id", "project", "term", "awarded", "amount_fen", "created_by", "created_at"]
    list_filter = ["project", "term"]


@admin.register(AidRefusal)
class AidRefusalAdmin(ReadOnlyAdmin):
    school_path = "student__school"
    list_display = ["id", "project", "term", "student", "other_award", "via", "by", "at"]
    list_filter = ["via", "project", "term"]
