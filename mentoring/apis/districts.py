"""/api/v1/districts/: read by the district's members, added and changed by platform administrators.

A signed-in user sees the districts of the schools they hold a role in
(`mentoring.selectors.scoping.districts_visible_to`), any other answers
404; a platform administrator sees them all. Writes call
`mentoring.services.districts`, which refuses anyone else (403).
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.errors import validated_data
from core.serializers import StrictModelSerializer, StrictSerializer
from mentoring.models import District
from mentoring.selectors.scoping import districts_visible_to
from mentoring.services import districts as services
from mentoring.services.districts import TIER_CODE_LENGTH

# Ten tiers is more than any province uses (three or four).
MAX_TIERS = 10


class TierSerializer(StrictSerializer):
    code = serializers.CharField(max_length=TIER_CODE_LENGTH)
    name = serializers.CharField(max_length=50)


class DistrictSerializer(StrictModelSerializer):
    tiers = TierSerializer(
        many=True,
        required=False,
        min_length=1,
        max_length=MAX_TIERS,
        help_text=_("The hardship tiers, most needy first."),
    )

    class Meta:
        model = District
        fields = [
            "id",
            "code",
            "name",
            "tiers",
            "notice_working_days",
            "same_gender_from_age",
            # The complaint line (举报电话) every public notice of the district prints.
            "complaint_phone",
        ]
        # The generated unique check would answer with Django's wording;
        # district_create refuses a taken code under `code` in its own.
        extra_kwargs = {"code": {"validators": []}}


class DistrictUpdateSerializer(DistrictSerializer):
    code = serializers.CharField(read_only=True)
    refused_messages = {"code": _("A district's code cannot change.")}


class DistrictFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()

    class Meta:
        model = District
        fields = ["code"]


def _plain(data: dict) -> dict:
    """The validated fields as the service takes them (tiers as plain dicts)."""
    if "tiers" in data:
        data = {**data, "tiers": [dict(tier) for tier in data["tiers"]]}
    return data


class DistrictViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Districts of the user's schools; platform administrators add and change them."""

    queryset = District.objects.none()
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return districts_visible_to(self.request.user).order_by("code")

    def create(self, request, *args, **kwargs):
        data = validated_data(
            DistrictSerializer(data=request.data),
            lambda errors, fields: services.district_create_problems(
                errors, by=request.user, **_plain(fields)
            ),
        )
        district = services.district_create(by=request.user, **_plain(data))
        return Response(DistrictSerializer(district).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DistrictUpdateSerializer, responses=DistrictSerializer)
    def partial_update(self, request, *args, **kwargs):
        district = self.get_object()
        data = validated_data(
            DistrictUpdateSerializer(district, data=request.data, partial=True),
            lambda errors, fields: services.district_update_problems(
                errors, by=request.user, district=district, **_plain(fields)
            ),
        )
        district = services.district_update(by=request.user, district=district, **_plain(data))
        return Response(DistrictSerializer(district).data)
