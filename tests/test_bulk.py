"""Fast inserts with their history: COPY on PostgreSQL, bulk_create elsewhere."""

import pytest

from mentoring import bulk
from mentoring.models import Pairing, PairingStatus
from tests.factories import MentorFactory, PairingFactory, StudentFactory, member
from workers.models import JobKind, MatchRun, ProposedPair
from workers.services import job_create


def insert_and_check(school_a):
    base = PairingFactory(student=StudentFactory(school=school_a))
    admin = member("administrator", school_a)
    students = [StudentFactory(school=school_a) for _ in range(3)]
    mentor = MentorFactory(schools=[school_a])
    bulk.insert(
        Pairing,
        ["term_id", "student_id", "mentor_id", "kind", "status", "started_on", "reason"],
        [
            (
                base.term_id,
                s.pk,
                mentor.pk,
                "academic",
                PairingStatus.PROPOSED,
                base.started_on,
                "r",
            )
            for s in students
        ],
    )
    created = Pairing.objects.filter(student__in=students)
    assert created.count() == 3
    row = created.first()
    assert (row.status, row.reason, row.end_reason, row.ended_on) == ("proposed", "r", "", None)
    assert row.created_at is not None

    bulk.record_history(created, user=admin)
    history = Pairing.history.filter(id__in=created.values("pk"))
    assert history.count() == 3
    assert {h.history_user_id for h in history} == {admin.pk}
    assert {h.history_type for h in history} == {"+"}

    run = MatchRun.objects.create(
        term=base.term,
        kinds=["academic"],
        created_by=admin,
        job=job_create(kind=JobKind.MATCH_RUN, started_by=admin),
    )
    bulk.insert(
        ProposedPair,
        ["run_id", "pairing_id", "cost", "reasons"],
        [(run.pk, p.pk, 7, {"subjects_matched": ["math"]}) for p in created],
    )
    proposals = ProposedPair.objects.filter(run=run)
    assert [p.reasons for p in proposals] == [{"subjects_matched": ["math"]}] * 3
    assert {p.by_hand for p in proposals} == {False}


@pytest.mark.django_db
def test_insert_and_history_on_the_current_database(school_a):
    insert_and_check(school_a)


@pytest.mark.postgres
@pytest.mark.django_db
def test_insert_uses_copy_on_postgresql(school_a):
    insert_and_check(school_a)
