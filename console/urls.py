"""The administrators' console, included under /console/ by config.urls."""

from django.urls import include, path

from console import aid, applications, home, identification, matching, reports, roster, weekly
from console import guardian_accounts as account_pages
from core.pages import SignOutView

app_name = "console"

urlpatterns = [
    path("", home.home, name="home"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("identification/", identification.queue, name="identification"),
    # Starting identification: government lists, applications and codes (console.applications).
    path("identification/start/", applications.start, name="identification-start"),
    path(
        "identification/start/government-list/",
        applications.government_list_upload,
        name="start-government-list",
    ),
    path("identification/start/record/", applications.record, name="start-record"),
    path(
        "identification/start/applications/<int:application_id>/confirm/",
        applications.confirm,
        name="start-confirm",
    ),
    path(
        "identification/start/applications/<int:application_id>/decline/",
        applications.decline,
        name="start-decline",
    ),
    path("identification/start/codes/", applications.code_open, name="start-code-open"),
    path(
        "identification/start/codes/<int:code_id>/close/",
        applications.code_close,
        name="start-code-close",
    ),
    path(
        "identification/objections/<int:objection_id>/answer/",
        identification.answer,
        name="objection-answer",
    ),
    *[
        path(
            f"identification/<int:assessment_id>/{action}/",
            identification.act,
            {"action": action},
            name=f"assessment-{action}",
        )
        for action in ("review", "publicize", "approve", "reject")
    ],
    # The steps that rest on a record, and the committees that decide (issue 17).
    path("identification/", include("console.urls_identification_steps")),
    path("roster/", roster.roster, name="roster"),
    path("matching/", matching.runs, name="matching"),
    path("matching/<int:run_id>/", matching.run, name="match-run"),
    path("matching/<int:run_id>/approve/", matching.approve, name="match-run-approve"),
    path("aid/", aid.projects, name="aid"),
    path("aid/<int:project_id>/", aid.project, name="aid-project"),
    path("aid/<int:project_id>/allocate/", aid.allocate_project, name="aid-allocate"),
    path("aid/awards/<int:award_id>/pay/", aid.pay, name="aid-pay"),
    path(
        "aid/awards/<int:award_id>/guardian-account/",
        account_pages.guardian_account,
        name="aid-guardian-account",
    ),
    path("matching/<int:run_id>/pairs/add/", matching.pair_add, name="match-pair-add"),
    # A proposed pair names its run.
    *[
        path(f"matching/pairs/<int:proposal_id>/{action}/", view, name=f"match-pair-{action}")
        for action, view in (("change", matching.pair_change), ("remove", matching.pair_remove))
    ],
    path("weekly/", weekly.weekly, name="weekly"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<int:report_id>/", reports.report, name="report"),
    path("reports/<int:report_id>/export/", reports.report_export, name="report-export"),
]
