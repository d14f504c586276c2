"""/api/v1/visit-plans/ and /api/v1/visit-plan-entries/: the schools' home-visit plans.

Administrators of a school write its plan for a term and the visits in it;
teachers and volunteers read the entries about their own mentees and the
visits they are asked to make. A home visit logged as a session fulfils its
entry (`mentoring.services.visit_plans`): `done` and `visited_on` show it.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_field, school_filter, term_field, term_filter
from mentoring.apis.pairings import ReadsMentoringRecords
from mentoring.models import VisitPlan, VisitPlanEntry
from mentoring.school_weeks import week_label
from mentoring.selectors.visit_plans import visit_plan_entries_visible_to, visit_plans_visible_to
from mentoring.services import visit_plans as services

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class VisitPlanSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    term_code = serializers.CharField(source="term.code", read_only=True)
    planned = serializers.IntegerField(read_only=True, help_text=_("Visits planned."))
    done = serializers.IntegerField(read_only=True, help_text=_("Planned visits made."))

    class Meta:
        model = VisitPlan
        fields = [
            "id",
            "school",
            "school_name",
            "term",
            "term_code",
            "note",
            "planned",
            "done",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class VisitPlanCreateSerializer(StrictSerializer):
    school = school_field()
    term = term_field()
    note = serializers.CharField(
        max_length=services.MAX_TEXT_LENGTH, required=False, allow_blank=True, default=""
    )


class VisitPlanUpdateSerializer(StrictSerializer):
    note = serializers.CharField(max_length=services.MAX_TEXT_LENGTH, allow_blank=True)


class VisitPlanFilter(django_filters.FilterSet):
    school = school_filter()
    term = term_filter()

    class Meta:
        model = VisitPlan
        fields = ["school", "term"]


class VisitPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The home-visit plans of the administrator's schools, with visits planned and done.

    Filters: `school`, `term`.
    """

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, IsAdministrator]
    queryset = VisitPlan.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = VisitPlanSerializer
    filterset_class = VisitPlanFilter

    def get_queryset(self):
        return (
            visit_plans_visible_to(self.request.user)
            .select_related("school", "term")
            .order_by("-term__start_date", "school__code", "pk")
        )

    def _visible(self, plan_id):
        return self.get_queryset().get(pk=plan_id)

    @extend_schema(request=VisitPlanCreateSerializer, responses={201: VisitPlanSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            VisitPlanCreateSerializer(data=request.data),
            lambda errors, fields: services.visit_plan_create_problems(
                errors,
                by=request.user,
                school_id=fields.get("school"),
                term_id=fields.get("term"),
                note=fields.get("note"),
            ),
        )
        plan = services.visit_plan_create(
            by=request.user, school_id=data["school"], term_id=data["term"], note=data["note"]
        )
        return Response(
            VisitPlanSerializer(self._visible(plan.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=VisitPlanUpdateSerializer, responses=VisitPlanSerializer)
    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        payload = VisitPlanUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.visit_plan_update(by=request.user, plan=plan, note=payload.validated_data["note"])
        return Response(VisitPlanSerializer(self._visible(plan.pk)).data)


class VisitPlanEntrySerializer(serializers.ModelSerializer):
    school = serializers.IntegerField(source="plan.school_id", read_only=True)
    term = serializers.IntegerField(source="plan.term_id", read_only=True)
    student_name = serializers.CharField(source="student.name", read_only=True)
    visitor_name = serializers.CharField(source="visitor.user.display_name", read_only=True)
    planned_week = serializers.SerializerMethodField()
    done = serializers.BooleanField(read_only=True)
    visited_on = serializers.DateField(source="visit.date", read_only=True, allow_null=True)

    class Meta:
        model = VisitPlanEntry
        fields = [
            "id",
            "plan",
            "school",
            "term",
            "student",
            "student_name",
            "visitor",
            "visitor_name",
            "planned_on",
            "planned_week",
            "purpose",
            "done",
            "visit",
            "visited_on",
            "created_at",
        ]
        read_only_fields = fields

    def get_planned_week(self, entry) -> str:
        return week_label(entry.planned_on)


class _EntryFields(StrictSerializer):
    visitor = serializers.IntegerField(
        min_value=1, help_text=_("The visiting teacher's mentor id.")
    )
    planned_on = serializers.DateField()
    purpose = serializers.CharField(max_length=services.MAX_TEXT_LENGTH)


class VisitPlanEntryCreateSerializer(_EntryFields):
    plan = serializers.IntegerField(min_value=1)
    student = serializers.IntegerField(min_value=1)


class VisitPlanEntryUpdateSerializer(_EntryFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A field left out of a PATCH is left unchanged.
        for field in self.fields.values():
            field.required = False


class VisitPlanEntryFilter(django_filters.FilterSet):
    plan = NumberFilter()
    school = school_filter(field_name="plan__school")
    term = term_filter(field_name="plan__term")
    student = NumberFilter()
    visitor = NumberFilter()
    done = django_filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method="filter_done")

    class Meta:
        model = VisitPlanEntry
        fields = ["plan", "school", "term", "student", "visitor", "done"]

    def filter_done(self, queryset, name, value):
        return queryset.filter(visit__isnull=value != "true")


class VisitPlanEntryViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Planned home visits: administrators their schools', teachers their mentees' and their own.

    Filters: `plan`, `school`, `term`, `student`, `visitor`, `done` (`true` or `false`).
    """

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = VisitPlanEntry.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = VisitPlanEntrySerializer
    filterset_class = VisitPlanEntryFilter

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [IsAuthenticated(), ReadsMentoringRecords()]
        return [IsAuthenticated(), IsAdministrator()]

    def get_queryset(self):
        return (
            visit_plan_entries_visible_to(self.request.user)
            .select_related("student", "visitor__user", "visit", "plan")
            .order_by("planned_on", "pk")
        )

    def _visible(self, entry_id):
        return self.get_queryset().get(pk=entry_id)

    @extend_schema(
        request=VisitPlanEntryCreateSerializer, responses={201: VisitPlanEntrySerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            VisitPlanEntryCreateSerializer(data=request.data),
            lambda errors, fields: services.visit_plan_entry_problems(
                errors,
                by=request.user,
                plan_id=fields.get("plan"),
                student_id=fields.get("student"),
                visitor_id=fields.get("visitor"),
                planned_on=fields.get("planned_on"),
                purpose=fields.get("purpose"),
            ),
        )
        entry = services.visit_plan_entry_create(
            by=request.user,
            plan_id=data["plan"],
            student_id=data["student"],
            visitor_id=data["visitor"],
            planned_on=data["planned_on"],
            purpose=data["purpose"],
        )
        body = VisitPlanEntrySerializer(self._visible(entry.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=VisitPlanEntryUpdateSerializer, responses=VisitPlanEntrySerializer)
    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        data = validated_data(
            VisitPlanEntryUpdateSerializer(data=request.data, partial=True),
            lambda errors, fields: services.visit_plan_entry_problems(
                errors,
                by=request.user,
                entry=entry,
                visitor_id=fields.get("visitor"),
                planned_on=fields.get("planned_on"),
                purpose=fields.get("purpose"),
            ),
        )
        services.visit_plan_entry_update(by=request.user, entry=entry, **data)
        return Response(VisitPlanEntrySerializer(self._visible(entry.pk)).data)

    def destroy(self, request, *args, **kwargs):
        services.visit_plan_entry_delete(by=request.user, entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
