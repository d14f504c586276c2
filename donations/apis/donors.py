"""/api/v1/donors/: donors, and what their gifts went to."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.codes import CodeOrIdField
from core.serializers import StrictSerializer, YuanField
from donations.apis.common import created
from donations.models import Donor, DonorKind
from donations.selectors.scoping import donors_visible_to
from donations.selectors.totals import donor_outcomes
from donations.services.donors import donor_register_check, donor_save
from mentoring.models import AccessAction, District
from mentoring.services.access_log import access_record_request

# A district by code or id; the view checks it is the user's, as before.
DISTRICTS = District.objects.all()


class DonorSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code", read_only=True)
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Donor
        fields = ["id", "district", "district_id", "kind", "name", "anonymous", "created_at"]


class NamedStudentSerializer(serializers.Serializer):
    name = serializers.CharField()
    school = serializers.CharField()


class ProjectOutcomeSerializer(serializers.Serializer):
    project = serializers.CharField()
    name = serializers.CharField()
    given = YuanField(source="given_fen", read_only=True)
    project_paid = YuanField(source="project_paid_fen", read_only=True)
    students_helped = serializers.IntegerField()
    named_students = NamedStudentSerializer(many=True)


class ItemOutcomeSerializer(serializers.Serializer):
    item = serializers.CharField()
    unit = serializers.CharField()
    donated = serializers.IntegerField()
    value = YuanField(source="value_fen", read_only=True)
    given_out = serializers.IntegerField()
    students_given = serializers.IntegerField()
    named_students = NamedStudentSerializer(many=True)


class DonorOutcomesSerializer(serializers.Serializer):
    projects = ProjectOutcomeSerializer(many=True)
    items = ItemOutcomeSerializer(many=True)


class DonorInput(StrictSerializer):
    district = CodeOrIdField(scope=DISTRICTS, to="code", required=False)
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
        donor_register_check(by=request.user)
        payload = DonorInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        donor = donor_save(
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
        donor_save(
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
