"""/api/v1/students/import/ and its template: the roster import for administrators."""

from dataclasses import asdict

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http import XLSX_CONTENT_TYPE
from core.parsers import MultiPartParser
from core.permissions import IsAdministrator
from core.serializers import QuerySerializer, StrictSerializer
from mentoring.apis.codes import school_field, term_field
from mentoring.models import Term
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services import roster as services
from mentoring.services import roster_template as template


class RosterImportSerializer(StrictSerializer):
    file = serializers.FileField(help_text=_("The roster, .xlsx or .csv (UTF-8 or GB18030)."))
    term = term_field()
    school = school_field(
        required=False,
        allow_null=True,
        help_text=_("The school of every row; may be left out when the file has 学校代码."),
    )
    dry_run = serializers.BooleanField(default=False)

    def validate_term(self, value):
        # A term of a district where the user administers no school is
        # answered like one that does not exist.
        administered = schools_administered_by(self.context["request"].user)
        term = (
            Term.objects.filter(pk=value, district__schools__in=administered)
            .select_related("district")
            .distinct()
            .first()
        )
        if term is None:
            raise serializers.ValidationError(
                _("No term of a district you administer has this id.")
            )
        return term

    def validate_school(self, value):
        if value is None:
            return None
        school = schools_administered_by(self.context["request"].user).filter(pk=value).first()
        if school is None:
            raise serializers.ValidationError(_("No school that you administer has this id."))
        return school


class RosterErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Spreadsheet row; the header is row 1."))
    column = serializers.CharField(help_text=_("The Chinese column header."))
    message = serializers.CharField()


class RosterInvalidSerializer(serializers.Serializer):
    """Row errors; a request refused before its rows are read names its fields instead."""

    detail = serializers.CharField(required=False)
    error_count = serializers.IntegerField(required=False)
    errors = RosterErrorSerializer(many=True, required=False)


class RosterImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField(help_text=_("New students (would be, in a dry run)."))
    updated = serializers.IntegerField(help_text=_("Existing students with any change."))
    unchanged = serializers.IntegerField()
    indicators_added = serializers.IntegerField()


class RosterImportView(APIView):
    """Import a roster: every row checked, all or nothing; a dry run writes nothing."""

    permission_classes = [IsAuthenticated, IsAdministrator]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": RosterImportSerializer},
        responses={
            200: RosterImportResultSerializer,
            400: OpenApiResponse(
                RosterInvalidSerializer,
                description=_("Row errors, or a refused file (under `file`); nothing written."),
            ),
        },
    )
    def post(self, request):
        payload = RosterImportSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        upload = data["file"]
        result = services.roster_import(
            by=request.user,
            term=data["term"],
            school=data.get("school"),
            file=upload,
            filename=upload.name,
            size=upload.size,
            dry_run=data["dry_run"],
        )
        return Response(RosterImportResultSerializer(asdict(result)).data)


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """Answers in JSON whatever `?format=` says.

    DRF reads `?format=` to choose a renderer; here it chooses the template's
    file type instead, and the file is a plain HttpResponse.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RosterTemplateQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")


class RosterTemplateView(APIView):
    """The empty roster with its Chinese headers; the XLSX has a 说明 sheet with every rule."""

    permission_classes = [IsAuthenticated, IsAdministrator]
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["xlsx", "csv"], default="xlsx", required=False
            )
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        query = RosterTemplateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["format"] == "csv":
            body, content_type = template.roster_template_csv(), template.CSV_CONTENT_TYPE
        else:
            body, content_type = template.roster_template_xlsx(), XLSX_CONTENT_TYPE
        response = HttpResponse(body, content_type=content_type)
        filename = f"roster-template.{query.validated_data['format']}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
