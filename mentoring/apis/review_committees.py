"""Review committees and the assessment's steps that rest on a record.

- `GET review-committees/`, `GET review-committees/{id}/`, `POST review-committees/`
  with its members (administrators);
- `POST review-committees/{id}/members/` (`{name, role}`; an `Idempotency-Key`
  makes a retry safe) and `DELETE review-committees/{id}/members/{member_id}/`:
  a member joins or leaves the formed committee, as on the console's page;
- `POST assessments/{id}/investigate/`: the investigation with its home visit
  (`submitted → investigated`); `POST assessments/{id}/committee-decision/`:
  the class or school committee's decision, which takes the review step.

The rules live in `mentoring.services.applications` and `.review_committees`.
"""

import django_filters
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.idempotency import idempotent
from core.permissions import IsAdministrator
from core.serializers import StrictSerializer
from mentoring.apis.assessments import AssessmentDetailSerializer, ProposesStudents
from mentoring.apis.codes import school_field, school_filter, term_field, term_filter
from mentoring.apis.sessions import IDEMPOTENCY_PARAMETER
from mentoring.models import (
    Assessment,
    CommitteeDecision,
    CommitteeOutcome,
    CommitteeRole,
    Investigation,
    ReviewCommittee,
    ReviewStage,
)
from mentoring.selectors import applications as selectors
from mentoring.selectors import identification as assessment_selectors
from mentoring.services import applications as services
from mentoring.services import review_committees as committee_services

TEXT = services.MAX_TEXT_LENGTH


# Review committees


class CommitteeMemberSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(choices=CommitteeRole.choices)


class ReviewCommitteeSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    term_code = serializers.CharField(source="term.code", read_only=True)
    members = CommitteeMemberSerializer(many=True, read_only=True)
    decisions = serializers.IntegerField(read_only=True, source="decision_count")

    class Meta:
        model = ReviewCommittee
        fields = [
            "id",
            "school",
            "school_name",
            "term",
            "term_code",
            "stage",
            "class_name",
            "name",
            "members",
            "decisions",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReviewCommitteeCreateSerializer(StrictSerializer):
    school = school_field()
    term = term_field()
    stage = serializers.ChoiceField(choices=ReviewStage.choices)
    class_name = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The class a class review group reviews; blank: the whole school."),
    )
    name = serializers.CharField(max_length=100)
    members = CommitteeMemberSerializer(many=True, max_length=committee_services.MAX_MEMBERS)


class ReviewCommitteeFilter(django_filters.FilterSet):
    school = school_filter()
    term = term_filter()
    stage = django_filters.ChoiceFilter(choices=ReviewStage.choices)

    class Meta:
        model = ReviewCommittee
        fields = ["school", "term", "stage"]


class ReviewCommitteeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The schools' review committees with their members; administrators only.

    Filters: `school`, `term`, `stage`.
    """

    permission_classes = [IsAuthenticated, IsAdministrator]
    queryset = ReviewCommittee.objects.none()  # for the schema
    serializer_class = ReviewCommitteeSerializer
    filterset_class = ReviewCommitteeFilter

    def get_queryset(self):
        return (
            selectors.committees_visible_to(self.request.user)
            .select_related("school", "term")
            .prefetch_related("members")
            .annotate(decision_count=Count("decisions", distinct=True))
            .order_by("-term__start_date", "school__code", "stage", "class_name", "pk")
        )

    @extend_schema(
        request=ReviewCommitteeCreateSerializer, responses={201: ReviewCommitteeSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ReviewCommitteeCreateSerializer(data=request.data),
            lambda errors, fields: committee_services.committee_create_problems(
                errors,
                by=request.user,
                school_id=fields.get("school"),
                term_id=fields.get("term"),
                stage=fields.get("stage"),
                class_name=fields.get("class_name"),
                name=fields.get("name"),
                members=fields.get("members"),
            ),
        )
        committee = committee_services.committee_create(
            by=request.user,
            school_id=data["school"],
            term_id=data["term"],
            stage=data["stage"],
            class_name=data["class_name"],
            name=data["name"],
            members=data["members"],
        )
        fresh = self.get_queryset().get(pk=committee.pk)
        return Response(ReviewCommitteeSerializer(fresh).data, status=status.HTTP_201_CREATED)

    # A member joins or leaves: `committee_member_add` and `committee_member_remove`, the
    # console's page's services, hold every rule (bounds, the school leader, a member
    # present at a recorded decision); another school's committee is a 404 here.

    @extend_schema(
        request=CommitteeMemberSerializer,
        responses={201: ReviewCommitteeSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="members", filterset_class=None)
    @idempotent(scope="review-committee-members")
    def members(self, request, pk=None):
        """A member joins the committee; the answer is the committee with its members."""
        committee = self.get_object()
        data = validated_data(
            CommitteeMemberSerializer(data=request.data),
            lambda errors, fields: committee_services.committee_member_problems(
                errors,
                by=request.user,
                committee=committee,
                name=fields.get("name"),
                role=fields.get("role"),
            ),
        )
        committee_services.committee_member_add(
            by=request.user, committee=committee, name=data["name"], role=data["role"]
        )
        fresh = self.get_queryset().get(pk=committee.pk)
        return Response(ReviewCommitteeSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"members/(?P<member_id>\d+)",
        filterset_class=None,
    )
    def member(self, request, pk=None, member_id=None):
        """A member leaves the committee. One not of this committee is refused naming `member`,
        as the service names it, with whatever else keeps the member on."""
        committee = self.get_object()
        committee_services.committee_member_remove(
            by=request.user, committee=committee, member_id=int(member_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# The steps of an assessment that rest on these records


class InvestigateSerializer(StrictSerializer):
    investigated_on = serializers.DateField()
    investigators = serializers.CharField(
        max_length=200, help_text=gettext_lazy("Who investigated, e.g. the class teacher's name.")
    )
    findings = serializers.CharField(max_length=TEXT)
    visited_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The day of the home visit, when it is not a logged session."),
    )
    visit_session = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A logged home-visit session of one of the student's pairings."),
    )


class InvestigationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Investigation
        fields = [
            "id",
            "assessment",
            "investigated_on",
            "investigators",
            "findings",
            "visited_on",
            "visit_session",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CommitteeDecisionRequestSerializer(StrictSerializer):
    committee = serializers.IntegerField(min_value=1)
    decided_on = serializers.DateField()
    members_present = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=60
    )
    outcome = serializers.ChoiceField(choices=CommitteeOutcome.choices)
    votes_for = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    votes_against = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    votes_abstaining = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    tier = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("At the school stage, when agreed: the tier proposed."),
    )
    note = serializers.CharField(
        max_length=TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required when not agreed: the reason, which the rejection gives."),
    )


class CommitteeDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitteeDecision
        fields = [
            "id",
            "committee",
            "assessment",
            "stage",
            "decided_on",
            "outcome",
            "members_present",
            "votes_for",
            "votes_against",
            "votes_abstaining",
            "tier",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class AssessmentStepResultSerializer(serializers.Serializer):
    record = serializers.DictField(help_text=gettext_lazy("The investigation or the decision."))
    assessment = AssessmentDetailSerializer()


class AssessmentStepViewSet(viewsets.GenericViewSet):
    """An assessment's steps that rest on a record: the investigation, the committees' decisions.

    A foreign assessment answers 404; a step out of order 409; a teacher at a
    committee's stage 403.
    """

    permission_classes = [IsAuthenticated, ProposesStudents]
    queryset = Assessment.objects.none()  # for the schema

    def get_queryset(self):
        return assessment_selectors.assessments_visible_to(self.request.user).select_related(
            "student__school", "term__district"
        )

    def _answer(self, record_body: dict, assessment, code: int):
        visible = assessment_selectors.assessment_detail(
            assessment_selectors.assessments_visible_to(self.request.user)
        )
        fresh = visible.get(pk=assessment.pk)
        user = self.request.user
        context = {
            "roles": assessment_selectors.roles_by_school(user),
            "is_platform_admin": bool(user.is_platform_admin),
            "today": timezone.localdate(),
        }
        body = {
            "record": record_body,
            "assessment": AssessmentDetailSerializer(fresh, context=context).data,
        }
        return Response(body, status=code)

    @extend_schema(request=InvestigateSerializer, responses={201: AssessmentStepResultSerializer})
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        """Record the class teacher's investigation with its home visit; the assessment is then
        `investigated`. An investigation without a visit is refused."""
        assessment = self.get_object()
        services.check_may_investigate(by=request.user, assessment=assessment)
        data = validated_data(
            InvestigateSerializer(data=request.data),
            lambda errors, fields: services.investigation_problems(
                errors,
                assessment=assessment,
                investigated_on=fields.get("investigated_on"),
                investigators=fields.get("investigators"),
                findings=fields.get("findings"),
                visited_on=fields.get("visited_on"),
                visit_session_id=fields.get("visit_session"),
            ),
        )
        investigation = services.investigation_record(
            by=request.user,
            assessment=assessment,
            investigated_on=data["investigated_on"],
            investigators=data["investigators"],
            findings=data["findings"],
            visited_on=data["visited_on"],
            visit_session_id=data["visit_session"],
        )
        return self._answer(
            InvestigationSerializer(investigation).data, assessment, status.HTTP_201_CREATED
        )

    @extend_schema(
        request=CommitteeDecisionRequestSerializer,
        responses={201: AssessmentStepResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="committee-decision")
    def committee_decision(self, request, pk=None):
        """Record the class or school committee's decision: agreed takes the review step,
        not agreed rejects the application with the note as its reason."""
        assessment = self.get_object()
        stage = committee_services.check_may_decide(by=request.user, assessment=assessment)

        def problems(errors, fields):
            committee_services.committee_decision_problems(
                errors,
                assessment=assessment,
                stage=stage,
                committee_id=fields.get("committee"),
                decided_on=fields.get("decided_on"),
                members_present=fields.get("members_present"),
                outcome=fields.get("outcome"),
                votes=(
                    fields.get("votes_for"),
                    fields.get("votes_against"),
                    fields.get("votes_abstaining"),
                ),
                tier=fields.get("tier"),
                note=fields.get("note"),
            )

        data = validated_data(CommitteeDecisionRequestSerializer(data=request.data), problems)
        decision = committee_services.committee_decide(
            by=request.user,
            assessment=assessment,
            committee_id=data["committee"],
            decided_on=data["decided_on"],
            members_present=data["members_present"],
            outcome=data["outcome"],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            votes_abstaining=data["votes_abstaining"],
            tier=data["tier"],
            note=data["note"],
        )
        return self._answer(
            CommitteeDecisionSerializer(decision).data, assessment, status.HTTP_201_CREATED
        )
