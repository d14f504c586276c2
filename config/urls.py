from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from config.api import healthz
from config.docs import SwaggerView
from donations.apis.archive import StudentArchiveView
from donations.apis.awards import AwardViewSet
from donations.apis.committee_reviews import CommitteeReviewViewSet
from donations.apis.contributions import ContributionViewSet
from donations.apis.disbursements import DisbursementViewSet
from donations.apis.donors import DonorViewSet
from donations.apis.funds import FundAccountViewSet, LedgerViewSet
from donations.apis.items import ItemDistributionViewSet, ItemDonationViewSet
from donations.apis.list_exports import AwardListExportView, PaymentListExportView
from donations.apis.payment_batches import PaymentBatchViewSet
from donations.apis.pledges import PledgeViewSet
from donations.apis.projects import ProjectViewSet
from donations.apis.public import PublicDonationNotice
from donations.web.archive import student_archive
from mentoring.apis.access_log import AccessLogViewSet
from mentoring.apis.accounts import MeView, UserViewSet
from mentoring.apis.applications import ApplicationCodeViewSet, ApplicationViewSet
from mentoring.apis.assessments import AssessmentViewSet
from mentoring.apis.committees import VillageCommitteeViewSet
from mentoring.apis.compliance import ComplianceViewSet
from mentoring.apis.districts import DistrictViewSet
from mentoring.apis.guardian_accounts import GuardianAccountView
from mentoring.apis.list_exports import (
    ApprovedListExportView,
    NoticeSheetExportView,
    RosterExportView,
)
from mentoring.apis.match_runs import MatchRunViewSet
from mentoring.apis.mentors import MentorViewSet
from mentoring.apis.notifications import NotificationViewSet
from mentoring.apis.pairings import PairingViewSet
from mentoring.apis.public import PublicNoticeList
from mentoring.apis.review_committees import AssessmentStepViewSet, ReviewCommitteeViewSet
from mentoring.apis.roster import RosterImportView, RosterTemplateView
from mentoring.apis.schools import SchoolViewSet, TermViewSet
from mentoring.apis.scores import SubjectScoreViewSet
from mentoring.apis.sessions import TutoringSessionViewSet
from mentoring.apis.students import StudentViewSet
from mentoring.apis.tokens import LogoutView, TokenObtainView, TokenRefreshView
from mentoring.apis.upward_roster import UpwardRosterView
from mentoring.apis.visit_plans import VisitPlanEntryViewSet, VisitPlanViewSet
from mentoring.web.public import public_notices
from mentoring.web.start import start
from oversight.apis import ComplaintViewSet, MeetingViewSet, MemberViewSet, SuggestionViewSet
from workers.api import ComplianceCheckView, JobViewSet, ReportViewSet

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("assessments", AssessmentViewSet, basename="assessment")
# The steps resting on an investigation or a committee's decision, beside the workflow's own.
router.register("assessments", AssessmentStepViewSet, basename="assessment-step")
router.register("applications", ApplicationViewSet, basename="application")
router.register("application-codes", ApplicationCodeViewSet, basename="application-code")
router.register("review-committees", ReviewCommitteeViewSet, basename="review-committee")
router.register("districts", DistrictViewSet, basename="district")
router.register("schools", SchoolViewSet, basename="school")
router.register("terms", TermViewSet, basename="term")
router.register("students", StudentViewSet, basename="student")
router.register("mentors", MentorViewSet, basename="mentor")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("sessions", TutoringSessionViewSet, basename="session")
router.register("scores", SubjectScoreViewSet, basename="score")
router.register("donors", DonorViewSet, basename="donor")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("contributions", ContributionViewSet, basename="contribution")
router.register("awards", AwardViewSet, basename="award")
router.register("disbursements", DisbursementViewSet, basename="disbursement")
router.register("payment-batches", PaymentBatchViewSet, basename="payment-batch")
router.register("item-donations", ItemDonationViewSet, basename="item-donation")
router.register("item-distributions", ItemDistributionViewSet, basename="item-distribution")
router.register("projects", ProjectViewSet, basename="project")
router.register("fund-accounts", FundAccountViewSet, basename="fund-account")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("jobs", JobViewSet, basename="job")
router.register("match-runs", MatchRunViewSet, basename="match-run")
router.register("compliance", ComplianceViewSet, basename="compliance")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("reports", ReportViewSet, basename="report")
router.register("access-log", AccessLogViewSet, basename="access-log")
router.register("supervision-members", MemberViewSet, basename="supervision-member")
router.register("supervision-meetings", MeetingViewSet, basename="supervision-meeting")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("visit-plans", VisitPlanViewSet, basename="visit-plan")
router.register("visit-plan-entries", VisitPlanEntryViewSet, basename="visit-plan-entry")
router.register("village-committees", VillageCommitteeViewSet, basename="village-committee")
router.register("committee-reviews", CommitteeReviewViewSet, basename="committee-review")

api_v1 = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("me/", MeView.as_view(), name="me"),
    path("public/notices/", PublicNoticeList.as_view(), name="public-notices"),
    path("public/donations/", PublicDonationNotice.as_view(), name="public-donations"),
    path("students/import/", RosterImportView.as_view(), name="student-import"),
    path("students/import/template/", RosterTemplateView.as_view(), name="student-import-template"),
    # A student's growth archive draws on both apps, so donations serves it
    # (mentoring may not import donations); the id as the router spells it.
    re_path(
        r"^students/(?P<pk>[^/.]+)/archive/$", StudentArchiveView.as_view(), name="student-archive"
    ),
    re_path(
        r"^students/(?P<pk>[^/.]+)/guardian-account/$",
        GuardianAccountView.as_view(),
        name="student-guardian-account",
    ),
    path("rosters/upward/", UpwardRosterView.as_view(), name="upward-roster"),
    # The lists as files (issue 16): before the router, whose detail routes would read
    # "approved" or "export" as an id.
    path(
        "assessments/approved/export/",
        ApprovedListExportView.as_view(),
        name="approved-list-export",
    ),
    path("assessments/notice/export/", NoticeSheetExportView.as_view(), name="notice-export"),
    path("students/export/", RosterExportView.as_view(), name="roster-export"),
    path("awards/export/", AwardListExportView.as_view(), name="award-list-export"),
    path("disbursements/export/", PaymentListExportView.as_view(), name="payment-list-export"),
    path("compliance/check/", ComplianceCheckView.as_view(), name="compliance-check"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", start, name="start"),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The printable growth archive: under the teacher's pages, served by donations (see api_v1).
    path(
        "teacher/students/<int:student_id>/archive/", student_archive, name="student-archive-page"
    ),
    path("teacher/", include("mentoring.web.urls")),
    path("donor/", include("donations.web.donor_urls")),
    path("supervisor/", include("console.urls_supervisor")),
    path("console/", include("console.urls")),
    path("apply/", include("mentoring.web.apply_urls")),
    # The public notice as a page, for people (the API's `public/notices/` is for programs).
    path("public/notices/", public_notices, name="public-notices-page"),
]

handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"
