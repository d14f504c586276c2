"""`/console/reports/`: build a report, watch its job, read and download each format.

Building calls `report_start`, the service behind the API's POST `reports/`
(the same checks: a term of the administrator's district, a school they
administer or a district each of whose schools they administer); every
problem is shown at once and nothing is started. A version's page shows its
job's progress and reloads itself while it builds (a plain meta refresh, no
script), then links each format, served by `report_file` as the API's
`export/` serves it, with the export recorded in the access log.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError, FieldErrors
from mentoring.models import AccessAction
from mentoring.selectors.accounts import districts_administered_by
from mentoring.services.access_log import access_record_request
from workers.models import ReportStatus
from workers.report_files import FORMATS, report_file
from workers.reports import report_start, reports_visible_to

RECENT = 30
# Seconds between reloads of a version's page while its job runs.
REFRESH_SECONDS = 2


def _scopes(user, schools) -> list[tuple[str, str]]:
    districts = districts_administered_by(user).filter(schools__in=schools).distinct()
    return [
        *[
            (f"district:{d.pk}", _("%(name)s (the whole district)") % {"name": d.name})
            for d in districts
        ],
        *[(f"school:{school.pk}", school.name) for school in schools],
    ]


def _problems(error: DomainError) -> str:
    if isinstance(error, FieldErrors):
        return " ".join(str(message) for found in error.errors.values() for message in found)
    return str(error.message)


@require_http_methods(["GET", "POST"])
@admin_page
def reports(request, schools):
    user = request.user
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    scopes = _scopes(user, schools)
    problem, status = "", 200
    if request.method == "POST":
        term_id = request.POST.get("term", "")
        scope = request.POST.get("scope", "")
        kind, _sep, pk = scope.partition(":")
        bad = []
        if not term_id.isdigit():
            bad.append(_("Choose a term."))
        if kind not in ("school", "district") or not pk.isdigit():
            bad.append(_("Choose a school or a district."))
        if bad:
            problem, status = " ".join(bad), 400
        else:
            try:
                report = report_start(
                    by=user,
                    term_id=int(term_id),
                    school_id=int(pk) if kind == "school" else None,
                    district_id=int(pk) if kind == "district" else None,
                )
            except DomainError as error:
                problem, status = _problems(error), error.status_code
            else:
                messages.success(request, _("A new version of the report was started."))
                return redirect("console:report", report_id=report.pk)
    listed = (
        reports_visible_to(user)
        .select_related("term", "school", "district", "job")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    return render(
        request,
        TEMPLATES + "reports.html",
        {
            "terms": terms,
            "term": term,
            "scopes": scopes,
            "reports": listed,
            "problem": problem,
        },
        status=status,
    )


@require_GET
@admin_page
def report(request, schools, report_id: int):
    chosen = get_object_or_404(
        reports_visible_to(request.user).select_related("term", "school", "district", "job"),
        pk=report_id,
    )
    return _report_page(request, chosen)


def _report_page(request, chosen, *, problem: str = "", status: int = 200):
    building = chosen.status == ReportStatus.BUILDING
    return render(
        request,
        TEMPLATES + "report.html",
        {
            "report": chosen,
            "job": chosen.job,
            "building": building,
            "refresh": REFRESH_SECONDS if building else None,
            "formats": FORMATS if chosen.status == ReportStatus.ISSUED else (),
            "problem": problem,
        },
        status=status,
    )


@require_GET
@admin_page
def report_export(request, schools, report_id: int):
    chosen = get_object_or_404(
        reports_visible_to(request.user).select_related("term", "school", "district"),
        pk=report_id,
    )
    kind = request.GET.get("format", "html")
    if kind not in FORMATS:
        raise Http404
    language = request.GET.get("lang") or translation.get_language() or "zh-hans"
    try:
        exported = report_file(
            report=chosen,
            user=request.user,
            kind=kind,
            language=language,
            nonce=str(request.csp_nonce),
        )
    except DomainError as error:
        if error.status_code == 400:
            # A bad parameter (an unknown `lang`): said on the version's page, nothing recorded.
            return _report_page(request, chosen, problem=str(error.message), status=400)
        messages.error(request, str(error.message))
        return redirect(reverse("console:report", args=[chosen.pk]))
    if exported.student_ids is not None:
        access_record_request(
            request,
            action=AccessAction.EXPORT,
            kind="report",
            student_ids=exported.student_ids,
            object_id=chosen.pk,
        )
    response = HttpResponse(exported.body, content_type=exported.content_type)
    if exported.filename:
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
