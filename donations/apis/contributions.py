"""/api/v1/contributions/: money received from donors."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets

from core.errors import validated_data
from core.filters import NumberFilter
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent
from core.money import CENT
from core.permissions import AdministratorsWrite
from core.serializers import StrictSerializer, YuanField
from donations.apis.codes import project_field, project_filter
from donations.apis.common import created
from donations.models import Contribution, ContributionStatus
from donations.selectors.scoping import contributions_visible_to
from donations.services.contributions import contribution_record, contribution_record_problems


class ContributionSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    project = serializers.CharField(source="project.code", read_only=True)
    amount = YuanField(source="amount_fen", read_only=True)

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
    project = project_field()
    amount = YuanField(
        max_digits=12,
        min_value=CENT,
        help_text=_("Yuan, at most two decimal places."),
    )
    received_on = serializers.DateField()
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pledge = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ContributionFilter(django_filters.FilterSet):
    project = project_filter()
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
            lambda errors, fields: contribution_record_problems(
                errors,
                by=request.user,
                donor_id=fields.get("donor"),
                project_id=fields.get("project"),
                amount_fen=fields.get("amount"),
                received_on=fields.get("received_on"),
                pledge_id=fields.get("pledge"),
            ),
        )
        contribution = contribution_record(
            by=request.user,
            donor_id=data["donor"],
            project_id=data["project"],
            amount_fen=data["amount"],
            received_on=data["received_on"],
            memo=data["memo"],
            pledge_id=data["pledge"],
        )
        return created(self, contribution)
