"""/api/v1/committee-reviews/: village committees review awards, then the district approves.

One row per award (not cancelled) of a project that uses committees, keyed
by the award's id, in the schools the administrator administers: where it
stands (`pending`, `agreed`, `disagreed`, `approved`) and the review
recorded. `review` records the committee's review on its behalf (an
administrator of the student's school or of the district); `approve` is the
district's approval (its administrators only). The moves are
`donations.services.committee_reviews`'; an award not approved is not paid.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.permissions import IsAdministrator
from core.serializers import NoBody, StrictSerializer, YuanField
from donations.apis.codes import project_filter
from donations.models import Award, ReviewDecision, ReviewState
from donations.selectors.committee_reviews import committee_awards_visible_to
from donations.services import committee_reviews as services
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_filter, term_filter


class CommitteeReviewSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True, help_text=_("The award's id."))
    project = serializers.CharField(source="project.code", read_only=True)
    term = serializers.CharField(source="term.code", read_only=True)
    student_name = serializers.CharField(source="student.name", read_only=True)
    school = serializers.CharField(source="student.school.code", read_only=True)
    amount = YuanField(source="amount_fen", read_only=True)
    state = serializers.SerializerMethodField()
    committee = serializers.SerializerMethodField()
    committee_name = serializers.SerializerMethodField()
    reviewers = serializers.SerializerMethodField()
    reviewed_on = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()
    approved_at = serializers.SerializerMethodField()

    class Meta:
        model = Award
        fields = [
            "id",
            "project",
            "term",
            "student",
            "student_name",
            "school",
            "amount",
            "state",
            "committee",
            "committee_name",
            "reviewers",
            "reviewed_on",
            "decision",
            "note",
            "recorded_by",
            "approved_by",
            "approved_at",
        ]

    @staticmethod
    def _review(award):
        return getattr(award, "committee_review", None)

    def get_state(self, award) -> str:
        return services.review_state_of(award)

    def _committee(self, award):
        # The committee that reviewed; before a review, the student's.
        review = self._review(award)
        return review.committee if review else award.student.committee

    def get_committee(self, award) -> int | None:
        committee = self._committee(award)
        return committee.pk if committee else None

    def get_committee_name(self, award) -> str | None:
        committee = self._committee(award)
        return committee.name if committee else None

    def get_reviewers(self, award) -> list[str]:
        review = self._review(award)
        return list(review.reviewers) if review else []

    def get_reviewed_on(self, award) -> str | None:
        review = self._review(award)
        return review.reviewed_on.isoformat() if review else None

    def get_decision(self, award) -> str | None:
        review = self._review(award)
        return review.decision if review else None

    def get_note(self, award) -> str:
        review = self._review(award)
        return review.note if review else ""

    def get_recorded_by(self, award) -> str | None:
        review = self._review(award)
        return review.recorded_by.username if review else None

    def get_approved_by(self, award) -> str | None:
        review = self._review(award)
        return review.approved_by.username if review and review.approved_by else None

    def get_approved_at(self, award) -> str | None:
        review = self._review(award)
        return review.approved_at.isoformat() if review and review.approved_at else None


class CommitteeReviewInput(StrictSerializer):
    reviewers = serializers.ListField(
        child=serializers.CharField(max_length=services.MAX_NAME_LENGTH, allow_blank=True),
        max_length=services.MAX_REVIEWERS,
        help_text=_("The committee members who reviewed."),
    )
    reviewed_on = serializers.DateField()
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    note = serializers.CharField(
        max_length=services.MAX_NOTE_LENGTH, required=False, allow_blank=True, default=""
    )


class CommitteeReviewFilter(django_filters.FilterSet):
    project = project_filter()
    term = term_filter()
    school = school_filter(field_name="student__school")
    committee = NumberFilter(field_name="student__committee")
    state = django_filters.ChoiceFilter(choices=ReviewState.choices, method="filter_state")

    class Meta:
        model = Award
        fields = ["project", "term", "school", "committee", "state"]

    def filter_state(self, queryset, name, value):
        if value == ReviewState.PENDING:
            return queryset.filter(committee_review__isnull=True)
        return queryset.filter(committee_review__state=value)


class CommitteeReviewViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Awards that a village committee reviews before the district approves them.

    Filters: `project` (code), `term`, `school`, `committee`, `state`.
    """

    queryset = Award.objects.none()
    serializer_class = CommitteeReviewSerializer
    permission_classes = [IsAuthenticated, IsAdministrator]
    filterset_class = CommitteeReviewFilter

    def get_queryset(self):
        return committee_awards_visible_to(self.request.user).order_by(
            "term__start_date", "student__school__code", "pk"
        )

    def _answer(self, award_id):
        return Response(self.get_serializer(self.get_queryset().get(pk=award_id)).data)

    @extend_schema(request=CommitteeReviewInput, responses=CommitteeReviewSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Record the committee's review (agree or disagree, with a note when it disagrees)."""
        award = self.get_object()
        data = validated_data(
            CommitteeReviewInput(data=request.data),
            lambda errors, fields: services.committee_review_problems(
                errors,
                reviewers=fields.get("reviewers"),
                reviewed_on=fields.get("reviewed_on"),
                decision=fields.get("decision"),
                note=fields.get("note"),
            ),
        )
        services.committee_review_record(by=request.user, award_id=award.pk, **data)
        return self._answer(award.pk)

    @extend_schema(request=None, responses=CommitteeReviewSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The district approves an award its committee agreed to (district administrators)."""
        award = self.get_object()
        NoBody(data=request.data).is_valid(raise_exception=True)
        services.committee_review_approve(by=request.user, award_id=award.pk)
        return self._answer(award.pk)
