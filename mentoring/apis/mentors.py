"""/api/v1/mentors/: administrators manage the mentors of their schools.

A teacher or volunteer who is a mentor reads their own profile here (the list
holds only it); anybody else who is not an administrator is refused.
"""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.serializers import StrictSerializer
from mentoring.apis.codes import school_field, school_filter
from mentoring.models import Gender, Mentor, MentorKind, Subject
from mentoring.selectors.accounts import user_is_administrator
from mentoring.services import mentors as services

MAX_CAPACITY = 50
MAX_CONFLICTS = 100


class MentorSerializer(serializers.ModelSerializer):
    """A mentor as the viewer may see it: schools and conflicts in the viewer's scope."""

    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.SerializerMethodField()
    schools = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Mentor
        fields = [
            "id",
            "user",
            "username",
            "display_name",
            "kind",
            "subjects",
            "grades",
            "party_branch",
            "gender",
            "capacity",
            "min_mentees",
            "vetted_until",
            "schools",
            "conflicts",
            "active",
        ]
        read_only_fields = fields

    def get_display_name(self, mentor) -> str:
        return mentor.user.display_name

    def get_schools(self, mentor) -> list[int]:
        return [school.pk for school in mentor.visible_schools]

    def get_conflicts(self, mentor) -> list[int]:
        return [student.pk for student in mentor.visible_conflicts]


class _MentorFields(StrictSerializer):
    kind = serializers.ChoiceField(choices=MentorKind.choices)
    gender = serializers.ChoiceField(choices=Gender.choices)
    schools = serializers.ListField(child=school_field(), allow_empty=True, max_length=100)
    subjects = serializers.ListField(
        child=serializers.ChoiceField(choices=Subject.choices),
        required=False,
        max_length=len(Subject.choices),
    )
    grades = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=9), required=False, max_length=9
    )
    party_branch = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default=""
    )
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY, required=False)
    min_mentees = serializers.IntegerField(min_value=0, max_value=MAX_CAPACITY, required=False)
    vetted_until = serializers.DateField(required=False, allow_null=True)
    conflicts = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_CONFLICTS
    )


class MentorCreateSerializer(_MentorFields):
    user = serializers.IntegerField(min_value=1)


class MentorUpdateSerializer(_MentorFields):
    active = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every field is optional in a PATCH; DRF applies no defaults to a
        # partial update, so a field left out is left unchanged.
        for field in self.fields.values():
            field.required = False


class MentorFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MentorKind.choices)
    school = school_filter(field_name="schools", distinct=True)
    active = django_filters.BooleanFilter()

    class Meta:
        model = Mentor
        fields = ["kind", "school", "active"]


class MentorAccess(BasePermission):
    """Administrators do everything here; a mentor may only read (their own profile)."""

    def has_permission(self, request, view):
        if user_is_administrator(request.user):
            return True
        return request.method in SAFE_METHODS and Mentor.objects.filter(user=request.user).exists()


class MentorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Mentors. Deactivated with `PATCH {"active": false}`, never deleted, so history stays."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, MentorAccess]
    queryset = Mentor.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = MentorSerializer
    filterset_class = MentorFilter

    def get_queryset(self):
        return services.mentors_visible_to(self.request.user)

    def _visible(self, mentor_id):
        return self.get_queryset().get(pk=mentor_id)

    @extend_schema(request=MentorCreateSerializer, responses={201: MentorSerializer})
    def create(self, request, *args, **kwargs):
        data = dict(
            validated_data(
                MentorCreateSerializer(data=request.data),
                lambda errors, fields: services.mentor_create_problems(
                    errors,
                    by=request.user,
                    user_id=fields.get("user"),
                    kind=fields.get("kind"),
                    school_ids=fields.get("schools"),
                    party_branch=fields.get("party_branch"),
                    capacity=fields.get("capacity"),
                    min_mentees=fields.get("min_mentees"),
                    vetted_until=fields.get("vetted_until"),
                    conflict_ids=fields.get("conflicts"),
                ),
            )
        )
        mentor = services.mentor_create(
            by=request.user,
            user_id=data.pop("user"),
            school_ids=data.pop("schools"),
            conflict_ids=data.pop("conflicts", None),
            **data,
        )
        body = MentorSerializer(self._visible(mentor.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=MentorUpdateSerializer, responses=MentorSerializer)
    def update(self, request, *args, **kwargs):
        mentor = self.get_object()
        data = validated_data(
            MentorUpdateSerializer(data=request.data, partial=True),
            lambda errors, fields: services.mentor_update_problems(
                errors, by=request.user, mentor=mentor, fields=fields
            ),
        )
        services.mentor_update(by=request.user, mentor=mentor, **data)
        return Response(MentorSerializer(self._visible(mentor.pk)).data)

    @extend_schema(request=MentorUpdateSerializer, responses=MentorSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)
