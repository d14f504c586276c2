"""/api/v1/disbursements/: payments of awards, and their reversal."""

import datetime

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.money import CENT
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer, YuanField
from donations.apis.common import CorrectionSerializer, created
from donations.models import MAX_INSTALMENTS, Disbursement, PaymentMethod
from donations.selectors.scoping import disbursements_visible_to
from donations.services.disbursements import (
    disbursement_pay,
    disbursement_pay_problems,
    disbursement_reverse,
)


class DisbursementSerializer(serializers.ModelSerializer):
    amount = YuanField(source="amount_fen", read_only=True)
    paid_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reversed_by = serializers.SerializerMethodField()
    reversed_at = serializers.SerializerMethodField()
    reversal_reason = serializers.SerializerMethodField()

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "award",
            "instalment",
            "amount",
            "method",
            "paid_on",
            "bank_reference",
            "signed_by_student",
            "signed_by_guardian",
            "ledger_entry",
            "paid_by",
            "reversal",
            "reversed_by",
            "reversed_at",
            "reversal_reason",
            "created_at",
        ]

    # Who reversed a payment, when and why live on the reversing ledger entry.
    def get_reversed_by(self, obj) -> str | None:
        user = obj.reversal.created_by if obj.reversal else None
        return user.username if user else None

    def get_reversed_at(self, obj) -> datetime.datetime | None:
        return obj.reversal.created_at if obj.reversal else None

    def get_reversal_reason(self, obj) -> str | None:
        return obj.reversal.memo if obj.reversal else None


class DisbursementCreateSerializer(StrictSerializer):
    award = serializers.IntegerField(min_value=1)
    instalment = serializers.IntegerField(min_value=1, max_value=MAX_INSTALMENTS, default=1)
    amount = YuanField(
        max_digits=12,
        min_value=CENT,
        required=False,
        help_text=_("Yuan; when given, it must be the planned amount of the instalment."),
    )
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    paid_on = serializers.DateField()
    bank_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    signed_by_student = serializers.BooleanField(default=False)
    signed_by_guardian = serializers.BooleanField(default=False)


class DisbursementFilter(django_filters.FilterSet):
    award = NumberFilter()

    class Meta:
        model = Disbursement
        fields = ["award"]


class DisbursementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payments of awards: one planned instalment each, for its amount, once.

    Paying an instalment already paid, or an award paid in full, answers 409
    and writes nothing. A district administrator reverses a payment made in
    error, saying why; the instalment can then be paid again.
    """

    queryset = Disbursement.objects.none()
    serializer_class = DisbursementSerializer
    permission_classes = [IsAuthenticated, IsAdministrator]
    filterset_class = DisbursementFilter

    def get_queryset(self):
        return disbursements_visible_to(self.request.user)

    @extend_schema(
        request=DisbursementCreateSerializer,
        responses={201: DisbursementSerializer},
        parameters=[
            OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)
        ],
    )
    @idempotent(scope="disbursements")
    def create(self, request, *args, **kwargs):
        data = dict(
            validated_data(
                DisbursementCreateSerializer(data=request.data),
                lambda errors, fields: disbursement_pay_problems(
                    errors,
                    by=request.user,
                    award_id=fields.get("award"),
                    method=fields.get("method"),
                    paid_on=fields.get("paid_on"),
                    instalment=fields.get("instalment"),
                    amount_fen=fields.get("amount"),
                    bank_reference=fields.get("bank_reference"),
                    signed_by_student=fields.get("signed_by_student"),
                    signed_by_guardian=fields.get("signed_by_guardian"),
                ),
            )
        )
        disbursement = disbursement_pay(
            by=request.user,
            award_id=data.pop("award"),
            amount_fen=data.pop("amount", None),
            **data,
        )
        return created(self, disbursement)

    @extend_schema(request=CorrectionSerializer, responses=DisbursementSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse a payment made in error (district administrators; the reason is kept)."""
        disbursement = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        disbursement_reverse(
            by=request.user,
            disbursement_id=disbursement.pk,
            reason=payload.validated_data["reason"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=disbursement.pk)).data)
