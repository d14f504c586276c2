"""/api/v1/fund-accounts/ and /api/v1/ledger/: fund accounts and the ledger, read-only.

Money moves through the aid and donation flows; an appropriation entered wrongly
is corrected by a reversal.
"""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated

from core.filters import NumberFilter
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer, YuanField
from donations.apis.codes import project_filter
from donations.apis.common import created
from donations.models import FundAccount, FundSource, LedgerEntry, LedgerKind
from donations.selectors.scoping import (
    fund_accounts_visible_to,
    ledger_visible_to,
    reads_fund_accounts,
)
from donations.services.projects import appropriation_reverse
from mentoring.apis.codes import district_filter


class FundAccountSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    project_name = serializers.CharField(source="project.name")
    source = serializers.CharField(source="project.source")
    purpose = serializers.CharField(source="project.purpose")
    district = serializers.CharField(source="project.district.code")
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(source="project.district_id", read_only=True)
    balance = YuanField(source="balance_fen", read_only=True)
    received = YuanField(source="received_fen", read_only=True)
    paid_out = YuanField(source="paid_fen", read_only=True)
    reversed = YuanField(source="reversed_fen", read_only=True)

    class Meta:
        model = FundAccount
        fields = [
            "id",
            "project",
            "project_name",
            "source",
            "purpose",
            "district",
            "district_id",
            "balance",
            "received",
            "paid_out",
            "reversed",
            "updated_at",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="account.project.code")
    amount = YuanField(source="amount_fen", read_only=True)
    balance_after = YuanField(source="balance_after_fen", read_only=True)
    # Null where the row has none (an entry that reverses no other): the schema says so.
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reverses = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "account",
            "project",
            "kind",
            "amount",
            "balance_after",
            "memo",
            "reverses",
            "created_by",
            "created_at",
        ]


class ReverseSerializer(StrictSerializer):
    memo = serializers.CharField(max_length=200)


class CanReadFunds(BasePermission):
    """Administrators and supervisors; teachers, volunteers and donors see no accounts."""

    def has_permission(self, request, view):
        return reads_fund_accounts(request.user)


class FundAccountFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(field_name="project__source", choices=FundSource.choices)
    district = district_filter(field_name="project__district")

    class Meta:
        model = FundAccount
        fields = ["source", "district"]


class FundAccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Each aid project's account (专户): balance, money received and paid out."""

    queryset = FundAccount.objects.none()
    serializer_class = FundAccountSerializer
    permission_classes = [IsAuthenticated, CanReadFunds]
    filterset_class = FundAccountFilter

    def get_queryset(self):
        return fund_accounts_visible_to(self.request.user)


class LedgerFilter(django_filters.FilterSet):
    account = NumberFilter()
    project = project_filter(field_name="account__project")
    kind = django_filters.ChoiceFilter(choices=LedgerKind.choices)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = LedgerEntry
        fields = ["account", "project", "kind"]


class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    """Every movement of money, in order; read-only (corrections are reversals)."""

    queryset = LedgerEntry.objects.none()
    serializer_class = LedgerEntrySerializer
    permission_classes = [IsAuthenticated, IsAdministrator]
    filterset_class = LedgerFilter

    def get_queryset(self):
        return ledger_visible_to(self.request.user).order_by("account", "pk")

    @extend_schema(request=ReverseSerializer, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Correct an appropriation entered wrongly by a new, opposite entry; the entry stays.

        Only the district's administrators; payments and contributions are
        corrected through their own records, never by reversing the ledger alone.
        """
        entry = self.get_object()
        payload = ReverseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reversal = appropriation_reverse(
            by=request.user, entry_id=entry.pk, memo=payload.validated_data["memo"]
        )
        return created(self, reversal)
