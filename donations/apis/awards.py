"""/api/v1/awards/: aid awarded to students, and its cancellation."""

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.documents import PDF_CONTENT_TYPE
from core.errors import validated_data
from core.filters import NumberFilter
from core.money import CENT
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer, YuanField
from donations.apis.codes import project_field, project_filter
from donations.apis.common import CorrectionSerializer, created
from donations.models import MAX_INSTALMENTS, Award, AwardInstalment, AwardStatus
from donations.selectors.scoping import awards_visible_to
from donations.services.awards import award_cancel, award_create, award_create_problems
from donations.services.payment_documents import award_notice_pdf
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_filter, term_field, term_filter
from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request


class AwardInstalmentSerializer(serializers.ModelSerializer):
    amount = YuanField(source="amount_fen", read_only=True)

    class Meta:
        model = AwardInstalment
        fields = ["number", "amount"]


class AwardSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    student_name = serializers.CharField(source="student.name")
    school = serializers.CharField(source="student.school.code")
    term = serializers.CharField(source="term.code")
    amount = YuanField(source="amount_fen", read_only=True)
    paid = YuanField(source="paid_fen", read_only=True)
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
    project = project_field()
    student = serializers.IntegerField(min_value=1)
    term = term_field()
    amount = YuanField(max_digits=12, min_value=CENT)
    instalments = serializers.ListField(
        child=YuanField(max_digits=12, min_value=CENT),
        min_length=1,
        max_length=MAX_INSTALMENTS,
        required=False,
        help_text=_(
            "The amount of each instalment, in yuan, in order; they add up to the award. "
            "One instalment of the whole amount when left out."
        ),
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AwardFilter(django_filters.FilterSet):
    project = project_filter()
    status = django_filters.ChoiceFilter(choices=AwardStatus.choices)
    term = term_filter()
    school = school_filter(field_name="student__school")
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
            lambda errors, fields: award_create_problems(
                errors,
                by=request.user,
                project_id=fields.get("project"),
                student_id=fields.get("student"),
                term_id=fields.get("term"),
                amount_fen=fields.get("amount"),
                instalments=fields.get("instalments"),
            ),
        )
        award = award_create(
            by=request.user,
            project_id=data["project"],
            student_id=data["student"],
            term_id=data["term"],
            amount_fen=data["amount"],
            reason=data["reason"],
            instalments=data.get("instalments"),
        )
        return created(self, award)

    @extend_schema(request=CorrectionSerializer, responses=AwardSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an award that is not paid (district administrators; the reason is kept)."""
        award = self.get_object()
        payload = CorrectionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        award_cancel(by=request.user, award_id=award.pk, reason=payload.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=award.pk)).data)

    @extend_schema(responses={(200, PDF_CONTENT_TYPE): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def notice(self, request, pk=None):
        """The notice to the family (告知书) to print: project, amounts, how paid, complaints."""
        award = self.get_object()
        access_record_request(
            request,
            action=AccessAction.EXPORT,
            kind=Award._meta.model_name,
            student_ids=[award.student_id],
            object_id=award.pk,
        )
        response = HttpResponse(award_notice_pdf(award), content_type=PDF_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="notice-award-{award.pk}.pdf"'
        return response
