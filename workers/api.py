import django_filters
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import validated_data
from core.http import XLSX_CONTENT_TYPE
from core.permissions import IsAdministrator
from mentoring.apis.codes import district_filter, school_filter, term_filter
from mentoring.apis.roster import IgnoreFormatNegotiation
from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request
from workers import reports
from workers.jobs import weekly_check_start
from workers.models import (
    Job,
    JobKind,
    JobStatus,
    Report,
    ReportScope,
    ReportStatus,
)
from workers.report_files import report_file
from workers.selectors import jobs_visible_to
from workers.serializers import (
    ComplianceCheckSerializer,
    JobSerializer,
    ReportCreateSerializer,
    ReportExportQuerySerializer,
    ReportSerializer,
)


class JobFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=JobKind.choices)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["kind", "status"]


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs: status, progress, result and error. Read-only."""

    queryset = Job.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = JobSerializer
    filterset_class = JobFilter

    def get_queryset(self):
        return jobs_visible_to(self.request.user)


class ComplianceCheckView(APIView):
    """Run the weekly check of a term now (202 with its job), for the schools you administer.

    The weeks checked are those ended by today: by default those since each
    pairing's last check, as on Monday; `whole_term` recomputes every week.
    Running it again changes no row and sends no reminder twice.
    """

    permission_classes = [IsAuthenticated, IsAdministrator]

    @extend_schema(request=ComplianceCheckSerializer, responses={202: JobSerializer})
    def post(self, request):
        payload = ComplianceCheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = weekly_check_start(
            by=request.user,
            term_id=payload.validated_data["term"],
            whole_term=payload.validated_data["whole_term"],
        )
        job = jobs_visible_to(request.user).get(pk=job.pk)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ReportFilter(django_filters.FilterSet):
    term = term_filter(field_name="term_id")
    school_year = django_filters.CharFilter(field_name="school_year")
    school = school_filter(field_name="school_id")
    district = district_filter(field_name="district_id")
    scope = django_filters.ChoiceFilter(choices=ReportScope.choices)
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["term", "school_year", "school", "district", "scope", "status"]


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Term reports: POST builds the next version (202, a job); each version is kept as issued.

    POST with `school_year` instead of `term` builds the school year's report:
    its terms' aid and money added up, students aided counted once a year.

    Administrators build and read the reports of their schools, district
    administrators their district's; supervisors read the totals of the
    schools they supervise, without any record behind them. The list leaves
    `data` out; read one report for its figures.
    """

    queryset = Report.objects.none()
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    # `?format=` of the export names the file type, not a DRF renderer.
    content_negotiation_class = IgnoreFormatNegotiation

    def get_queryset(self):
        return reports.reports_visible_to(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["reader"] = reports.ReportReader(self.request.user)
        context["with_data"] = self.action != "list"
        return context

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsAdministrator()]
        return super().get_permissions()

    def retrieve(self, request, *args, **kwargs):
        """One version with its figures; an administrator's lists the records behind them."""
        response = super().retrieve(request, *args, **kwargs)
        details = (response.data.get("data") or {}).get("details")
        if details is not None:
            access_record_request(
                request,
                action=AccessAction.READ,
                kind="report",
                student_ids=reports.details_student_ids(details),
                object_id=response.data["id"],
            )
        return response

    @extend_schema(
        parameters=[ReportExportQuerySerializer],
        responses={
            (200, "text/html"): OpenApiTypes.STR,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The report as a page (HTML, Chinese by default, `lang=en` for English) or a file."""
        report = self.get_object()
        query = ReportExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data["format"]
        language = query.validated_data.get("lang") or translation.get_language() or "zh-hans"
        annex = query.validated_data["annex"]
        exported = report_file(
            report=report,
            user=request.user,
            kind=kind,
            language=language,
            annex=annex,
            nonce=str(request.csp_nonce),
        )
        if exported.student_ids is not None:
            access_record_request(
                request,
                action=AccessAction.EXPORT,
                kind="report",
                student_ids=exported.student_ids,
                object_id=report.pk,
            )
        response = HttpResponse(exported.body, content_type=exported.content_type)
        if exported.filename:
            response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response

    @extend_schema(request=ReportCreateSerializer, responses={202: ReportSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ReportCreateSerializer(data=request.data),
            lambda errors, fields: reports.report_start_problems(
                errors,
                by=request.user,
                term_id=fields.get("term"),
                school_id=fields.get("school"),
                district_id=fields.get("district"),
                school_year=fields.get("school_year"),
            ),
        )
        report = reports.report_start(
            by=request.user,
            term_id=data.get("term"),
            school_year=data.get("school_year"),
            school_id=data.get("school"),
            district_id=data.get("district"),
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)
