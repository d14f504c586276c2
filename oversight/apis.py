"""/api/v1/supervision-members/, supervision-meetings/, suggestions/ and complaints/.

Administrators and supervisors read the records of their schools' groups
and of their district's own; administrators write them (oversight.services).
Who complained is shown only to the administrators who handle the
complaint; a supervisor reads what was complained of and how it was answered.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from core.codes import CodeOrIdField
from core.errors import validated_data
from core.permissions import is_active_account
from core.serializers import NoBody, StrictSerializer
from donations.apis.common import created
from mentoring.apis.codes import school_field
from mentoring.models import District
from oversight import services
from oversight.models import (
    Affiliation,
    Complaint,
    ComplaintChannel,
    Suggestion,
    SuggestionKind,
    SupervisionMeeting,
    SupervisionMember,
)
from oversight.selectors import (
    administered_ids,
    administers_record,
    complaints_visible_to,
    meetings_visible_to,
    members_visible_to,
    reads_oversight,
    suggestions_visible_to,
)

# A district by code or id; the view checks it is the user's, as before.
DISTRICTS = District.objects.all()


class OversightAccess(BasePermission):
    """Administrators and supervisors read; administrators write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return reads_oversight(request.user)
        return is_active_account(request.user) and request.user.is_administrator


class ScopedSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code", read_only=True)
    school = serializers.PrimaryKeyRelatedField(read_only=True)
    school_name = serializers.CharField(
        source="school.name", read_only=True, default=None, allow_null=True
    )


class WhereInput(StrictSerializer):
    """A school's group (`school`), or the district's own (`district` code, no school)."""

    school = school_field(required=False)
    district = CodeOrIdField(scope=DISTRICTS, to="code", required=False)


class MemberSerializer(ScopedSerializer):
    class Meta:
        model = SupervisionMember
        fields = [
            "id",
            "district",
            "school",
            "school_name",
            "name",
            "affiliation",
            "organisation",
            "phone",
            "joined_on",
            "left_on",
            "created_at",
        ]


class MemberInput(WhereInput):
    name = serializers.CharField(max_length=50)
    affiliation = serializers.ChoiceField(choices=Affiliation.choices)
    organisation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.RegexField(
        r"^[0-9+\- ]{5,20}$", max_length=20, required=False, allow_blank=True
    )
    joined_on = serializers.DateField()
    left_on = serializers.DateField(required=False, allow_null=True)


class MemberUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=50, required=False)
    affiliation = serializers.ChoiceField(choices=Affiliation.choices, required=False)
    organisation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.RegexField(
        r"^[0-9+\- ]{5,20}$", max_length=20, required=False, allow_blank=True
    )
    joined_on = serializers.DateField(required=False)
    left_on = serializers.DateField(required=False, allow_null=True)


class _Scoped(viewsets.GenericViewSet):
    permission_classes = [OversightAccess]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["administered"] = administered_ids(self.request.user)
        return context


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    _Scoped,
):
    """Members of the supervision groups (parents, community, deputies), with when they served."""

    queryset = SupervisionMember.objects.none()
    serializer_class = MemberSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return members_visible_to(self.request.user).order_by("district__code", "school", "name")

    @extend_schema(request=MemberInput, responses={201: MemberSerializer})
    def create(self, request, *args, **kwargs):
        payload = MemberInput(data=request.data)
        data = validated_data(
            payload,
            lambda errors, fields: services.member_problems(errors, by=request.user, **fields),
        )
        return created(self, services.member_add(by=request.user, **data))

    @extend_schema(request=MemberUpdateInput, responses=MemberSerializer)
    def partial_update(self, request, *args, **kwargs):
        member = self.get_object()
        payload = MemberUpdateInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.member_update(by=request.user, member=member, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=member.pk)).data)


class MeetingSerializer(ScopedSerializer):
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionMeeting
        fields = [
            "id",
            "district",
            "school",
            "school_name",
            "held_on",
            "place",
            "topic",
            "minutes",
            "attendees",
            "created_at",
        ]

    def get_attendees(self, meeting) -> list[dict]:
        return [{"id": m.pk, "name": m.name} for m in meeting.attendees.all()]


class MeetingInput(WhereInput):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    topic = serializers.CharField(max_length=200)
    minutes = serializers.CharField(max_length=services.MAX_TEXT)
    attendees = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=100
    )


class MeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Scoped
):
    """The groups' meetings, with their minutes and who attended."""

    queryset = SupervisionMeeting.objects.none()
    serializer_class = MeetingSerializer

    def get_queryset(self):
        return meetings_visible_to(self.request.user)

    @extend_schema(request=MeetingInput, responses={201: MeetingSerializer})
    def create(self, request, *args, **kwargs):
        payload = MeetingInput(data=request.data)
        data = validated_data(
            payload,
            lambda errors, fields: services.meeting_problems(errors, by=request.user, **fields),
        )
        return created(self, services.meeting_record(by=request.user, **data))


class SuggestionSerializer(ScopedSerializer):
    answered_by = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "district",
            "school",
            "school_name",
            "kind",
            "meeting",
            "member",
            "text",
            "rating",
            "answer",
            "answered_by",
            "answered_at",
            "created_at",
        ]

    def get_answered_by(self, suggestion) -> str | None:
        user = suggestion.answered_by
        return (user.get_full_name() or user.username) if user else None


class SuggestionInput(WhereInput):
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    text = serializers.CharField(max_length=services.MAX_TEXT)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    meeting = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    member = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class AnswerInput(StrictSerializer):
    answer = serializers.CharField(max_length=services.MAX_TEXT)


class SuggestionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Scoped
):
    """Evaluations and suggestions of the supervision groups, and their answers."""

    queryset = Suggestion.objects.none()
    serializer_class = SuggestionSerializer

    def get_queryset(self):
        return suggestions_visible_to(self.request.user).select_related("answered_by")

    @extend_schema(request=SuggestionInput, responses={201: SuggestionSerializer})
    def create(self, request, *args, **kwargs):
        payload = SuggestionInput(data=request.data)
        data = validated_data(
            payload,
            lambda errors, fields: services.suggestion_problems(errors, by=request.user, **fields),
        )
        return created(self, services.suggestion_record(by=request.user, **data))

    @extend_schema(request=AnswerInput, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The administrators' answer to an evaluation or a suggestion (once)."""
        suggestion = self.get_object()
        payload = AnswerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        services.suggestion_answer(
            by=request.user, suggestion=suggestion, answer=payload.validated_data["answer"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=suggestion.pk)).data)


class ComplaintSerializer(ScopedSerializer):
    # Null for a reader who does not handle the complaint (to_representation).
    complainant_name = serializers.CharField(read_only=True, allow_null=True)
    complainant_contact = serializers.CharField(read_only=True, allow_null=True)
    answered_late = serializers.BooleanField(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "district",
            "school",
            "school_name",
            "received_on",
            "channel",
            "anonymous",
            "complainant_name",
            "complainant_contact",
            "subject",
            "details",
            "answer_due_on",
            "status",
            "answer",
            "answered_at",
            "answered_late",
            "closed_at",
            "allowed_actions",
            "created_at",
        ]

    def get_allowed_actions(self, complaint) -> list[str]:
        if not administers_record(complaint, self.context["administered"]):
            return []
        return services.complaint_allowed_actions(complaint)

    def to_representation(self, complaint):
        data = super().to_representation(complaint)
        # Who complained: only for the administrators who handle the complaint.
        if not administers_record(complaint, self.context["administered"]):
            data["complainant_name"] = data["complainant_contact"] = None
        return data


class ComplaintInput(WhereInput):
    received_on = serializers.DateField()
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices)
    anonymous = serializers.BooleanField(required=False, default=False)
    complainant_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    complainant_contact = serializers.CharField(max_length=100, required=False, allow_blank=True)
    subject = serializers.CharField(max_length=200)
    details = serializers.CharField(max_length=services.MAX_TEXT)


class ComplaintViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, _Scoped
):
    """Complaints from the published line, each answered by its due day (working days)."""

    queryset = Complaint.objects.none()
    serializer_class = ComplaintSerializer

    def get_queryset(self):
        return complaints_visible_to(self.request.user)

    @extend_schema(request=ComplaintInput, responses={201: ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        payload = ComplaintInput(data=request.data)
        data = validated_data(
            payload,
            lambda errors, fields: services.complaint_problems(errors, by=request.user, **fields),
        )
        return created(self, services.complaint_record(by=request.user, **data))

    def _move(self, request, name: str, answer: str = ""):
        complaint = self.get_object()
        services.complaint_move(by=request.user, complaint=complaint, action=name, answer=answer)
        return Response(self.get_serializer(self.get_queryset().get(pk=complaint.pk)).data)

    @extend_schema(request=AnswerInput, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer an open complaint."""
        self.get_object()  # an unknown or foreign complaint answers 404 before the body is read
        payload = AnswerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._move(request, "answer", payload.validated_data["answer"])

    @extend_schema(request=None, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an answered complaint. No body."""
        NoBody(data=request.data).is_valid(raise_exception=True)
        return self._move(request, "close")

    @extend_schema(request=None, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen an answered complaint whose complainant is not satisfied; a new answer is due.

        No body."""
        NoBody(data=request.data).is_valid(raise_exception=True)
        return self._move(request, "reopen")
