"""The bank's results, imported in any order and any number of times, pay each instalment once
and never lose a paid row: a stateful property test.

A hypothesis `RuleBasedStateMachine` drives the real services on three
students' awards of two instalments each: make a batch of what is due,
import a result file (any rows of any batch, each paid or failed), import an
earlier file again. A refused file (400) is a normal outcome of a step and
must change nothing. After every step:

- no instalment has two standing payments, nor a standing payment and a row
  due in some batch;
- every row once recorded paid is still paid, with its payment standing;
- the payments are exactly the paid rows (amount, award, instalment), and
  the project's account has paid out exactly their sum;
- a failed row keeps its reason, and its instalment is due again (it goes
  into the next batch made).
"""

import os

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import DomainError
from donations.models import Disbursement, PaymentBatch, PaymentBatchRow, PaymentRowStatus
from donations.services.ledger import fund_account_of
from donations.services.payment_batches import payment_batch_create, payment_batch_results
from tests.donations.payments_scene import PAID_ON, PaymentsScene

FUNDS = 10_000_000


def _csv(rows) -> bytes:
    lines = ["序号,结果,失败原因"]
    lines += [
        f"{number},{'成功' if paid else '失败'},{'' if paid else '户名不符'}"
        for number, paid in rows
    ]
    return ("\n".join(lines) + "\n").encode()


class ResultsMachine(RuleBasedStateMachine):
    scene: PaymentsScene

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.batches: list[int] = []
        self.files: list[tuple[int, bytes]] = []
        self.ever_paid: set[int] = set()
        self.new_batch()

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _state(self):
        return list(
            PaymentBatchRow.objects.order_by("pk").values_list("pk", "status", "disbursement_id")
        ), Disbursement.objects.count()

    def _import(self, batch_id: int, data: bytes) -> None:
        before = self._state()
        try:
            with transaction.atomic():
                payment_batch_results(
                    by=self.scene.admin,
                    batch_id=batch_id,
                    data=data,
                    filename="result.csv",
                    paid_on=PAID_ON,
                )
        except DomainError:
            assert self._state() == before, "a refused file wrote something"
        self.ever_paid |= set(
            PaymentBatchRow.objects.filter(status=PaymentRowStatus.PAID).values_list(
                "pk", flat=True
            )
        )

    @rule()
    def new_batch(self):
        try:
            with transaction.atomic():
                batch = payment_batch_create(
                    by=self.scene.admin,
                    school_id=self.scene.school.pk,
                    project_id=self.scene.project.pk,
                    term_id=self.scene.term.pk,
                    method="bank_transfer",
                )
        except DomainError:
            return
        self.batches.append(batch.pk)

    @rule(
        pick=st.integers(min_value=0, max_value=100),
        rows=st.lists(
            st.tuples(st.integers(min_value=1, max_value=7), st.booleans()),
            min_size=1,
            max_size=6,
            unique_by=lambda item: item[0],
        ),
    )
    def import_result(self, pick, rows):
        if not self.batches:
            return
        batch_id = self.batches[pick % len(self.batches)]
        data = _csv(rows)
        self.files.append((batch_id, data))
        self._import(batch_id, data)

    @rule(pick=st.integers(min_value=0, max_value=100))
    def import_again(self, pick):
        if self.files:
            self._import(*self.files[pick % len(self.files)])

    @invariant()
    def each_instalment_is_paid_at_most_once(self):
        twice = (
            Disbursement.objects.filter(reversal__isnull=True)
            .values("award_id", "instalment")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        assert not twice.exists()
        paid = set(
            Disbursement.objects.filter(reversal__isnull=True).values_list("award_id", "instalment")
        )
        due = set(
            PaymentBatchRow.objects.filter(status=PaymentRowStatus.DUE).values_list(
                "award_id", "instalment"
            )
        )
        assert not paid & due

    @invariant()
    def no_paid_row_is_lost(self):
        rows = PaymentBatchRow.objects.filter(pk__in=self.ever_paid)
        assert all(
            row.status == PaymentRowStatus.PAID
            and row.disbursement is not None
            and row.disbursement.reversal_id is None
            for row in rows.select_related("disbursement")
        )

    @invariant()
    def the_payments_are_the_paid_rows(self):
        rows = {
            (award, instalment, amount)
            for award, instalment, amount in PaymentBatchRow.objects.filter(
                status=PaymentRowStatus.PAID
            ).values_list("disbursement__award_id", "disbursement__instalment", "amount_fen")
        }
        payments = set(Disbursement.objects.values_list("award_id", "instalment", "amount_fen"))
        assert rows == payments
        paid = Disbursement.objects.aggregate(total=Sum("amount_fen"))["total"] or 0
        assert fund_account_of(self.scene.project).balance_fen == FUNDS - paid

    @invariant()
    def a_failed_row_keeps_its_reason(self):
        failed = PaymentBatchRow.objects.filter(status=PaymentRowStatus.FAILED)
        assert not failed.filter(reason="").exists()
        assert PaymentBatch.objects.count() == len(self.batches)


@pytest.mark.django_db
def test_bank_results_in_any_order_pay_each_instalment_once(school_a, district_admin):
    ResultsMachine.scene = PaymentsScene(school=school_a, admin=district_admin, count=3)
    run_state_machine_as_test(
        ResultsMachine,
        settings=settings(
            max_examples=int(os.environ.get("PAYMENT_RESULTS_EXAMPLES", "10")),
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
