"""Fund accounts and the ledger, read-only: money moves through the aid and donation flows."""

import datetime
from decimal import Decimal

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import StrictSerializer
from donations import services
from donations.aid import appropriation_reverse
from donations.models import (
    MAX_INSTALMENTS,
    Award,
    AwardInstalment,
    AwardStatus,
    Contribution,
    ContributionStatus,
    Disbursement,
    Donor,
    DonorKind,
    FundAccount,
    FundSource,
    ItemDistribution,
    ItemDonation,
    LedgerEntry,
    LedgerKind,
    PaymentMethod,
    Pledge,
    PledgeKind,
    PledgeSchedule,
)
from donations.selectors import (
    awards_visible_to,
    contributions_visible_to,
    disbursements_visible_to,
    donor_outcomes,
    donors_visible_to,
    fund_accounts_visible_to,
    item_distributions_visible_to,
    item_donations_visible_to,
    ledger_visible_to,
    pledges_visible_to,
    public_donation_notice,
)
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.errors import NotPermitted, validated_data
from mentoring.filters import NumberFilter
from mentoring.idempotency import HEADER as IDEMPOTENCY_HEADER
from mentoring.idempotency import idempotent
from mentoring.models import AccessAction, District, Role
from mentoring.selectors.scoping import roles_of
from mentoring.services.access_log import access_record_request

FEN = Decimal("0.01")


class YuanField(serializers.DecimalField):
    """An amount kept in fen, shown as yuan with two decimal places."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, read_only=True, **kwargs)

    def to_representation(self, fen):
        return super().to_representation((Decimal(fen) * FEN).quantize(FEN))


class FundAccountSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    project_name = serializers.CharField(source="project.name")
    source = serializers.CharField(source="project.source")
    purpose = serializers.CharField(source="project.purpose")
    district = serializers.CharField(source="project.district.code")
    balance = YuanField(source="balance_fen")
    received = YuanField(source="received_fen")
    paid_out = YuanField(source="paid_fen")
    reversed = YuanField(source="reversed_fen")

    class Meta:
        model = FundAccount
        fields = [
            "id",
            "project",
            "project_name",
            "source",
            "purpose",
            "district",
            "balance",
            "received",
            "paid_out",
            "reversed",
            "updated_at",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="account.project.code")
    amount = YuanField(source="amount_fen")
    balance_after = YuanField(source="balance_after_fen")
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
        return bool(roles_of(request.user) & {Role.ADMINISTRATOR, Role.SUPERVISOR})


class IsAdministrator(BasePermission):
    def has_permission(self, request, view):
        return Role.ADMINISTRATOR in roles_of(request.user)


class AdministratorsWrite(BasePermission):
    """Anyone signed in reads (the queryset scopes what); only administrators write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return Role.ADMINISTRATOR in roles_of(request.user)


def created(view, obj) -> Response:
    """201 with the new record as the view's own list shows it (scoped, with its joins)."""
    fresh = view.get_queryset().get(pk=obj.pk)
    return Response(view.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


def fen(yuan: Decimal) -> int:
    """Yuan with at most two decimals (validated by the serializer) as integer fen."""
    return int(yuan * 100)


class FundAccountFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(field_name="project__source", choices=FundSource.choices)
    district = django_filters.CharFilter(field_name="project__district__code")

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
    project = django_filters.CharFilter(field_name="account__project__code")
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


class DonorSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = Donor
        fields = ["id", "district", "kind", "name", "anonymous", "created_at"]


class NamedStudentSerializer(serializers.Serializer):
    name = serializers.CharField()
    school = serializers.CharField()


class ProjectOutcomeSerializer(serializers.Serializer):
    project = serializers.CharField()
    name = serializers.CharField()
    given = YuanField(source="given_fen")
    project_paid = YuanField(source="project_paid_fen")
    students_helped = serializers.IntegerField()
    named_students = NamedStudentSerializer(many=True)


class ItemOutcomeSerializer(serializers.Serializer):
    item = serializers.CharField()
    unit = serializers.CharField()
    donated = serializers.IntegerField()
    value = YuanField(source="value_fen")
    given_out = serializers.IntegerField()
    students_given = serializers.IntegerField()
    named_students = NamedStudentSerializer(many=True)


class DonorOutcomesSerializer(serializers.Serializer):
    projects = ProjectOutcomeSerializer(many=True)
    items = ItemOutcomeSerializer(many=True)


class DonorInput(StrictSerializer):
    district = serializers.CharField(max_length=32, required=False)
    kind = serializers.ChoiceField(choices=DonorKind.choices)
    name = serializers.CharField(max_length=200)
    anonymous = serializers.BooleanField(default=False)
    user = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class DonorUpdateInput(DonorInput):
    # A donor stays in the district it was registered in.
    district = None


class DonorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Donors of the administrator's districts; a donor sees itself and changes its own
    name and whether it stays anonymous in published notices."""

    queryset = Donor.objects.none()
    serializer_class = DonorSerializer

    def get_queryset(self):
        return donors_visible_to(self.request.user).order_by("district__code", "name")

    @extend_schema(request=DonorInput, responses={201: DonorSerializer})
    def create(self, request, *args, **kwargs):
        if Role.ADMINISTRATOR not in roles_of(request.user):
            raise NotPermitted(_("Only administrators register donors."))
        payload = DonorInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        donor = services.donor_save(
            by=request.user,
            district_code=data.get("district", ""),
            kind=data["kind"],
            name=data["name"],
            anonymous=data["anonymous"],
            user_id=data.get("user"),
        )
        return created(self, donor)

    @extend_schema(request=DonorUpdateInput, responses=DonorSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=DonorUpdateInput, responses=DonorSerializer)
    def update(self, request, *args, **kwargs):
        donor = self.get_object()
        payload = DonorUpdateInput(data=request.data, partial=kwargs.get("partial", False))
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.donor_save(
            by=request.user,
            donor=donor,
            kind=data.get("kind"),
            name=data.get("name"),
            anonymous=data.get("anonymous"),
            user_id=data.get("user"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=donor.pk)).data)

    @extend_schema(responses=DonorOutcomesSerializer)
    @action(detail=True, methods=["get"])
    def outcomes(self, request, pk=None):
        """What the donor's gifts went to, in totals; students named only with consent."""
        donor = self.get_object()
        outcomes = donor_outcomes(donor)
        named = [
            student["id"]
            for part in ("projects", "items")
            for row in outcomes[part]
            for student in row["named_students"]
        ]
        access_record_request(
            request, action=AccessAction.READ, kind="donor", student_ids=named, object_id=donor.pk
        )
        return Response(DonorOutcomesSerializer(outcomes).data)


class ContributionSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    project = serializers.CharField(source="project.code", read_only=True)
    amount = YuanField(source="amount_fen")

    class Meta:
        model = Contribution
        fields = [
            "id",
            "donor",
            "donor_name",
            "project",
            "pledge",
            "amount",
            "received_on",
            "memo",
            "status",
            "receipt_number",
            "ledger_entry",
            "posted_at",
            "created_at",
        ]


class ContributionCreateSerializer(StrictSerializer):
    donor = serializers.IntegerField(min_value=1)
    project = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Yuan, at most two decimal places."),
    )
    received_on = serializers.DateField()
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pledge = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ContributionFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=ContributionStatus.choices)
    donor = NumberFilter()

    class Meta:
        model = Contribution
        fields = ["project", "status", "donor"]


class ContributionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Money received; posted to the project's fund account by a background job, once.

    Administrators record contributions (an `Idempotency-Key` makes a retry
    safe); a donor reads its own.
    """

    queryset = Contribution.objects.none()
    permission_classes = [AdministratorsWrite]
    serializer_class = ContributionSerializer
    filterset_class = ContributionFilter

    def get_queryset(self):
        return contributions_visible_to(self.request.user)

    @extend_schema(
        request=ContributionCreateSerializer,
        responses={201: ContributionSerializer},
        parameters=[
            OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER, required=False)
        ],
    )
    @idempotent(scope="contributions")
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ContributionCreateSerializer(data=request.data),
            lambda errors, fields: services.contribution_record_problems(
                errors,
                by=request.user,
                donor_id=fields.get("donor"),
                project_id=fields.get("project"),
                amount_fen=fen(fields["amount"]) if "amount" in fields else None,
                received_on=fields.get("received_on"),
                pledge_id=fields.get("pledge"),
            ),
        )
        contribution = services.contribution_record(
            by=request.user,
            donor_id=data["donor"],
            project_id=data["project"],
            amount_fen=fen(data["amount"]),
            received_on=data["received_on"],
            memo=data["memo"],
            pledge_id=data["pledge"],
        )
        return created(self, contribution)


class AwardInstalmentSerializer(serializers.ModelSerializer):
    amount = YuanField(source="amount_fen")

    class Meta:
        model = AwardInstalment
        fields = ["number", "amount"]


class AwardSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    student_name = serializers.CharField(source="student.name")
    school = serializers.CharField(source="student.school.code")
    term = serializers.CharField(source="term.code")
    amount = YuanField(source="amount_fen")
    paid = YuanField(source="paid_fen")
    instalments = AwardInstalmentSerializer(source="plan", many=True, read_only=True)
    # Null until the award is cancelled: the schema says so (schemathesis found it).
    cancelled_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Award
        fields = [
            "id",
            "project",
            "student",
            "student_name",
            "school",
            "term",
            "amount",
            "instalments",
            "paid",
            "status",
            "purpose",
            "reason",
            "cancelled_by",
            "cancelled_at",
            "cancel_reason",
            "created_at",
        ]


class AwardCreateSerializer(StrictSerializer):
    project = serializers.IntegerField(min_value=1)
    student = serializers.IntegerField(min_value=1)
    term = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    instalments = serializers.ListField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01")),
        min_length=1,
        max_length=MAX_INSTALMENTS,
        required=False,
        help_text=_(
            "The amount of each instalment, in yuan, in order; they add up to the award. "
            "One instalment of the whole amount when left out."
        ),
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CorrectionSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200)


class AwardFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code")
    status = django_filters.ChoiceFilter(choices=AwardStatus.choices)
    term = NumberFilter()
    school = NumberFilter(field_name="student__school")
    student = NumberFilter()

    class Meta:
        model = Award
        fields = ["project", "status", "term", "school", "student"]


class AwardViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Aid awarded to students of the administrator's schools; duplicate aid is refused.

    An award is paid in its planned instalments (one by default). A district
    administrator cancels an award that is not paid, saying why.
    """

    queryset = Award.objects.none()
    serializer_class = AwardSerializer
    permission_classes = [IsAuthenticated, IsAdministrator]
    filterset_class = AwardFilter

    def get_queryset(self):
        return awards_visible_to(self.request.user)

    @extend_schema(request=AwardCreateSerializer, responses={201: AwardSerializer})
    def create(self, request, *args, **kwargs):
        data = validated_data(
            AwardCreateSerializer(data=request.data),
            lambda errors, fields: services.award_create_problems(
                errors,
                by=request.user,
                project_id=fields.get("project"),
                student_id=fields.get("student"),
                term_id=fields.get("term"),
                amount_fen=fen(fields["amount"]) if "amount" in fields else None,
                instalments=(
                    [fen(a) for a in fields["instalments"]] if "instalments" in fields else None
                ),
            ),
        )
        award = services.award_create(
            by=request.user,
            project_id=data["project"],
            student_id=data["student"],
            term_id=data["term"],
            amount_fen=fen(data["amount"]),
            reason=data["reason"],
            instalments=[fen(a) for a in data["instalments"]] if "instalments" in data else None,
        )
        return created(self, award)

    @extend_schema(request=CorrectionSerializer, responses=AwardSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an award that is not paid (district administrators; the reason is kept)."""
        award = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.award_cancel(
            by=request.user, award_id=award.pk, reason=payload.validated_data["reason"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=award.pk)).data)


class DisbursementSerializer(serializers.ModelSerializer):
    amount = YuanField(source="amount_fen")
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
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
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
                lambda errors, fields: services.disbursement_pay_problems(
                    errors,
                    by=request.user,
                    award_id=fields.get("award"),
                    method=fields.get("method"),
                    paid_on=fields.get("paid_on"),
                    instalment=fields.get("instalment"),
                    amount_fen=fen(fields["amount"]) if "amount" in fields else None,
                    bank_reference=fields.get("bank_reference"),
                    signed_by_student=fields.get("signed_by_student"),
                    signed_by_guardian=fields.get("signed_by_guardian"),
                ),
            )
        )
        amount = data.pop("amount", None)
        disbursement = services.disbursement_pay(
            by=request.user,
            award_id=data.pop("award"),
            amount_fen=None if amount is None else fen(amount),
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
        services.disbursement_reverse(
            by=request.user,
            disbursement_id=disbursement.pk,
            reason=payload.validated_data["reason"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=disbursement.pk)).data)


class ItemDonationSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item_kind.name", read_only=True)
    unit = serializers.CharField(source="item_kind.unit", read_only=True)
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    value = YuanField(source="value_fen")

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
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
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
            lambda errors, fields: services.item_donation_record_problems(
                errors,
                by=request.user,
                donor_id=fields.get("donor"),
                item_kind_id=fields.get("item_kind"),
                quantity=fields.get("quantity"),
                value_fen=fen(fields["value"]) if "value" in fields else None,
                received_on=fields.get("received_on"),
                pledge_id=fields.get("pledge"),
            ),
        )
        donation = services.item_donation_record(
            by=request.user,
            donor_id=data["donor"],
            item_kind_id=data["item_kind"],
            quantity=data["quantity"],
            value_fen=fen(data["value"]),
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
            lambda errors, fields: services.item_distribute_problems(
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
        given = services.item_distribute(
            by=request.user,
            item_kind_id=data["item_kind"],
            student_id=data["student"],
            quantity=data["quantity"],
            given_on=data["given_on"],
            signed_by_student=data["signed_by_student"],
            signed_by_guardian=data["signed_by_guardian"],
        )
        return created(self, given)


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
        problem = services.pledge_due_date_problem(value, today=timezone.localdate())
        if problem:
            raise serializers.ValidationError(problem)
        return value


class PledgeSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    project = serializers.CharField(source="project.code", allow_null=True, read_only=True)
    unit_value = YuanField(source="unit_value_fen")
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
            "created_at",
        ]

    def get_instalments(self, pledge) -> list[dict]:
        money = pledge.kind == PledgeKind.MONEY
        return [
            {
                "due_on": i.due_on,
                "amount": str((Decimal(i.amount) * FEN).quantize(FEN)) if money else i.amount,
            }
            for i in pledge.instalments.all()
        ]


class PledgeCreateSerializer(StrictSerializer):
    donor = serializers.IntegerField(min_value=1, required=False)
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    schedule = serializers.ChoiceField(choices=PledgeSchedule.choices)
    project = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    item_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    item_unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    unit_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0")
    )
    instalments = PledgeInstalmentSerializer(many=True, allow_empty=False, max_length=60)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["kind"] == PledgeKind.ITEMS:
            for instalment in attrs["instalments"]:
                if instalment["amount"] != instalment["amount"].to_integral_value():
                    raise serializers.ValidationError(
                        {"instalments": [_("Items are counted in whole numbers.")]}
                    )
        return attrs


def _pledge_donor_id(request, data) -> int:
    """The donor named, or the user's own donor (0: none, which no donor has)."""
    return data.get("donor") or getattr(getattr(request.user, "donor", None), "pk", 0)


def _pledge_instalments(data) -> list[tuple]:
    """(due date, amount): fen for money, a count for items."""
    scale = 100 if data["kind"] == PledgeKind.MONEY else 1
    return [(i["due_on"], int(i["amount"] * scale)) for i in data["instalments"]]


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
            lambda errors, fields: services.pledge_create_problems(
                errors,
                by=request.user,
                donor_id=_pledge_donor_id(request, fields),
                kind=fields.get("kind"),
                schedule=fields.get("schedule"),
                instalments=(
                    _pledge_instalments(fields)
                    if "instalments" in fields and "kind" in fields
                    else None
                ),
                project_id=fields.get("project"),
                purpose=fields.get("purpose"),
                item_name=fields.get("item_name"),
                item_unit=fields.get("item_unit"),
            ),
        )
        pledge = services.pledge_create(
            by=request.user,
            donor_id=_pledge_donor_id(request, data),
            kind=data["kind"],
            schedule=data["schedule"],
            instalments=_pledge_instalments(data),
            project_id=data["project"],
            purpose=data["purpose"],
            item_name=data["item_name"],
            item_unit=data["item_unit"],
            unit_value_fen=fen(data["unit_value"]),
            note=data["note"],
        )
        return created(self, pledge)

    @extend_schema(request=PledgeCancelSerializer, responses=PledgeSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        pledge = self.get_object()
        payload = PledgeCancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.pledge_cancel(
            by=request.user, pledge=pledge, reason=payload.validated_data["reason"]
        )
        return Response(PledgeSerializer(self.get_queryset().get(pk=pledge.pk)).data)


class PublicDonationNotice(APIView):
    """The published donation notice (捐赠公示) of a district: totals only, no login.

    `?district=<code>` is required. Anonymous donors appear as anonymous;
    no student is named.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("district", str, OpenApiParameter.QUERY, required=True)],
        responses=dict,
    )
    def get(self, request):
        code = request.query_params.get("district", "").strip()
        if not code or not District.objects.filter(code=code).exists():
            return Response({"district": [_("Give the code of a district.")]}, status=400)
        notice = public_donation_notice(district_code=code)

        return Response(
            {
                "district": code,
                "donors": [
                    {
                        "donor": row["donor"] or _("Anonymous"),
                        "money": services.yuan(row["money_fen"]),
                        "items": [
                            {
                                "item": i["item_kind__name"],
                                "unit": i["item_kind__unit"],
                                "quantity": i["quantity"],
                                "value": services.yuan(i["value"]),
                            }
                            for i in row["items"]
                        ],
                    }
                    for row in notice["donors"]
                ],
                "projects_received": [
                    {
                        "project": p["code"],
                        "name": p["name"],
                        "received": services.yuan(p["received"]),
                    }
                    for p in notice["projects_received"]
                ],
                "paid_out": [
                    {
                        "project": p["award__project__code"],
                        "name": p["award__project__name"],
                        "paid": services.yuan(p["paid"]),
                        "payments": p["payments"],
                    }
                    for p in notice["paid_out"]
                ],
                "items_given": [
                    {
                        "item": i["item_kind__name"],
                        "unit": i["item_kind__unit"],
                        "quantity": i["quantity"],
                    }
                    for i in notice["items_given"]
                ],
            }
        )
