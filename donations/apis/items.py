"""/api/v1/item-donations/ and /api/v1/item-distributions/: items received and given."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from core.errors import validated_data
from core.permissions import AdministratorsWrite, IsAdministrator
from core.serializers import StrictSerializer, YuanField
from donations.apis.common import created
from donations.models import ItemDistribution, ItemDonation
from donations.selectors.scoping import item_distributions_visible_to, item_donations_visible_to
from donations.services.items import (
    item_distribute,
    item_distribute_problems,
    item_donation_record,
    item_donation_record_problems,
)
from mentoring.apis.access_log import RecordsStudentAccess


class ItemDonationSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item_kind.name", read_only=True)
    unit = serializers.CharField(source="item_kind.unit", read_only=True)
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    value = YuanField(source="value_fen", read_only=True)

    class Meta:
        model = ItemDonation
        fields = [
            "id",
            "item_kind",
            "item",
            "unit",
            "quantity",
            "value",
            "donor",
            "donor_name",
            "pledge",
            "received_on",
            "created_at",
        ]


class ItemDonationCreateSerializer(StrictSerializer):
    donor = serializers.IntegerField(min_value=1)
    item_kind = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    value = YuanField(max_digits=12, min_value=Decimal("0"), default=Decimal("0"))
    received_on = serializers.DateField()
    pledge = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ItemDonationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Items received into stock; administrators record them, a donor reads its own."""

    queryset = ItemDonation.objects.none()
    permission_classes = [AdministratorsWrite]
    serializer_class = ItemDonationSerializer

    def get_queryset(self):
        return item_donations_visible_to(self.request.user)

    @extend_schema(request=ItemDonationCreateSerializer, responses={201: ItemDonationSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ItemDonationCreateSerializer(data=request.data),
            lambda errors, fields: item_donation_record_problems(
                errors,
                by=request.user,
                donor_id=fields.get("donor"),
                item_kind_id=fields.get("item_kind"),
                quantity=fields.get("quantity"),
                value_fen=fields.get("value"),
                received_on=fields.get("received_on"),
                pledge_id=fields.get("pledge"),
            ),
        )
        donation = item_donation_record(
            by=request.user,
            donor_id=data["donor"],
            item_kind_id=data["item_kind"],
            quantity=data["quantity"],
            value_fen=data["value"],
            received_on=data["received_on"],
            pledge_id=data["pledge"],
        )
        return created(self, donation)


class ItemDistributionSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item_kind.name", read_only=True)
    student_name = serializers.CharField(source="student.name", read_only=True)

    class Meta:
        model = ItemDistribution
        fields = [
            "id",
            "item_kind",
            "item",
            "quantity",
            "student",
            "student_name",
            "given_on",
            "signed_by_student",
            "signed_by_guardian",
            "created_at",
        ]


class ItemDistributionCreateSerializer(StrictSerializer):
    item_kind = serializers.IntegerField(min_value=1)
    student = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    given_on = serializers.DateField()
    signed_by_student = serializers.BooleanField()
    signed_by_guardian = serializers.BooleanField()


class ItemDistributionViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Items given to students of the administrator's schools, against both signatures."""

    queryset = ItemDistribution.objects.none()
    serializer_class = ItemDistributionSerializer
    permission_classes = [IsAuthenticated, IsAdministrator]

    def get_queryset(self):
        return item_distributions_visible_to(self.request.user)

    @extend_schema(
        request=ItemDistributionCreateSerializer, responses={201: ItemDistributionSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ItemDistributionCreateSerializer(data=request.data),
            lambda errors, fields: item_distribute_problems(
                errors,
                by=request.user,
                item_kind_id=fields.get("item_kind"),
                student_id=fields.get("student"),
                quantity=fields.get("quantity"),
                given_on=fields.get("given_on"),
                signed_by_student=fields.get("signed_by_student"),
                signed_by_guardian=fields.get("signed_by_guardian"),
            ),
        )
        given = item_distribute(
            by=request.user,
            item_kind_id=data["item_kind"],
            student_id=data["student"],
            quantity=data["quantity"],
            given_on=data["given_on"],
            signed_by_student=data["signed_by_student"],
            signed_by_guardian=data["signed_by_guardian"],
        )
        return created(self, given)
