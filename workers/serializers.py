from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import JobSerializer, QuerySerializer, StrictSerializer
from mentoring.apis.codes import district_field, school_field, term_field
from workers.models import Report
from workers.report_files import FORMATS, LANGUAGES


class ComplianceCheckSerializer(StrictSerializer):
    term = term_field()
    whole_term = serializers.BooleanField(
        default=False,
        help_text=_(
            "Recompute every week of the term (slower), not only the weeks since the last check."
        ),
    )


class ReportCreateSerializer(StrictSerializer):
    """A term's report (`term`) or a school year's (`school_year`, both its terms added up)."""

    term = term_field(required=False)
    school_year = serializers.RegexField(
        r"^\d{4}-\d{4}$",
        required=False,
        help_text=_("The school year of a year report, as its terms name it: 2026-2027."),
    )
    school = school_field(required=False)
    district = district_field(required=False)

    def validate(self, attrs):
        problems = {}
        if ("term" in attrs) == ("school_year" in attrs):
            problems["term"] = [_("Give either a term or a school year.")]
        if ("school" in attrs) == ("district" in attrs):
            problems["school"] = [_("Give either a school or a district.")]
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    """A version of a term report; `data` holds the figures as the reader may see them."""

    # A year report has no term but its school year (blank for a term report).
    term = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(read_only=True)
    # Each may be null in the row (a district's report has no school): the schema says so.
    school = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    built_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    job = JobSerializer(read_only=True, allow_null=True)
    data = serializers.SerializerMethodField()
    totals_only = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "term",
            "school_year",
            "scope",
            "district",
            "district_id",
            "school",
            "version",
            "status",
            "error",
            "built_by",
            "created_at",
            "built_at",
            "sources",
            "job",
            "totals_only",
            "data",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_totals_only(self, report) -> bool:
        return self.context["reader"].totals_only(report)

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_data(self, report):
        if not self.context.get("with_data", True):
            return None
        return self.context["reader"].data(report)


class ReportExportQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=list(FORMATS), default="html")
    lang = serializers.ChoiceField(choices=list(LANGUAGES), required=False)
    # The records behind the problems are in the XLSX and CSV; on the page and the PDF
    # only as an annex the administrator asks for.
    annex = serializers.BooleanField(
        default=False, help_text=_("Print the records behind the problems as an annex.")
    )
