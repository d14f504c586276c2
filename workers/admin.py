from django.contrib import admin

from mentoring.admin import ScopedAdmin
from workers.models import Job, MatchRun, ProposedPair, Report


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    """Jobs are written by their tasks only; here they are read."""

    superuser_only_writes = True
    list_display = ["id", "kind", "status", "progress", "school", "started_by", "created_at"]
    list_filter = ["kind", "status", "school"]
    search_fields = ["error"]
    readonly_fields = [field.name for field in Job._meta.fields]


class ProposedPairInline(admin.TabularInline):
    model = ProposedPair
    extra = 0
    can_delete = False
    fields = ["pairing", "cost", "reasons", "by_hand"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MatchRun)
class MatchRunAdmin(ScopedAdmin):
    """A run, its weights, summary and proposal with the reasons for each pair.

    Changes go through the API, where the rules are checked again.
    """

    school_path = "schools"
    superuser_only_writes = True
    list_display = ["id", "term", "kinds", "status", "created_by", "created_at", "approved_at"]
    list_filter = ["status", "term"]
    readonly_fields = [
        "term",
        "kinds",
        "status",
        "weights",
        "rules",
        "summary",
        "job",
        "created_by",
        "approved_by",
        "approved_at",
    ]
    exclude = ["packed_inputs", "schools"]
    inlines = [ProposedPairInline]


@admin.register(Report)
class ReportAdmin(ScopedAdmin):
    """Versions of term reports, read only: a version is written once, by its job.

    School administrators see their schools' reports here; district reports
    are read through the API, which checks the whole district.
    """

    superuser_only_writes = True
    list_display = ["id", "term", "scope", "district", "school", "version", "status", "built_at"]
    list_filter = ["status", "scope", "term"]
    readonly_fields = [field.name for field in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
