"""The records the review steps rest on, written straight to the database for tests that
exercise `review` itself: an investigation with its home visit and both committees' agreement."""

from django.utils import timezone

from mentoring.models import (
    Assessment,
    CommitteeDecision,
    CommitteeOutcome,
    Investigation,
    ReviewCommittee,
    ReviewStage,
)
from workers.factories import UserFactory


def review_records(assessment: Assessment) -> Assessment:
    by = assessment.created_by or UserFactory()
    day = timezone.localdate(assessment.created_at)
    Investigation.objects.create(
        assessment=assessment,
        investigated_on=day,
        investigators="班主任",
        findings="家访核实",
        visited_on=day,
        recorded_by=by,
    )
    for stage in ReviewStage.values:
        committee, _ = ReviewCommittee.objects.get_or_create(
            school=assessment.student.school,
            term=assessment.term,
            stage=stage,
            class_name="",
            defaults={"name": f"{stage} 评议小组", "created_by": by},
        )
        CommitteeDecision.objects.create(
            committee=committee,
            assessment=assessment,
            stage=stage,
            decided_on=day,
            outcome=CommitteeOutcome.AGREED,
            note="评议通过",
            recorded_by=by,
        )
    return assessment
