import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import validated_data
from core.permissions import IsAdministrator
from core.serializers import NoBody
from mentoring.apis.account_serializers import (
    MeSerializer,
    UnlockSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from mentoring.apis.codes import school_filter
from mentoring.models import Role, User
from mentoring.selectors import accounts as selectors
from mentoring.services import accounts as services


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        memberships = selectors.memberships_of(request.user)
        data = MeSerializer(request.user, context={"memberships": memberships}).data
        return Response(data)


class UserFilter(django_filters.FilterSet):
    """`role` and `school` match one membership in a school the viewer administers.

    Filtering on every membership of an account would tell an administrator
    which other schools, and which roles there, an account shared with their
    school has: the same leak the listing itself avoids.
    """

    role = django_filters.ChoiceFilter(choices=Role.choices, method="_by_membership")
    school = school_filter(method="_by_membership")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ["role", "school", "is_active"]

    def _by_membership(self, queryset, name, value):
        # Applied once for both filters in filter_queryset, so that
        # ?role=teacher&school=1 means "teacher in school 1".
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        wanted = {}
        if data.get("role"):
            wanted["role"] = data["role"]
        if data.get("school") is not None:
            wanted["school_id__in"] = data["school"]
        if wanted:
            memberships = selectors.memberships_visible_to(self.request.user).filter(**wanted)
            queryset = queryset.filter(pk__in=memberships.values("user_id"))
        return queryset


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Accounts, managed by administrators within the schools they administer.

    Accounts are deactivated, never deleted, so their history stays readable.
    """

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, IsAdministrator]
    queryset = User.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = UserSerializer
    filterset_class = UserFilter

    def get_queryset(self):
        return selectors.users_visible_to(self.request.user)

    def _visible(self, user_id):
        return self.get_queryset().get(pk=user_id)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        data = dict(
            validated_data(
                UserCreateSerializer(data=request.data),
                lambda errors, fields: services.user_create_problems(
                    errors,
                    by=request.user,
                    username=fields.get("username"),
                    password=fields.get("password"),
                    role=fields.get("role"),
                    school_ids=fields.get("schools"),
                    email=fields.get("email"),
                    first_name=fields.get("first_name"),
                    last_name=fields.get("last_name"),
                ),
            )
        )
        user = services.user_create(by=request.user, school_ids=data.pop("schools"), **data)
        body = UserSerializer(self._visible(user.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def update(self, request, *args, **kwargs):
        user = self.get_object()
        payload = UserUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.user_update(by=request.user, user=user, **payload.validated_data)
        return Response(UserSerializer(self._visible(user.pk)).data)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(request=None, responses=UnlockSerializer)
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        """End the account's login lockout now, instead of after the cool-off."""
        user = self.get_object()
        NoBody(data=request.data).is_valid(raise_exception=True)
        cleared = services.user_unlock(by=request.user, user=user)
        return Response(UnlockSerializer({"failures_cleared": cleared}).data)
