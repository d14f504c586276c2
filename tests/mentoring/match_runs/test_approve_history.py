"""The audit history an approval writes: exactly one "~" row for each pairing it changes,
holding the pairing as it is after the change, and nothing for anything else.

Run on SQLite and on PostgreSQL (`DATABASE_URL`), whose approvals are written by
different statements (core.bulk): both must leave the same history.
"""

import datetime

import pytest
from django.utils import translation

from mentoring.models import Pairing, PairingStatus, Role
from mentoring.services.match_runs import match_run_approve
from tests.mentoring.match_runs.match_scene import ACADEMIC, ACADEMIC_OPTIMUM, CARE, NOW
from workers.factories import PairingFactory, member

HISTORY_FIELDS = ["history_type", "history_user_id", "history_date", "history_change_reason"]


def _as_history(pairing: Pairing, approver) -> dict:
    """The history row an approval owes `pairing`: every field as it is now, and who did it."""
    row = {f.attname: getattr(pairing, f.attname) for f in Pairing._meta.concrete_fields}
    row.update(history_type="~", history_user_id=approver.pk, history_date=NOW)
    row["history_change_reason"] = None
    return row


def _history_after(history_id: int) -> list[dict]:
    fields = [f.attname for f in Pairing._meta.concrete_fields] + HISTORY_FIELDS
    return list(
        Pairing.history.filter(history_id__gt=history_id)
        .order_by("history_id")
        .values("history_id", *fields)
    )


def _pairings_and_history() -> tuple[list[dict], list[dict]]:
    return (
        list(Pairing.objects.order_by("pk").values()),
        list(Pairing.history.order_by("history_id").values()),
    )


@pytest.fixture
def approved(scene, run_match, clock):
    """A proposal approved while the students had pairings of their own: one it replaces
    (s1, academic), one of another kind and one of a student the proposal leaves alone."""
    run = run_match(by=scene.admin, term=scene.term)
    replaced = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        kind=ACADEMIC,
        started_on=datetime.date(2026, 9, 7),
    )
    kept = [
        PairingFactory(
            student=scene.students["s1"],
            mentor=scene.mentors["leader"],
            term=scene.term,
            kind=CARE,
            started_on=datetime.date(2026, 9, 7),
        ),
        PairingFactory(
            student=scene.students["unmatchable"],
            mentor=scene.mentors["t1"],
            term=scene.term,
            kind=ACADEMIC,
            started_on=datetime.date(2026, 9, 7),
        ),
    ]
    approver = member(Role.ADMINISTRATOR, scene.school_a)
    last = Pairing.history.order_by("-history_id").values_list("history_id", flat=True)[0]
    untouched = {p.pk: Pairing.objects.filter(pk=p.pk).values().get() for p in kept}
    with translation.override("en"):
        match_run_approve(run=run, by=approver)
    return run, replaced, untouched, approver, last


def test_approval_writes_one_history_row_per_changed_pairing_as_it_is_now(approved):
    run, replaced, untouched, approver, last = approved

    written = _history_after(last)

    activated = list(Pairing.objects.filter(proposal__run=run).order_by("pk"))
    assert len(activated) == len(ACADEMIC_OPTIMUM)
    replaced.refresh_from_db()
    assert replaced.status == PairingStatus.ENDED
    assert len(written) == 1 + len(activated)
    # The ended pairing is recorded first, then the proposal made active.
    assert {k: v for k, v in written[0].items() if k != "history_id"} == _as_history(
        replaced, approver
    )
    expected = [_as_history(p, approver) for p in activated]
    assert all(p.status == PairingStatus.ACTIVE for p in activated)
    rest = sorted(
        ({k: v for k, v in row.items() if k != "history_id"} for row in written[1:]),
        key=lambda row: row["id"],
    )
    assert rest == expected
    # The pairings the proposal does not replace are neither changed nor recorded.
    for pk, before in untouched.items():
        assert Pairing.objects.filter(pk=pk).values().get() == before
        assert not any(row["id"] == pk for row in written)


def test_a_second_approval_writes_nothing(approved, scene, clock):
    run, _replaced, _untouched, _approver, _last = approved
    before = _pairings_and_history()
    clock.return_value = NOW + datetime.timedelta(days=2)

    again = match_run_approve(run=run, by=member(Role.ADMINISTRATOR, scene.school_a))

    assert again.approved_at == NOW
    assert _pairings_and_history() == before
