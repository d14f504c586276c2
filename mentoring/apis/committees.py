"""/api/v1/village-committees/: a district's village and residents' committees.

Read by the members of the district (`mentoring.selectors.committees`), any
other answers 404; added and changed by the district's administrators
(`mentoring.services.committees`, 403 for anyone else).
"""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.serializers import StrictSerializer
from mentoring.apis.codes import district_field, district_filter
from mentoring.models import CommitteeKind, VillageCommittee
from mentoring.selectors.committees import committees_visible_to
from mentoring.services import committees as services


class CommitteeSerializer(serializers.ModelSerializer):
    district_code = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = VillageCommittee
        fields = ["id", "district", "district_code", "code", "name", "kind", "created_at"]
        read_only_fields = fields


class CommitteeCreateInput(StrictSerializer):
    district = district_field()
    code = serializers.CharField(max_length=services.CODE_LENGTH)
    name = serializers.CharField(max_length=services.NAME_LENGTH)
    kind = serializers.ChoiceField(choices=CommitteeKind.choices, default=CommitteeKind.VILLAGE)


class CommitteeUpdateInput(StrictSerializer):
    code = serializers.CharField(max_length=services.CODE_LENGTH, required=False)
    name = serializers.CharField(max_length=services.NAME_LENGTH, required=False)
    kind = serializers.ChoiceField(choices=CommitteeKind.choices, required=False)


class CommitteeFilter(django_filters.FilterSet):
    district = district_filter()
    code = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=CommitteeKind.choices)

    class Meta:
        model = VillageCommittee
        fields = ["district", "code", "kind"]


class VillageCommitteeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The committees of the user's districts; the district's administrators add and change them.

    Filters: `district`, `code`, `kind`.
    """

    queryset = VillageCommittee.objects.none()
    serializer_class = CommitteeSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = CommitteeFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return committees_visible_to(self.request.user).order_by("district__code", "code")

    @extend_schema(request=CommitteeCreateInput, responses={201: CommitteeSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            CommitteeCreateInput(data=request.data),
            lambda errors, fields: services.committee_problems(
                errors,
                by=request.user,
                committee=None,
                district_id=fields.get("district"),
                code=fields.get("code"),
                name=fields.get("name"),
                kind=fields.get("kind"),
            ),
        )
        committee = services.committee_create(
            by=request.user,
            district_id=data["district"],
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
        )
        fresh = self.get_queryset().get(pk=committee.pk)
        return Response(CommitteeSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CommitteeUpdateInput, responses=CommitteeSerializer)
    def partial_update(self, request, *args, **kwargs):
        committee = self.get_object()
        data = validated_data(
            CommitteeUpdateInput(data=request.data),
            lambda errors, fields: services.committee_problems(
                errors, by=request.user, committee=committee, **fields
            ),
        )
        services.committee_update(by=request.user, committee=committee, **data)
        return Response(CommitteeSerializer(self.get_queryset().get(pk=committee.pk)).data)
