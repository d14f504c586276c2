"""/api/v1/pledges/: pledges of money or items."""

from collections.abc import Mapping
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import validated_data
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.money import yuan
from core.serializers import StrictSerializer, YuanField
from donations.apis.codes import project_field
from donations.apis.common import created
from donations.models import Pledge, PledgeKind, PledgeSchedule
from donations.selectors.scoping import pledges_visible_to
from donations.services.pledges import (
    pledge_amount_problem,
    pledge_cancel,
    pledge_create,
    pledge_create_problems,
    pledge_donor_id,
    pledge_due_date_problem,
    pledge_instalments_in_units,
)


class PledgeInstalmentSerializer(StrictSerializer):
    due_on = serializers.DateField(
        help_text=_("From today to PLEDGE_MAX_YEARS_AHEAD (five by default) years ahead.")
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Yuan for money (two decimals at most), a whole count for items."),
    )

    def validate_due_on(self, value):
        # Checked here too, so that a bad date is named with every other bad field.
        problem = pledge_due_date_problem(value, today=timezone.localdate())
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_amount(self, value):
        # A count of items is whole. Checked on the row, beside its due date, so that
        # every bad field of every row is named in one answer, by row
        # (`{"instalments": {"0": {"due_on": [...], "amount": [...]}}}`), as the
        # donor's page shows them; the pledge's own validate() would not run once
        # any row had failed, and would name one row's error only.
        data = getattr(self.root, "initial_data", None)
        kind = data.get("kind") if isinstance(data, Mapping) else None
        problem = pledge_amount_problem(kind, value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class PledgeSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    project = serializers.CharField(source="project.code", allow_null=True, read_only=True)
    unit_value = YuanField(source="unit_value_fen", read_only=True)
    instalments = serializers.SerializerMethodField()

    class Meta:
        model = Pledge
        fields = [
            "id",
            "donor",
            "donor_name",
            "kind",
            "project",
            "purpose",
            "schedule",
            "status",
            "item_name",
            "item_unit",
            "unit_value",
            "instalments",
            "note",
            "cancel_reason",
            "created_at",
        ]

    def get_instalments(self, pledge) -> list[dict]:
        money = pledge.kind == PledgeKind.MONEY
        return [
            {
                "due_on": i.due_on,
                "amount": yuan(i.amount) if money else i.amount,
            }
            for i in pledge.instalments.all()
        ]


class PledgeCreateSerializer(StrictSerializer):
    donor = serializers.IntegerField(min_value=1, required=False)
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    schedule = serializers.ChoiceField(choices=PledgeSchedule.choices)
    project = project_field(required=False, allow_null=True, default=None)
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    item_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    item_unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    unit_value = YuanField(max_digits=12, min_value=Decimal("0"), default=Decimal("0"))
    instalments = PledgeInstalmentSerializer(many=True, allow_empty=False, max_length=60)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PledgeCancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class PledgeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Pledges of money or items. A donor pledges and sees its own; administrators their district's.

    An `Idempotency-Key` makes a retried POST safe: the first answer is
    replayed, and the same key with another body answers 422.
    """

    queryset = Pledge.objects.none()
    serializer_class = PledgeSerializer

    def get_queryset(self):
        return pledges_visible_to(self.request.user)

    @extend_schema(
        request=PledgeCreateSerializer,
        responses={201: PledgeSerializer},
        parameters=[
            OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)
        ],
    )
    @idempotent(scope="pledges")
    def create(self, request, *args, **kwargs):
        data = validated_data(
            PledgeCreateSerializer(data=request.data),
            lambda errors, fields: pledge_create_problems(
                errors,
                by=request.user,
                donor_id=pledge_donor_id(by=request.user, donor_id=fields.get("donor")),
                kind=fields.get("kind"),
                schedule=fields.get("schedule"),
                instalments=(
                    pledge_instalments_in_units(
                        kind=fields["kind"], instalments=fields["instalments"]
                    )
                    if "instalments" in fields and "kind" in fields
                    else None
                ),
                project_id=fields.get("project"),
                purpose=fields.get("purpose"),
                item_name=fields.get("item_name"),
                item_unit=fields.get("item_unit"),
            ),
        )
        pledge = pledge_create(
            by=request.user,
            donor_id=pledge_donor_id(by=request.user, donor_id=data.get("donor")),
            kind=data["kind"],
            schedule=data["schedule"],
            instalments=pledge_instalments_in_units(
                kind=data["kind"], instalments=data["instalments"]
            ),
            project_id=data["project"],
            purpose=data["purpose"],
            item_name=data["item_name"],
            item_unit=data["item_unit"],
            unit_value_fen=data["unit_value"],
            note=data["note"],
        )
        return created(self, pledge)

    @extend_schema(request=PledgeCancelSerializer, responses=PledgeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        pledge = self.get_object()
        payload = PledgeCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        pledge_cancel(by=request.user, pledge=pledge, reason=payload.validated_data["reason"])
        return Response(PledgeSerializer(self.get_queryset().get(pk=pledge.pk)).data)
