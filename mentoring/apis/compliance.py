"""/api/v1/compliance/: the weekly check's rows, and the figures per school and mentor.

Rows are read by administrators (their schools) and by mentors (their own
pairings); supervisors read `compliance/summary/` only, donors neither. The
check itself is started at `compliance/check/` (workers.api).

`compliance/summary/` is `term_tutoring_summary`, as the console's weekly and
supervisor's pages: the weeks met and the streaks are the weekly check's, the
sessions, minutes and home visits the term's (the term report's count), so
that the API, the pages and the report give one figure.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.codes import SCHEMA as CODE_OR_ID
from core.filters import NumberFilter
from core.serializers import QuerySerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_field, school_filter, term_field, term_filter
from mentoring.apis.pairings import ReadsMentoringRecords
from mentoring.models import WeeklyCompliance
from mentoring.school_weeks import parse_week, week_label
from mentoring.selectors import compliance as selectors
from mentoring.selectors.tutoring import term_tutoring_summary


class ComplianceSerializer(serializers.ModelSerializer):
    week = serializers.SerializerMethodField()
    student = serializers.IntegerField(source="pairing.student_id", read_only=True)
    student_name = serializers.CharField(source="pairing.student.name", read_only=True)
    mentor_name = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyCompliance
        fields = [
            "id",
            "pairing",
            "term",
            "school",
            "mentor",
            "mentor_name",
            "student",
            "student_name",
            "week",
            "week_start",
            "iso_year",
            "iso_week",
            "sessions",
            "minutes",
            "home_visits",
            "target_sessions",
            "met",
            "missed_streak",
            "checked_at",
        ]
        read_only_fields = fields

    def get_week(self, row) -> str:
        return week_label(row.week_start)

    def get_mentor_name(self, row) -> str:
        user = row.mentor.user
        return user.display_name


BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class ComplianceFilter(django_filters.FilterSet):
    term = term_filter()
    school = school_filter()
    mentor = NumberFilter()
    pairing = NumberFilter()
    week = django_filters.CharFilter(
        method="filter_week", help_text=_("An ISO week such as 2026-W40, or a date inside it.")
    )
    met = django_filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method="filter_met")

    class Meta:
        model = WeeklyCompliance
        fields = ["term", "school", "mentor", "pairing", "week", "met"]

    def filter_week(self, queryset, name, value):
        try:
            monday = parse_week(value)
        except ValueError:
            raise serializers.ValidationError(
                {"week": [_("Give an ISO week such as 2026-W40, or a date.")]}
            ) from None
        return queryset.filter(week_start=monday)

    def filter_met(self, queryset, name, value):
        return queryset.filter(met=value == "true")


class ReadsComplianceFigures(BasePermission):
    def has_permission(self, request, view):
        return selectors.may_read_compliance_figures(request.user)


class SummaryQuerySerializer(QuerySerializer):
    term = term_field()
    school = school_field(required=False)


class FiguresSerializer(serializers.Serializer):
    pairings = serializers.IntegerField()
    pair_weeks = serializers.IntegerField()
    pair_weeks_met = serializers.IntegerField()
    met_percent = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    sessions = serializers.IntegerField(
        help_text=_(
            "Every session logged this term for a pairing, academic or care, in any week "
            "(holidays and weeks not yet checked included): the term report's count."
        )
    )
    minutes = serializers.IntegerField(help_text=_("The minutes of those sessions."))
    home_visits = serializers.IntegerField(
        help_text=_("Those of the sessions that are home visits.")
    )
    holiday_sessions = serializers.IntegerField(
        help_text=_(
            "Academic pairings' contact sessions dated in the holiday: they meet no week's "
            "target, and are among the sessions."
        )
    )
    holiday_minutes = serializers.IntegerField()
    holiday_home_visits = serializers.IntegerField()
    students_with_streak = serializers.IntegerField()


class TotalsSerializer(FiguresSerializer):
    party_teachers = serializers.IntegerField()
    party_teachers_with_mentee = serializers.IntegerField()


class SchoolFiguresSerializer(TotalsSerializer):
    school = serializers.IntegerField()
    school_code = serializers.CharField()
    school_name = serializers.CharField()


class MentorFiguresSerializer(FiguresSerializer):
    mentor = serializers.IntegerField()
    mentor_name = serializers.CharField()
    mentor_kind = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    term = serializers.IntegerField()
    term_code = serializers.CharField()
    school = serializers.IntegerField(allow_null=True)
    totals = TotalsSerializer()
    by_school = SchoolFiguresSerializer(many=True)
    by_mentor = MentorFiguresSerializer(many=True)


class ComplianceViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """One row per academic pairing and school week, as the weekly check wrote it.

    Filters: `term`, `school`, `mentor`, `pairing`, `week` (`2026-W40` or a
    date inside the week), `met` (`true` or `false`).
    """

    permission_classes = [IsAuthenticated, ReadsMentoringRecords]
    queryset = WeeklyCompliance.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = ComplianceSerializer
    filterset_class = ComplianceFilter
    access_student = "pairing.student_id"

    def get_queryset(self):
        return (
            selectors.compliance_visible_to(self.request.user)
            .select_related("pairing__student", "mentor__user")
            .order_by("week_start", "school_id", "mentor_id", "pairing_id")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("term", CODE_OR_ID, required=True),
            OpenApiParameter("school", CODE_OR_ID, required=False),
        ],
        responses=SummarySerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[IsAuthenticated, ReadsComplianceFigures],
        filterset_class=None,
        pagination_class=None,
    )
    def summary(self, request):
        """The term's figures per school and per mentor (supervisors: per school only)."""
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = term_tutoring_summary(
            user=request.user,
            term_id=query.validated_data["term"],
            school_id=query.validated_data.get("school"),
        )
        return Response(SummarySerializer(summary).data)
