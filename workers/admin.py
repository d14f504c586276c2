"""The Django admin of jobs, match runs and term reports: read-only, for platform administrators.

Jobs are written by their tasks, match runs by `mentoring.services.match_runs` and
reports by `workers.reports`, the one home of their rules; who may use the
admin is in `core.admin`. None of these keeps simple-history rows, so their
history page is Django's own log.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from mentoring.admin_access import RecordsStudentAccessAdmin
from mentoring.models import MatchRun, PairingKind, ProposedPair
from workers.models import Job, Report


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "progress", "school", "started_by", "created_at"]
    list_filter = ["kind", "status", "school"]
    search_fields = ["error"]


class ProposedPairInline(ReadOnlyInline, admin.TabularInline):
    model = ProposedPair
    fields = ["pairing", "cost", "reasons", "by_hand"]
    readonly_fields = fields


@admin.register(MatchRun)
class MatchRunAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    # Its page lists the proposal: every proposed pair's student is shown.
    access_student_lookup = "proposed_pairs__pairing__student"
    """A run, its weights, summary and proposal with the reasons for each pair."""

    list_display = ["id", "term", "kind_names", "status", "created_by", "created_at", "approved_at"]
    list_filter = ["status", "term"]
    inlines = [ProposedPairInline]

    @admin.display(description=_("kinds"))
    def kind_names(self, run):
        # The kinds by their names (学业辅导), not the stored list (["academic"]).
        return " + ".join(str(PairingKind(kind).label) for kind in run.kinds)


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Versions of term reports: a version is written once, by its job."""

    list_display = [
        "id",
        "term",
        "school_year",
        "scope",
        "district",
        "school",
        "version",
        "status",
        "built_at",
    ]
    list_filter = ["status", "scope", "school_year", "term"]
