"""/api/v1/sessions/: tutoring sessions, home visits, counselling and material help.

A POST with an `Idempotency-Key` header is safe to retry (core.idempotency).
A pairing id outside the user's scope answers 400 naming `pairing`, exactly
like an id that does not exist.
"""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.serializers import StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import term_filter
from mentoring.apis.pairings import ReadsMentoringRecords
from mentoring.models import SessionKind, Subject, TutoringSession
from mentoring.selectors.scoping import sessions_visible_to
from mentoring.services import sessions as services


class TutoringSessionSerializer(serializers.ModelSerializer):
    term = serializers.IntegerField(source="pairing.term_id", read_only=True)
    student = serializers.IntegerField(source="pairing.student_id", read_only=True)
    student_name = serializers.CharField(source="pairing.student.name", read_only=True)
    mentor = serializers.IntegerField(source="pairing.mentor_id", read_only=True)
    mentor_editable_until = serializers.SerializerMethodField()
    holiday = serializers.SerializerMethodField()

    class Meta:
        model = TutoringSession
        fields = [
            "id",
            "pairing",
            "term",
            "student",
            "student_name",
            "mentor",
            "date",
            "minutes",
            "subject",
            "kind",
            "content",
            "logged_by",
            "created_at",
            "updated_at",
            "mentor_editable_until",
            "holiday",
        ]
        read_only_fields = fields

    def get_holiday(self, session) -> bool:
        # Dated in the holiday (a holiday week, or holiday work after the term):
        # counted apart, never for a school week.
        return session.pairing.term.is_holiday(session.date)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_mentor_editable_until(self, session) -> str:
        # After this moment only an administrator of the school changes the session.
        return serializers.DateTimeField().to_representation(
            session.created_at + services.EDIT_WINDOW
        )


class _SessionFields(StrictSerializer):
    date = serializers.DateField()
    minutes = serializers.IntegerField(min_value=1, max_value=600)
    subject = serializers.ChoiceField(
        choices=Subject.choices, required=False, allow_blank=True, default=""
    )
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    content = serializers.CharField(max_length=services.MAX_CONTENT_LENGTH)


class TutoringSessionCreateSerializer(_SessionFields):
    pairing = serializers.IntegerField(min_value=1)


class TutoringSessionUpdateSerializer(_SessionFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every field is optional in a PATCH; DRF applies no defaults to a
        # partial update, so a field left out is left unchanged.
        for field in self.fields.values():
            field.required = False


class TutoringSessionFilter(django_filters.FilterSet):
    pairing = NumberFilter()
    term = term_filter(field_name="pairing__term")
    date = django_filters.DateFromToRangeFilter()
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices)
    mentor = NumberFilter(field_name="pairing__mentor")
    student = NumberFilter(field_name="pairing__student")

    class Meta:
        model = TutoringSession
        fields = ["pairing", "term", "date", "kind", "mentor", "student"]


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: the same key and body replay the first answer.",
)


class TutoringSessionViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sessions in the viewer's scope: administrators their schools, mentors their own.

    Filters: `pairing`, `term`, `date_after`, `date_before`, `kind`, `mentor`, `student`.
    """

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticated, ReadsMentoringRecords]
    queryset = TutoringSession.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = TutoringSessionSerializer
    filterset_class = TutoringSessionFilter
    access_student = "pairing.student_id"

    def get_queryset(self):
        return sessions_visible_to(self.request.user).select_related(
            "pairing__student", "pairing__mentor", "pairing__term"
        )

    def _visible(self, session_id):
        return self.get_queryset().get(pk=session_id)

    @extend_schema(
        request=TutoringSessionCreateSerializer,
        responses={201: TutoringSessionSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent(scope="sessions")
    def create(self, request, *args, **kwargs):
        data = validated_data(
            TutoringSessionCreateSerializer(data=request.data),
            lambda errors, fields: services.session_log_problems(
                errors,
                by=request.user,
                pairing_id=fields.get("pairing"),
                day=fields.get("date"),
                minutes=fields.get("minutes"),
                kind=fields.get("kind"),
                content=fields.get("content"),
                subject=fields.get("subject"),
            ),
        )
        session = services.session_log(
            by=request.user,
            pairing_id=data["pairing"],
            day=data["date"],
            minutes=data["minutes"],
            kind=data["kind"],
            content=data["content"],
            subject=data.get("subject", ""),
        )
        # The new session comes with its pairing, student and term from the service:
        # the answer needs no read back.
        body = TutoringSessionSerializer(session).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=TutoringSessionUpdateSerializer, responses=TutoringSessionSerializer)
    def update(self, request, *args, **kwargs):
        session = self.get_object()
        data = validated_data(
            TutoringSessionUpdateSerializer(data=request.data, partial=True),
            lambda errors, fields: services.session_update_problems(
                errors, by=request.user, session=session, fields=fields
            ),
        )
        services.session_update(by=request.user, session=session, **data)
        return Response(TutoringSessionSerializer(self._visible(session.pk)).data)

    @extend_schema(request=TutoringSessionUpdateSerializer, responses=TutoringSessionSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.session_delete(by=request.user, session=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
