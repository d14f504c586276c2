"""The committee's review and the district's approval as a state machine.

First every (move, state) pair, written out here apart from the service's
table: an allowed move leads where the table says, any other is refused
(409) and changes nothing. Then hypothesis drives the real services with
random sequences of agree / disagree / approve / pay on a few awards, against
a model of what each move must do; after every step the stored states match
the model, an approved review was agreed and says who approved it, and only
approved awards have been paid.
"""

import datetime
import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict
from donations.models import Award, AwardStatus, CommitteeReview, Disbursement
from donations.services.allocation import allocate
from donations.services.committee_reviews import (
    MOVES,
    REVIEW_MOVES,
    committee_review_approve,
    committee_review_record,
    review_move,
)
from donations.services.disbursements import disbursement_pay
from tests.award_days import made_at_term_start
from tests.donations.committees.committee_scene import approved_student, build, living_subsidy

PENDING, AGREED, DISAGREED, APPROVED = "pending", "agreed", "disagreed", "approved"
STATES = (PENDING, AGREED, DISAGREED, APPROVED)
EXPECTED = {
    ("agree", PENDING): AGREED,
    ("disagree", PENDING): DISAGREED,
    ("agree", DISAGREED): AGREED,
    ("disagree", DISAGREED): DISAGREED,
    ("approve", AGREED): APPROVED,
}
DAY = datetime.date(2026, 10, 9)


def test_the_table_of_moves_is_the_one_written_here():
    assert REVIEW_MOVES == EXPECTED


@pytest.mark.parametrize(("move", "state"), list(itertools.product(MOVES, STATES)))
def test_every_move_from_every_state_is_made_or_refused(move, state):
    if (move, state) in EXPECTED:
        assert review_move(state, move) == EXPECTED[(move, state)]
    else:
        with pytest.raises(Conflict) as refused:
            review_move(state, move)
        assert refused.value.field == "award"


def _move(admin, award_id: int, move: str):
    if move == "approve":
        return committee_review_approve(by=admin, award_id=award_id)
    return committee_review_record(
        by=admin,
        award_id=award_id,
        reviewers=["王主任", "村会计"],
        reviewed_on=DAY,
        decision=move,
        note="" if move == "agree" else "家庭收入已超标",
    )


class ReviewMachine(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.admin = self.world["admin"]
        self.awards = list(self.world["awards"])
        self.expected = dict.fromkeys(self.awards, PENDING)
        self.paid: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    @rule(pick=st.integers(min_value=0, max_value=20), move=st.sampled_from(MOVES))
    def move(self, pick, move):
        award = self.awards[pick % len(self.awards)]
        before = self.expected[award]
        if (move, before) in EXPECTED:
            review = _move(self.admin, award, move)
            self.expected[award] = EXPECTED[(move, before)]
            assert review.state == self.expected[award]
        else:
            with pytest.raises(Conflict), transaction.atomic():
                _move(self.admin, award, move)

    @rule(pick=st.integers(min_value=0, max_value=20))
    def pay(self, pick):
        award = self.awards[pick % len(self.awards)]
        pay = dict(
            by=self.admin,
            award_id=award,
            method="bank_transfer",
            paid_on=DAY,
            bank_reference=f"B-{award}",
        )
        if self.expected[award] == APPROVED and award not in self.paid:
            disbursement_pay(**pay)
            self.paid.add(award)
        else:
            with pytest.raises(Conflict), transaction.atomic():
                disbursement_pay(**pay)

    @invariant()
    def records_match_the_model(self):
        stored = {r.award_id: r for r in CommitteeReview.objects.all()}
        assert {a: stored[a].state if a in stored else PENDING for a in self.awards} == (
            self.expected
        )
        for review in stored.values():
            assert review.reviewers and review.reviewed_on == DAY
            assert (review.state == APPROVED) == (review.approved_by_id is not None)
            assert review.state != DISAGREED or review.note
        assert set(Disbursement.objects.values_list("award", flat=True)) == self.paid
        assert (
            set(Award.objects.filter(status=AwardStatus.PAID).values_list("pk", flat=True))
            == self.paid
        )


@pytest.mark.django_db(transaction=False)
def test_the_review_workflow_holds_under_random_moves():
    scene = build()
    project = living_subsidy(scene, places=[5, 5])
    for n in range(3):
        approved_student(scene, committee=n % 2, need=90 - n)
    allocate(by=scene.district_admin, project=project, term=scene.term)
    # Paid on DAY (a rule's paid_on), after the awards were made (migration 0022).
    made_at_term_start(*Award.objects.filter(project=project))
    ReviewMachine.world = {
        "admin": scene.district_admin,
        "awards": list(Award.objects.filter(project=project).values_list("pk", flat=True)),
    }
    assert len(ReviewMachine.world["awards"]) == 3
    run_state_machine_as_test(
        ReviewMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
