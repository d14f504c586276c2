"""/api/v1/assessments/: the identification workflow (DESIGN §2.2).

- `GET assessments/`, `GET assessments/{id}/` (with its events and objections);
- `POST assessments/` submits an application (the `submit` action);
- `POST assessments/{id}/review/`, `publicize/`, `object/`, `approve/`, `reject/`;
- `POST assessments/{id}/objections/{objection_id}/answer/` answers one objection;
- `POST assessments/government-list/` identifies the students on a government list;
- `POST assessments/{id}/recheck/` re-checks an approved identification in a
  later term of its school year (the student left, or circumstances changed);
- `GET assessments/carry-over/?term=` what the term's identification holds
  from earlier in its school year: carried, withdrawn, changed, pending, new.

An action out of order answers 409 with `allowed_actions`. The rules live in
`mentoring.services.identification`; this module validates and serialises.
"""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.codes import SCHEMA as CODE_OR_ID
from core.errors import validated_data
from core.filters import NumberFilter
from core.parsers import JSONParser, MultiPartParser
from core.permissions import IsAdministrator
from core.serializers import QuerySerializer, StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_field, school_filter, term_field, term_filter
from mentoring.apis.government_list import (
    GovernmentListResultSerializer,
    GovernmentListSerializer,
    _list_rows,
)
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentRoute,
    AssessmentStatus,
    HardshipKind,
    Objection,
    RecheckChange,
    Role,
    Term,
)
from mentoring.selectors import identification as selectors
from mentoring.selectors import school_year
from mentoring.selectors.scoping import schools_visible_to
from mentoring.services import government_list
from mentoring.services import identification as services
from mentoring.services import recheck as recheck_services

# A government list of a whole county is far smaller than this.


# Serializers


class AssessmentEventSerializer(serializers.ModelSerializer):
    by_username = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = AssessmentEvent
        fields = ["action", "from_status", "to_status", "by", "by_username", "at", "note"]


class ObjectionSerializer(serializers.ModelSerializer):
    """An objection as its author and the school's administrators see it."""

    class Meta:
        model = Objection
        fields = ["id", "assessment", "text", "filed_at", "answer", "answered_at"]


class ObjectionDetailSerializer(serializers.ModelSerializer):
    filed_by_username = serializers.CharField(
        source="filed_by.username", default=None, read_only=True
    )
    answered_by_username = serializers.CharField(
        source="answered_by.username", default=None, read_only=True
    )

    class Meta:
        model = Objection
        fields = [
            "id",
            "text",
            "filed_by",
            "filed_by_username",
            "filed_at",
            "answer",
            "answered_by",
            "answered_by_username",
            "answered_at",
        ]


class AssessmentSerializer(serializers.ModelSerializer):
    """An assessment for the school staff who may see it; the ID number only masked.

    `allowed_actions` needs `roles` (school id → roles of the requesting user),
    `is_platform_admin` and `today` in the context.
    """

    student_name = serializers.CharField(source="student.name", read_only=True)
    student_number = serializers.CharField(source="student.student_number", read_only=True)
    student_id_masked = serializers.CharField(source="student.id_masked", read_only=True)
    school = serializers.IntegerField(source="student.school_id", read_only=True)
    school_name = serializers.CharField(source="student.school.name", read_only=True)
    grade = serializers.IntegerField(read_only=True, allow_null=True)
    class_name = serializers.CharField(read_only=True, allow_null=True)
    tier_name = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    # Blank unless the student came from a government list. Declared, because DRF
    # drops `allow_blank` from a read-only model field and the schema then left "" out.
    government_category = serializers.ChoiceField(
        choices=HardshipKind.choices, allow_blank=True, read_only=True
    )
    # Blank unless the assessment re-checks an earlier term's identification.
    change = serializers.ChoiceField(
        choices=RecheckChange.choices, allow_blank=True, read_only=True
    )
    # Null without a notice; `term_holiday_weeks` when the official calendar
    # does not cover the notice's year yet, and the note then says so.
    notice_calendar = serializers.SerializerMethodField()
    notice_calendar_note = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "student",
            "student_name",
            "student_number",
            "student_id_masked",
            "school",
            "school_name",
            "term",
            "grade",
            "class_name",
            "route",
            "carried_from",
            "change",
            "status",
            "tier",
            "tier_name",
            "reason",
            "commitment",
            "government_category",
            "need_score",
            "notice_starts_on",
            "notice_ends_on",
            "notice_calendar",
            "notice_calendar_note",
            "decided_on",
            "created_by",
            "created_at",
            "updated_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=services.NoticeCalendar.choices, allow_null=True)
    )
    def get_notice_calendar(self, assessment) -> str | None:
        return services.notice_calendar(assessment)

    def get_notice_calendar_note(self, assessment) -> str:
        return services.notice_calendar_note(assessment)

    def get_tier_name(self, assessment) -> str:
        if not assessment.tier:
            return ""
        return services.tier_name(assessment.term.district, assessment.tier)

    def get_allowed_actions(self, assessment) -> list[str]:
        roles = set(self.context["roles"].get(assessment.student.school_id, ()))
        if self.context["is_platform_admin"]:
            roles.add(Role.ADMINISTRATOR)
        return services.allowed_actions(
            assessment=assessment,
            roles=roles,
            today=self.context["today"],
            unanswered_objections=bool(assessment.unanswered_objections),
        )


class AssessmentDetailSerializer(AssessmentSerializer):
    events = AssessmentEventSerializer(many=True, read_only=True)
    objections = ObjectionDetailSerializer(many=True, read_only=True)

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "events", "objections"]
        read_only_fields = fields


class SubmitSerializer(StrictSerializer):
    student = serializers.IntegerField(min_value=1)
    term = term_field()
    reason = serializers.CharField(max_length=2000)
    commitment = serializers.CharField(
        max_length=2000,
        help_text=_("The family's written commitment (承诺书), which replaces certificates."),
    )


class ReviewSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=4000,
        help_text=_("Investigation findings or the review group's minutes."),
    )
    tier = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("At the school review: a tier code of the district, or not_in_hardship."),
    )


class PublicizeSerializer(StrictSerializer):
    notice_starts_on = serializers.DateField(required=False, allow_null=True, default=None)


class ObjectSerializer(StrictSerializer):
    text = serializers.CharField(max_length=4000)


class AnswerSerializer(StrictSerializer):
    answer = serializers.CharField(max_length=4000)


class ApproveSerializer(StrictSerializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=4000)


class RecheckSerializer(StrictSerializer):
    term = term_field(help_text=_("A later term of the identification's school year."))
    change = serializers.ChoiceField(choices=RecheckChange.choices)
    reason = serializers.CharField(max_length=2000)


class CarryOverQuerySerializer(QuerySerializer):
    term = term_field()
    school = school_field(required=False)


class CarryOverSerializer(serializers.Serializer):
    """Assessment ids: `carried` of the earlier term, the others of this term."""

    term = serializers.IntegerField(source="term.pk")
    earlier_term = serializers.IntegerField(source="earlier_term.pk", allow_null=True)
    carried = serializers.ListField(child=serializers.IntegerField())
    withdrawn = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.ListField(child=serializers.IntegerField())
    confirmed = serializers.ListField(child=serializers.IntegerField())
    pending = serializers.ListField(child=serializers.IntegerField())
    new = serializers.ListField(child=serializers.IntegerField())


# Filters and permissions


class AssessmentFilter(django_filters.FilterSet):
    term = term_filter(field_name="term_id")
    school = school_filter(field_name="student__school_id")
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    route = django_filters.ChoiceFilter(choices=AssessmentRoute.choices)
    tier = django_filters.CharFilter()
    student = NumberFilter(field_name="student_id")

    class Meta:
        model = Assessment
        fields = ["term", "school", "status", "route", "tier", "student"]


class ProposesStudents(BasePermission):
    """Administrators and teachers work with assessments.

    Anyone else with a role in a school (volunteers, donors, supervisors) may
    only object to a public notice; which assessments they may object to is
    decided by the queryset, so others answer 404.
    """

    def has_permission(self, request, view):
        user = request.user
        if view.action == "object":
            return True
        if user.is_superuser:
            return True
        return user.memberships.filter(role__in=[Role.ADMINISTRATOR, Role.TEACHER]).exists()


# The viewset


class AssessmentViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Identification of students' need, from application or government list to approval."""

    permission_classes = [IsAuthenticated, ProposesStudents]
    queryset = Assessment.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_permissions(self):
        if self.action == "government_list":
            return [IsAuthenticated(), IsAdministrator()]
        return super().get_permissions()

    def get_queryset(self):
        user = self.request.user
        if self.action == "object":
            return selectors.assessments_open_to_objection_by(user)
        visible = selectors.assessments_visible_to(user)
        if self.action == "retrieve":
            return selectors.assessment_detail(visible)
        return selectors.assessment_list(visible)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return AssessmentDetailSerializer
        return AssessmentSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["roles"] = selectors.roles_by_school(user)
        context["is_platform_admin"] = bool(user.is_authenticated and user.is_platform_admin)
        context["today"] = timezone.localdate()
        return context

    def _detail(self, assessment, code=status.HTTP_200_OK):
        visible = selectors.assessment_detail(selectors.assessments_visible_to(self.request.user))
        fresh = visible.get(pk=assessment.pk)
        body = AssessmentDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=code)

    @staticmethod
    def _valid(serializer_class, request):
        payload = serializer_class(data=request.data)
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    @extend_schema(
        request=SubmitSerializer,
        responses={201: AssessmentDetailSerializer},
        summary="submit",
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            SubmitSerializer(data=request.data),
            lambda errors, fields: services.assessment_submit_problems(
                errors,
                by=request.user,
                student_id=fields.get("student"),
                term_id=fields.get("term"),
                reason=fields.get("reason"),
                commitment=fields.get("commitment"),
            ),
        )
        assessment = services.assessment_submit(
            by=request.user,
            student_id=data["student"],
            term_id=data["term"],
            reason=data["reason"],
            commitment=data["commitment"],
        )
        return self._detail(assessment, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        assessment = self.get_object()
        data = self._valid(ReviewSerializer, request)
        assessment = services.assessment_review(
            by=request.user, assessment=assessment, note=data["note"], tier=data["tier"]
        )
        return self._detail(assessment)

    @extend_schema(request=PublicizeSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def publicize(self, request, pk=None):
        assessment = self.get_object()
        data = self._valid(PublicizeSerializer, request)
        assessment = services.assessment_publicize(
            by=request.user, assessment=assessment, starts_on=data["notice_starts_on"]
        )
        return self._detail(assessment)

    @extend_schema(request=ObjectSerializer, responses={201: ObjectionSerializer})
    @action(detail=True, methods=["post"], url_path="object")
    def object(self, request, pk=None):
        assessment = self.get_object()
        data = self._valid(ObjectSerializer, request)
        objection = services.assessment_object(
            by=request.user, assessment=assessment, text=data["text"]
        )
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AnswerSerializer,
        responses=AssessmentDetailSerializer,
        parameters=[OpenApiParameter("objection_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"objections/(?P<objection_id>[0-9]+)/answer",
        url_name="answer-objection",
    )
    def answer(self, request, pk=None, objection_id=None):
        assessment = self.get_object()
        objection = get_object_or_404(Objection, pk=objection_id, assessment=assessment)
        data = self._valid(AnswerSerializer, request)
        services.objection_answer(
            by=request.user, assessment=assessment, objection=objection, answer=data["answer"]
        )
        return self._detail(assessment)

    @extend_schema(request=ApproveSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        assessment = self.get_object()
        data = self._valid(ApproveSerializer, request)
        assessment = services.assessment_approve(
            by=request.user, assessment=assessment, note=data["note"]
        )
        return self._detail(assessment)

    @extend_schema(request=RejectSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        assessment = self.get_object()
        data = self._valid(RejectSerializer, request)
        assessment = services.assessment_reject(
            by=request.user, assessment=assessment, reason=data["reason"]
        )
        return self._detail(assessment)

    @extend_schema(request=RecheckSerializer, responses={201: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def recheck(self, request, pk=None):
        """Re-check this approved identification in a later term of its school year.

        Creates that term's re-check (201), which goes the way of an application:
        review, public notice, approval. Until it is approved, this
        identification stays in force.
        """
        carried = self.get_object()
        data = validated_data(
            RecheckSerializer(data=request.data),
            lambda errors, fields: recheck_services.assessment_recheck_problems(
                errors,
                carried=carried,
                term_id=fields.get("term"),
                change=fields.get("change"),
                reason=fields.get("reason"),
            ),
        )
        assessment = recheck_services.assessment_recheck(
            by=request.user,
            carried=carried,
            term_id=data["term"],
            change=data["change"],
            reason=data["reason"],
        )
        return self._detail(assessment, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("term", CODE_OR_ID, required=True),
            OpenApiParameter("school", CODE_OR_ID, required=False),
        ],
        responses=CarryOverSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="carry-over",
        filterset_class=None,
        pagination_class=None,
    )
    def carry_over(self, request):
        """What the term's identification holds from earlier in its school year.

        Among the assessments the user sees: the identifications carried over
        and still in force, the term's re-checks (withdrawn, changed, confirmed,
        pending) and its new applications, as assessment ids.
        """
        query = CarryOverQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        terms = Term.objects.all()
        if not user.is_superuser:
            terms = terms.filter(district__schools__in=schools_visible_to(user)).distinct()
        term = terms.filter(pk=query.validated_data["term"]).first()
        if term is None:
            raise serializers.ValidationError({"term": [_("No such term.")]})
        visible = selectors.assessments_visible_to(user)
        if "school" in query.validated_data:
            visible = visible.filter(student__school_id=query.validated_data["school"])
        summary = school_year.carry_over(term=term, visible=visible)
        return Response(CarryOverSerializer(summary).data)

    @extend_schema(
        request={
            "application/json": GovernmentListSerializer,
            "multipart/form-data": GovernmentListSerializer,
        },
        responses={200: GovernmentListResultSerializer, 201: GovernmentListResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="government-list",
        parser_classes=[JSONParser, MultiPartParser],
    )
    def government_list(self, request):
        """Identify the students on a government list (低保, 特困, orphans, ...) directly.

        Answers 201 when assessments were created, 200 when the list was
        already known. Unmatched rows are listed with the masked ID number only.
        """
        data = validated_data(
            GovernmentListSerializer(data=request.data),
            lambda errors, fields: government_list.government_list_import_problems(
                errors,
                by=request.user,
                term_id=fields.get("term"),
                rows=_list_rows(fields) if "rows" in fields else None,
                tier=fields.get("tier"),
            ),
        )
        if "file" in data:
            rows = government_list.government_list_rows_from_csv(data["file"].read())
        else:
            rows = _list_rows(data)
        result = government_list.government_list_import(
            by=request.user, term_id=data["term"], rows=rows, tier=data["tier"]
        )
        body = {
            "term": data["term"],
            "rows": result.rows,
            "matched": result.matched,
            "created": result.created,
            "already_assessed": result.already_assessed,
            "unmatched": len(result.unmatched),
            "unmatched_rows": result.unmatched,
            "assessments": result.assessment_ids,
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(body, status=code)
