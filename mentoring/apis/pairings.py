"""/api/v1/pairings/: who mentors whom, read in scope; created and ended by administrators."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_filter, term_field, term_filter
from mentoring.models import Pairing, PairingKind, PairingStatus
from mentoring.selectors.scoping import MENTORING_ROLES, pairings_visible_to, roles_of
from mentoring.services import pairings as services


class ReadsMentoringRecords(BasePermission):
    """Administrators, teachers and volunteers, each within its scope; never donors or
    supervisors, who see no pairing or session at all and are refused outright."""

    def has_permission(self, request, view):
        return bool(roles_of(request.user) & MENTORING_ROLES)


class PairingSerializer(serializers.ModelSerializer):
    term_code = serializers.CharField(source="term.code", read_only=True)
    student_name = serializers.CharField(source="student.name", read_only=True)
    school = serializers.IntegerField(source="student.school_id", read_only=True)
    mentor_name = serializers.SerializerMethodField()

    class Meta:
        model = Pairing
        fields = [
            "id",
            "term",
            "term_code",
            "school",
            "student",
            "student_name",
            "mentor",
            "mentor_name",
            "kind",
            "status",
            "started_on",
            "ended_on",
            "holiday_until",
            "reason",
            "end_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_mentor_name(self, pairing) -> str:
        return pairing.mentor.user.display_name


class PairingCreateSerializer(StrictSerializer):
    student = serializers.IntegerField(min_value=1)
    mentor = serializers.IntegerField(min_value=1)
    term = term_field()
    kind = serializers.ChoiceField(choices=PairingKind.choices)
    reason = serializers.CharField(max_length=2000)
    started_on = serializers.DateField(required=False)


class PairingEndSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)
    ended_on = serializers.DateField(required=False)


class PairingHolidaySerializer(StrictSerializer):
    holiday_until = serializers.DateField(
        allow_null=True,
        help_text=_(
            "The last day of holiday work after the term (summer contracting); null ends it."
        ),
    )


class PairingFilter(django_filters.FilterSet):
    term = term_filter()
    kind = django_filters.ChoiceFilter(choices=PairingKind.choices)
    status = django_filters.ChoiceFilter(choices=PairingStatus.choices)
    mentor = NumberFilter()
    student = NumberFilter()
    school = school_filter(field_name="student__school")

    class Meta:
        model = Pairing
        fields = ["term", "kind", "status", "mentor", "student", "school"]


class PairingViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Pairings in the viewer's scope.

    Administrators see every pairing of their schools, proposed ones
    included; a mentor sees their own active and ended pairings.
    """

    queryset = Pairing.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = PairingSerializer
    filterset_class = PairingFilter

    def get_permissions(self):
        if self.action in ("create", "end", "holiday"):
            return [IsAuthenticated(), IsAdministrator()]
        return [IsAuthenticated(), ReadsMentoringRecords()]

    def get_queryset(self):
        return (
            pairings_visible_to(self.request.user)
            .select_related("term", "student", "mentor__user")
            .order_by("-created_at", "-pk")
        )

    def _visible(self, pairing_id):
        return self.get_queryset().get(pk=pairing_id)

    @extend_schema(request=PairingCreateSerializer, responses={201: PairingSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            PairingCreateSerializer(data=request.data),
            lambda errors, fields: services.pairing_create_problems(
                errors,
                by=request.user,
                student_id=fields.get("student"),
                mentor_id=fields.get("mentor"),
                term_id=fields.get("term"),
                kind=fields.get("kind"),
                reason=fields.get("reason"),
                started_on=fields.get("started_on"),
            ),
        )
        pairing = services.pairing_create(
            by=request.user,
            student_id=data["student"],
            mentor_id=data["mentor"],
            term_id=data["term"],
            kind=data["kind"],
            reason=data["reason"],
            started_on=data.get("started_on"),
        )
        body = PairingSerializer(self._visible(pairing.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=PairingEndSerializer, responses=PairingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End an active pairing with a reason (`ended_on` defaults to today)."""
        pairing = self.get_object()
        payload = PairingEndSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.pairing_end(
            by=request.user,
            pairing=pairing,
            reason=payload.validated_data["reason"],
            ended_on=payload.validated_data.get("ended_on"),
        )
        return Response(PairingSerializer(self._visible(pairing.pk)).data)

    @extend_schema(request=PairingHolidaySerializer, responses=PairingSerializer)
    @action(detail=True, methods=["post"])
    def holiday(self, request, pk=None):
        """Let an active pairing continue over the holiday after its term, until `holiday_until`.

        Its sessions dated in the holiday are accepted, and counted apart from
        the term's weeks; `null` ends the holiday work.
        """
        pairing = self.get_object()
        data = validated_data(
            PairingHolidaySerializer(data=request.data),
            lambda errors, fields: (
                services.pairing_holiday_problems(
                    errors, pairing=pairing, holiday_until=fields["holiday_until"]
                )
                if "holiday_until" in fields
                else None
            ),
        )
        services.pairing_holiday_set(
            by=request.user, pairing=pairing, holiday_until=data["holiday_until"]
        )
        return Response(PairingSerializer(self._visible(pairing.pk)).data)
