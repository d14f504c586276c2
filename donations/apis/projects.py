"""/api/v1/projects/: aid projects (资助项目).

Their rules, funding, standards and quotas; allocation; funds received.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.codes import CodeOrIdField
from core.errors import FieldErrors, validated_data
from core.money import CENT
from core.serializers import StrictSerializer, YuanField
from donations.apis.common import created
from donations.apis.funds import LedgerEntrySerializer
from donations.models import (
    AidProject,
    Allocation,
    Boarding,
    FundSource,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
    ProjectTierShare,
)
from donations.models.committees import CommitteeQuota
from donations.selectors.allocations import (
    allocation_get,
    allocations_left_out_names,
    allocations_of_project,
)
from donations.selectors.scoping import projects_visible_to
from donations.services.allocation import allocate, allocate_problems
from donations.services.committee_quotas import (
    MAX_COMMITTEE_QUOTAS,
    committee_quotas_problems,
)
from donations.services.projects import (
    appropriation_receive,
    appropriation_receive_problems,
    project_create,
    project_create_check,
    project_district_of,
    project_save,
)
from donations.services.tier_shares import MAX_TIER_SHARES, tier_shares_problems
from mentoring.apis.codes import district_filter, school_field, term_field
from mentoring.models import AccessAction, District, Gender, SchoolLevel
from mentoring.services.access_log import access_record_request

# A district by code or id; the view checks it is the user's, as before.
DISTRICTS = District.objects.all()


class FundingSerializer(serializers.ModelSerializer):
    term_code = serializers.CharField(source="term.code", read_only=True)
    amount = YuanField(source="amount_fen", read_only=True)
    received = YuanField(source="received_fen", read_only=True)

    class Meta:
        model = ProjectFunding
        fields = ["id", "term", "term_code", "source", "amount", "received"]


class StandardSerializer(serializers.ModelSerializer):
    yearly = YuanField(source="yearly_fen", read_only=True)
    per_term = YuanField(source="per_term_fen", read_only=True)

    class Meta:
        model = ProjectStandard
        fields = ["tier", "level", "boarding", "yearly", "per_term"]


class QuotaSerializer(serializers.ModelSerializer):
    term_code = serializers.CharField(source="term.code", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)

    class Meta:
        model = ProjectQuota
        fields = ["term", "term_code", "school", "school_code", "places"]


class TierShareSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectTierShare
        fields = ["tier", "percent", "places"]


class CommitteeQuotaSerializer(serializers.ModelSerializer):
    term_code = serializers.CharField(source="term.code", read_only=True)
    committee_code = serializers.CharField(source="committee.code", read_only=True)

    class Meta:
        model = CommitteeQuota
        fields = ["term", "term_code", "committee", "committee_code", "places"]


class ProjectSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code")
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(read_only=True)
    funding = FundingSerializer(many=True)
    standards = StandardSerializer(many=True)
    quotas = QuotaSerializer(many=True)
    tier_shares = TierShareSerializer(many=True)
    committee_quotas = CommitteeQuotaSerializer(many=True)

    class Meta:
        model = AidProject
        fields = [
            "id",
            "district",
            "district_id",
            "code",
            "name",
            "source",
            "purpose",
            "levels",
            "tiers",
            "boarding",
            "gender",
            "late_after_days",
            "uses_committees",
            "funding",
            "standards",
            "quotas",
            "tier_shares",
            "committee_quotas",
            "created_at",
        ]


class StandardInput(StrictSerializer):
    tier = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(
        choices=SchoolLevel.choices, required=False, allow_blank=True, default=""
    )
    boarding = serializers.ChoiceField(choices=Boarding.choices, default=Boarding.ANY)
    yearly = YuanField(max_digits=12, min_value=CENT)


class FundingInput(StrictSerializer):
    term = term_field()
    source = serializers.ChoiceField(choices=FundSource.choices)
    amount = YuanField(max_digits=12, min_value=CENT)


class QuotaInput(StrictSerializer):
    term = term_field()
    school = school_field()
    places = serializers.IntegerField(min_value=1, max_value=100_000)


class TierShareInput(StrictSerializer):
    # The ranges are the service's checks, so that one answer names every bad share.
    tier = serializers.CharField(max_length=30)
    percent = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Percent (1 to 100) of each school's quota for the term, rounded down."),
    )
    places = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Places for the whole project in a term (instead of a percent)."),
    )


class CommitteeQuotaInput(StrictSerializer):
    # The ranges are the service's checks, so that one answer names every bad row.
    term = serializers.IntegerField()
    committee = serializers.IntegerField()
    places = serializers.IntegerField()


class ProjectInput(StrictSerializer):
    district = CodeOrIdField(scope=DISTRICTS, to="code", required=False)
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    source = serializers.ChoiceField(choices=FundSource.choices)
    purpose = serializers.CharField(max_length=100)
    levels = serializers.ListField(
        child=serializers.ChoiceField(choices=SchoolLevel.choices), required=False, default=list
    )
    tiers = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list
    )
    boarding = serializers.ChoiceField(choices=Boarding.choices, default=Boarding.ANY)
    gender = serializers.ChoiceField(
        choices=Gender.choices, required=False, allow_blank=True, default=""
    )
    late_after_days = serializers.IntegerField(min_value=1, max_value=365, default=30)
    standards = StandardInput(many=True, required=False, max_length=100)
    funding = FundingInput(many=True, required=False, max_length=100)
    quotas = QuotaInput(many=True, required=False, max_length=2000)
    tier_shares = TierShareInput(many=True, required=False, max_length=MAX_TIER_SHARES)
    uses_committees = serializers.BooleanField(
        default=False,
        help_text=_(
            "The district splits the places among village committees, which review each "
            "award before the district approves it."
        ),
    )
    committee_quotas = CommitteeQuotaInput(
        many=True, required=False, max_length=MAX_COMMITTEE_QUOTAS
    )


class ProjectUpdateInput(ProjectInput):
    # A project stays in its district: its money and quotas are the district's.
    district = None


RULE_FIELDS = [
    "code",
    "name",
    "source",
    "purpose",
    "levels",
    "tiers",
    "boarding",
    "gender",
    "late_after_days",
    "uses_committees",
]


def _nested(data: dict) -> dict:
    out = {}
    if "standards" in data:
        out["standards"] = [
            {
                "tier": s["tier"],
                "level": s["level"],
                "boarding": s["boarding"],
                "yearly_fen": s["yearly"],
            }
            for s in data["standards"]
        ]
    if "funding" in data:
        out["funding"] = [
            {"term": f["term"], "source": f["source"], "amount_fen": f["amount"]}
            for f in data["funding"]
        ]
    if "quotas" in data:
        out["quotas"] = [dict(q) for q in data["quotas"]]
    if "tier_shares" in data:
        out["tier_shares"] = [dict(t) for t in data["tier_shares"]]
    if "committee_quotas" in data:
        out["committee_quotas"] = [dict(q) for q in data["committee_quotas"]]
    return out


def _nested_problems(errors, *, district, project_tiers, fields) -> None:
    """The services' checks of the nested lists that passed the serializer."""
    tier_shares_problems(
        errors, district=district, project_tiers=project_tiers, shares=fields.get("tier_shares")
    )
    committee_quotas_problems(errors, district=district, rows=fields.get("committee_quotas"))


NESTED_INPUTS = [
    ("standards", StandardInput),
    ("funding", FundingInput),
    ("quotas", QuotaInput),
    ("tier_shares", TierShareInput),
    ("committee_quotas", CommitteeQuotaInput),
]


class AllocateInput(StrictSerializer):
    term = term_field()
    schools = serializers.ListField(
        child=school_field(), required=False, default=list, max_length=500
    )


class AllocationSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    term = serializers.CharField(source="term.code")
    amount = YuanField(source="amount_fen", read_only=True)
    left_out = serializers.SerializerMethodField()

    class Meta:
        model = Allocation
        fields = ["id", "project", "term", "awarded", "amount", "left_out", "created_at"]

    def get_left_out(self, allocation) -> list[dict]:
        """Only the students of the reader's own schools, named for their administrators."""
        names = self.context.get("names", {})
        schools = self.context.get("schools", set())
        return [
            row | {"student_name": names.get(row["student"], "")}
            for row in allocation.left_out
            if row["school"] in schools
        ]


class AppropriationInput(StrictSerializer):
    term = term_field()
    source = serializers.ChoiceField(choices=FundSource.choices)
    amount = YuanField(max_digits=12, min_value=CENT)
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ProjectFilter(django_filters.FilterSet):
    district = district_filter()
    source = django_filters.ChoiceFilter(choices=FundSource.choices)
    purpose = django_filters.CharFilter()

    class Meta:
        model = AidProject
        fields = ["district", "source", "purpose"]


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Aid projects of the districts where the user has a role; the district's administrators
    write them. `allocate` awards a term by rank of need; `appropriations` records funds received.
    """

    queryset = AidProject.objects.none()
    serializer_class = ProjectSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = ProjectFilter

    def get_queryset(self):
        return projects_visible_to(self.request.user).order_by("district__code", "code")

    @extend_schema(request=ProjectInput, responses={201: ProjectSerializer})
    def create(self, request, *args, **kwargs):
        project_create_check(by=request.user)
        data = validated_data(
            ProjectInput(data=request.data),
            lambda errors, fields: _nested_problems(
                errors,
                district=project_district_of(
                    by=request.user, district_code=fields.get("district", "")
                ),
                project_tiers=fields.get("tiers"),
                fields=fields,
            ),
        )
        project = project_create(
            by=request.user,
            district_code=data.get("district", ""),
            fields={name: data[name] for name in RULE_FIELDS},
            **_nested(data),
        )
        return created(self, project)

    @extend_schema(request=ProjectUpdateInput, responses=ProjectSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=ProjectUpdateInput, responses=ProjectSerializer)
    def update(self, request, *args, **kwargs):
        project = self.get_object()
        data = dict(
            validated_data(
                ProjectUpdateInput(data=request.data, partial=kwargs.get("partial", False)),
                lambda errors, fields: _nested_problems(
                    errors,
                    district=project.district,
                    project_tiers=fields.get("tiers", project.tiers),
                    fields=fields,
                ),
            )
        )
        # A partial update is partial at the top only: each nested row given is whole
        # (DRF would otherwise skip the rows' defaults and required fields too).
        for key, rows in NESTED_INPUTS:
            if key in data:
                whole = rows(data=request.data[key], many=True)
                if not whole.is_valid():
                    raise FieldErrors({key: whole.errors})
                data[key] = whole.validated_data
        project_save(
            by=request.user,
            district=project.district,
            project=project,
            fields={name: data[name] for name in RULE_FIELDS if name in data},
            **_nested(data),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(request=AllocateInput, responses={201: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        """Award the term by rank of need until quota or funds run out; lists who was left out."""
        project = self.get_object()
        data = validated_data(
            AllocateInput(data=request.data),
            lambda errors, fields: allocate_problems(
                errors,
                by=request.user,
                project=project,
                term_id=fields.get("term"),
                school_ids=fields.get("schools"),
            ),
        )
        allocation = allocate(
            by=request.user, project=project, term_id=data["term"], school_ids=data["schools"]
        )
        allocation = allocation_get(allocation_id=allocation.pk)
        context = allocations_left_out_names(user=request.user, allocations=[allocation])
        return Response(AllocationSerializer(allocation, context=context).data, status=201)

    @extend_schema(responses=AllocationSerializer(many=True))
    # The projects' filters and pages do not apply to a project's (latest 50) allocations.
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def allocations(self, request, pk=None):
        """Past allocations of the project; administrators see who their schools left out."""
        project = self.get_object()
        allocations = allocations_of_project(user=request.user, project=project)
        context = allocations_left_out_names(user=request.user, allocations=allocations)
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="allocation",
            student_ids=context["names"],
        )
        return Response(AllocationSerializer(allocations, many=True, context=context).data)

    @extend_schema(request=AppropriationInput, responses={201: LedgerEntrySerializer})
    @action(detail=True, methods=["post"])
    def appropriations(self, request, pk=None):
        """Funds allocated by a source arrive in the project's account (资金到位)."""
        project = self.get_object()
        data = validated_data(
            AppropriationInput(data=request.data),
            lambda errors, fields: appropriation_receive_problems(
                errors,
                by=request.user,
                project=project,
                term_id=fields.get("term"),
                source=fields.get("source"),
                amount_fen=fields.get("amount"),
            ),
        )
        entry = appropriation_receive(
            by=request.user,
            project=project,
            term_id=data["term"],
            source=data["source"],
            amount_fen=data["amount"],
            memo=data["memo"],
        )
        return Response(LedgerEntrySerializer(entry).data, status=201)
