"""The complaint workflow as a state machine: hypothesis drives the real services.

Random sequences of record / answer / close / reopen, some of them not
allowed in the complaint's state, against a model of what each move must do:
a move allowed in the state is made, any other is refused (409) and changes
nothing; the database's constraints hold after every step (an answered or
closed complaint has its answer, an open one none); nothing is deleted.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict
from oversight.models import Complaint, ComplaintStatus
from oversight.services import COMPLAINT_MOVES, complaint_move, complaint_record
from workers.factories import DistrictFactory, SchoolFactory, member

OPEN, ANSWERED, CLOSED = ComplaintStatus.OPEN, ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED
# What each move does, written out apart from the service's own table.
EXPECTED = {
    ("answer", OPEN): ANSWERED,
    ("reopen", ANSWERED): OPEN,
    ("close", ANSWERED): CLOSED,
}


class ComplaintMachine(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.admin, self.school = self.world["admin"], self.world["school"]
        self.expected: dict[int, str] = {}

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    @rule(days_ago=st.integers(min_value=0, max_value=90), anonymous=st.booleans())
    def record(self, days_ago, anonymous):
        complaint = complaint_record(
            by=self.admin,
            school=self.school.pk,
            received_on=timezone.localdate() - timedelta(days=days_ago),
            channel="phone",
            anonymous=anonymous,
            complainant_name="" if anonymous else "李先生",
            subject="名单",
            details="内容",
        )
        self.expected[complaint.pk] = OPEN

    @rule(
        pick=st.integers(min_value=0, max_value=50), move=st.sampled_from(sorted(COMPLAINT_MOVES))
    )
    def move(self, pick, move):
        if not self.expected:
            return
        pk = sorted(self.expected)[pick % len(self.expected)]
        before = self.expected[pk]
        complaint = Complaint.objects.get(pk=pk)
        if (move, before) in EXPECTED:
            complaint_move(by=self.admin, complaint=complaint, action=move, answer="已处理")
            self.expected[pk] = EXPECTED[(move, before)]
        else:
            with pytest.raises(Conflict), transaction.atomic():
                complaint_move(by=self.admin, complaint=complaint, action=move, answer="已处理")

    @invariant()
    def records_match_the_model(self):
        rows = {c.pk: c for c in Complaint.objects.all()}
        assert {pk: c.status for pk, c in rows.items()} == self.expected
        for c in rows.values():
            assert (c.status == OPEN) == (c.answered_at is None)
            assert (c.status == CLOSED) == (c.closed_at is not None)
            assert c.status == OPEN or c.answer
            assert c.answer_due_on >= c.received_on
            assert not c.anonymous or (c.complainant_name, c.complainant_contact) == ("", "")


@pytest.mark.django_db(transaction=False)
def test_the_complaint_workflow_holds_under_random_moves():
    school = SchoolFactory(district=DistrictFactory())
    ComplaintMachine.world = {"admin": member("administrator", school), "school": school}
    run_state_machine_as_test(
        ComplaintMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
