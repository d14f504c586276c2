"""A review step runs in a transaction of its own, on PostgreSQL as in production.

`assessment_review` locks its assessment (`select_for_update`) before it checks
anything, which PostgreSQL refuses outside a transaction. The tests around it
run inside one, so only a test that commits (`transaction=True`) sees a review
that lost its `@transaction.atomic`: the API then answered 500 where it must
answer 200, or 409 while the step's record is missing.
"""

import pytest

from mentoring.models import AssessmentStatus
from tests.conftest import client_for
from tests.mentoring.applications.records import review_records
from tests.mentoring.assessments.assessment_scene import URL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_review_endpoint_locks_and_moves_the_assessment_in_its_own_transaction(
    admin_a, assessment_a
):
    client = client_for(admin_a)

    waiting = client.post(f"{URL}{assessment_a.pk}/review/", {"note": "家访"}, format="json")
    review_records(assessment_a)
    reviewed = client.post(f"{URL}{assessment_a.pk}/review/", {"note": "家访"}, format="json")

    assert waiting.status_code == 409, waiting.content
    assert reviewed.status_code == 200, reviewed.content
    assessment_a.refresh_from_db()
    assert assessment_a.status == AssessmentStatus.INVESTIGATED
