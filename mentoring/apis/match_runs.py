"""The term's matching runs: start one (202, with its job), review its proposal, approve it.

The view validates and calls one service of `mentoring.services.match_runs`;
runs are scoped by `mentoring.selectors.match_runs.runs_visible_to`.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import Conflict, validated_data
from core.permissions import IsAdministrator
from core.serializers import JobSerializer, NoBody, StrictSerializer
from mentoring.apis.codes import school_field, term_field, term_filter
from mentoring.models import AccessAction, MatchRun, MatchRunStatus, PairingKind, ProposedPair
from mentoring.selectors.match_runs import (
    proposal_figures,
    run_inputs,
    runs_visible_to,
    students_in_inputs,
)
from mentoring.services.access_log import access_record_request
from mentoring.services.match_runs import (
    match_run_approve,
    match_run_pair_add,
    match_run_pair_add_problems,
    match_run_pair_change,
    match_run_pair_remove,
    match_run_start,
    match_run_start_problems,
)


class MatchRunCreateSerializer(StrictSerializer):
    term = term_field()
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=PairingKind.choices), min_length=1, max_length=2
    )
    schools = serializers.ListField(child=school_field(), required=False, max_length=500)
    weights = serializers.DictField(required=False)
    rules = serializers.DictField(required=False)


class ProposedPairSerializer(serializers.ModelSerializer):
    pairing = serializers.IntegerField(source="pairing_id", read_only=True)
    student = serializers.IntegerField(source="pairing.student_id", read_only=True)
    student_name = serializers.CharField(source="pairing.student.name", read_only=True)
    mentor = serializers.IntegerField(source="pairing.mentor_id", read_only=True)
    mentor_username = serializers.CharField(source="pairing.mentor.user.username", read_only=True)
    kind = serializers.CharField(source="pairing.kind", read_only=True)
    status = serializers.CharField(source="pairing.status", read_only=True)

    class Meta:
        model = ProposedPair
        fields = [
            "id",
            "pairing",
            "student",
            "student_name",
            "mentor",
            "mentor_username",
            "kind",
            "status",
            "cost",
            "reasons",
            "by_hand",
        ]


class MatchRunSerializer(serializers.ModelSerializer):
    term = serializers.SlugRelatedField(slug_field="code", read_only=True)
    schools = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    # Null until the run's job is recorded, and until the run is approved.
    # The run's job as the jobs endpoint shows it: one serializer, so one schema component.
    job = JobSerializer(read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "term",
            "schools",
            "kinds",
            "status",
            "weights",
            "rules",
            "summary",
            "job",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields

    def to_representation(self, run):
        data = super().to_representation(run)
        # A run's own answer (GET runs/{id}/) counts its figures from its rows as
        # they stand, as the console's review page does (`proposal_figures`): a
        # pair removed or added by hand changes what is proposed and unmatched.
        # A list gives each run's summary as its solver wrote it (four queries a
        # run would grow with the rows).
        if self.context.get("figures_as_they_stand") and data.get("summary"):
            data["summary"] = {**data["summary"], "kinds": proposal_figures(run)}
        return data


class InputStudentSerializer(serializers.Serializer):
    """A student to match as the run saw it: no name, no ID number."""

    id = serializers.IntegerField()
    school = serializers.IntegerField()
    grade = serializers.IntegerField()
    gender = serializers.CharField()
    age = serializers.IntegerField(allow_null=True)
    weak_subjects = serializers.ListField(child=serializers.CharField())
    need_rank = serializers.IntegerField(
        allow_null=True, help_text=_("Place of the student's tier, 0 the neediest; null: none.")
    )
    previous_mentor = serializers.IntegerField(allow_null=True)


class InputMentorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    gender = serializers.CharField()
    capacity = serializers.IntegerField()
    minimum = serializers.IntegerField()
    subjects = serializers.ListField(child=serializers.CharField())
    grades = serializers.ListField(child=serializers.IntegerField())
    schools = serializers.ListField(child=serializers.IntegerField())
    vetted_until = serializers.DateField(allow_null=True)
    conflicts = serializers.ListField(child=serializers.IntegerField())


class MatchRunInputsSerializer(serializers.Serializer):
    """What a run solved, exactly as stored: running it again on these gives its proposal."""

    term = serializers.CharField()
    students = serializers.DictField(
        child=InputStudentSerializer(many=True), help_text=_("The students to match, per kind.")
    )
    mentors = InputMentorSerializer(many=True)
    locked = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.IntegerField())),
        help_text=_("Per kind, the active pairings kept as they are: [student, mentor]."),
    )
    load = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Active pairings per mentor id.")
    )
    vetted_on = serializers.DateField()


class PairAddSerializer(StrictSerializer):
    student = serializers.IntegerField(min_value=1)
    mentor = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=PairingKind.choices)


class PairChangeSerializer(StrictSerializer):
    mentor = serializers.IntegerField(min_value=1)


class MatchRunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MatchRunStatus.choices)
    term = term_filter(field_name="term_id")

    class Meta:
        model = MatchRun
        fields = ["status", "term"]


class MatchRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The term's matching runs. POST starts one (202); the job reports its progress.

    Only administrators of every school of a run may read, change or approve it.
    """

    queryset = MatchRun.objects.none()
    serializer_class = MatchRunSerializer
    filterset_class = MatchRunFilter
    permission_classes = [IsAuthenticated, IsAdministrator]
    # The proposal is a list too: a query parameter it does not read answers 400.
    list_actions = ("pairs",)

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "figures_as_they_stand": self.action == "retrieve",
        }

    def get_queryset(self):
        return (
            runs_visible_to(self.request.user)
            .select_related("job__school", "job__started_by")
            .prefetch_related("schools")
        )

    @extend_schema(request=MatchRunCreateSerializer, responses={202: MatchRunSerializer})
    def create(self, request, *args, **kwargs):
        # Every bad field in one answer: the serializer's, then the service's own
        # checks of the fields that passed (each weight and rule, the term).
        data = validated_data(
            MatchRunCreateSerializer(data=request.data),
            lambda errors, fields: match_run_start_problems(
                errors,
                by=request.user,
                term_id=fields.get("term"),
                kinds=fields.get("kinds"),
                weights=fields.get("weights"),
                rules=fields.get("rules"),
            ),
        )
        run = match_run_start(
            by=request.user,
            term_id=data["term"],
            kinds=data["kinds"],
            school_ids=data.get("schools"),
            weights=data.get("weights"),
            rules=data.get("rules"),
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(MatchRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ProposedPairSerializer(many=True))
    # The runs' filters are not the proposal's: it has none (and the run is
    # looked up by id alone).
    @action(detail=True, methods=["get"], url_path="pairs", filterset_class=None)
    def pairs(self, request, pk=None):
        run = self.get_object()
        proposals = (
            ProposedPair.objects.filter(run=run)
            .select_related("pairing__student", "pairing__mentor__user")
            .order_by("pairing__kind", "pairing__student_id")
        )
        page = self.paginate_queryset(proposals)
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="proposedpair",
            student_ids=[proposal.pairing.student_id for proposal in page],
        )
        return self.get_paginated_response(ProposedPairSerializer(page, many=True).data)

    @extend_schema(responses=MatchRunInputsSerializer)
    @action(detail=True, methods=["get"], url_path="inputs", filterset_class=None)
    def inputs(self, request, pk=None):
        """The students and mentors the run solved, as stored (409 until its job stores them)."""
        run = self.get_object()
        inputs = run_inputs(run)
        if inputs is None:
            raise Conflict(_("The run's inputs are stored once its job has read them."))
        access_record_request(
            request,
            action=AccessAction.READ,
            kind="matchrun",
            object_id=run.pk,
            student_ids=students_in_inputs(inputs),
        )
        return Response(inputs)

    @extend_schema(request=PairAddSerializer, responses={201: ProposedPairSerializer})
    @pairs.mapping.post
    def add_pair(self, request, pk=None):
        run = self.get_object()
        data = validated_data(
            PairAddSerializer(data=request.data),
            lambda errors, fields: match_run_pair_add_problems(
                errors,
                run=run,
                student_id=fields.get("student"),
                mentor_id=fields.get("mentor"),
                kind=fields.get("kind"),
            ),
        )
        proposal = match_run_pair_add(
            run=run,
            by=request.user,
            student_id=data["student"],
            mentor_id=data["mentor"],
            kind=data["kind"],
        )
        return Response(ProposedPairSerializer(proposal).data, status=status.HTTP_201_CREATED)

    def _proposal(self, run, proposal_id):
        proposal = (
            ProposedPair.objects.filter(run=run, pk=proposal_id)
            .select_related("pairing__student", "pairing__mentor__user")
            .first()
        )
        if proposal is None:
            raise NotFound()
        return proposal

    @extend_schema(request=PairChangeSerializer, responses=ProposedPairSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"pairs/(?P<proposal_id>\d+)")
    def pair(self, request, pk=None, proposal_id=None):
        run = self.get_object()
        proposal = self._proposal(run, proposal_id)
        if request.method == "DELETE":
            match_run_pair_remove(run=run, by=request.user, proposal=proposal)
            return Response(status=status.HTTP_204_NO_CONTENT)
        payload = PairChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        proposal = match_run_pair_change(
            run=run, by=request.user, proposal=proposal, mentor_id=payload.validated_data["mentor"]
        )
        return Response(ProposedPairSerializer(self._proposal(run, proposal.pk)).data)

    @extend_schema(request=None, responses=MatchRunSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the run's proposal as it stands; the request has no body."""
        run = self.get_object()
        NoBody(data=request.data).is_valid(raise_exception=True)
        run = match_run_approve(run=run, by=request.user)
        return Response(MatchRunSerializer(self.get_queryset().get(pk=run.pk)).data)
