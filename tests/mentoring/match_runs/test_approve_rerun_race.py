"""Approving a run while a new run of the same schools replaces its proposal (PostgreSQL).

Approval locks the run, then its proposal's pairings; a new run drops the
proposal's pairings and marks the run replaced. Each order of the two is driven
here with two connections, by pausing the new run just after it dropped the
pairings: whatever the order, one of the two wins whole, the other waits or is
refused with 409, and neither ends in a deadlock (which the database would break
by failing one of them) or in an approved run with pairings missing.
"""

import threading

import pytest
from django.db import connection

from core.errors import Conflict
from mentoring.models import MatchRun, MatchRunStatus, Pairing, PairingStatus, ProposedPair
from mentoring.services import match_runs
from mentoring.services.match_runs import match_run_approve, match_run_execute, match_run_record
from tests.mentoring.match_runs.match_scene import ACADEMIC

WAIT = 5  # seconds a thread may take to reach its step
PAUSE = 2  # seconds a paused step gives the other connection before going on alone


def _run_in_thread(target, outcome: dict, key: str) -> threading.Thread:
    def body():
        try:
            outcome[key] = target()
        except Exception as error:  # the test asserts what was raised
            outcome[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread


def _second_run(scene) -> MatchRun:
    """A new run of the same schools and kind, recorded but not yet run."""
    return match_run_record(
        term=scene.term, schools=[scene.school_a], kinds=[ACADEMIC], by=scene.admin
    )


def _assert_one_whole_outcome(first: MatchRun, second: MatchRun, approved) -> None:
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == MatchRunStatus.PROPOSED
    proposed_pairs = ProposedPair.objects.filter(run=first).count()
    if first.status == MatchRunStatus.APPROVED:
        assert isinstance(approved, MatchRun)
        # Every pair of the approved proposal is active: none was dropped under it.
        statuses = set(Pairing.objects.filter(proposal__run=first).values_list("status", flat=True))
        assert proposed_pairs > 0 and statuses == {PairingStatus.ACTIVE}
    else:
        assert first.status == MatchRunStatus.REPLACED
        assert isinstance(approved, Conflict), approved
        assert proposed_pairs == 0
        assert not Pairing.objects.filter(term=first.term, status=PairingStatus.ACTIVE).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approval_arriving_while_a_new_run_drops_the_proposal_is_refused_not_deadlocked(
    scene, run_match, monkeypatch
):
    first = run_match(by=scene.admin, term=scene.term)
    assert first.status == MatchRunStatus.PROPOSED
    second = _second_run(scene)
    dropped, approval_waits = threading.Event(), threading.Event()
    real_drop, real_lock = match_runs.proposals_drop, match_runs.bulk.lock_rows

    def drop_then_pause(*args, **kwargs):
        result = real_drop(*args, **kwargs)
        dropped.set()
        # Give the approval its chance to take the run's lock before this run goes on.
        approval_waits.wait(PAUSE)
        return result

    def lock_rows(queryset):
        approval_waits.set()
        return real_lock(queryset)

    monkeypatch.setattr(match_runs, "proposals_drop", drop_then_pause)
    monkeypatch.setattr(match_runs.bulk, "lock_rows", lock_rows)

    outcome: dict = {}
    rerun = _run_in_thread(lambda: match_run_execute(second, lambda p: None), outcome, "rerun")
    assert dropped.wait(WAIT * 2)

    def approve():
        return match_run_approve(run=MatchRun.objects.get(pk=first.pk), by=scene.admin)

    approval = _run_in_thread(approve, outcome, "approve")
    rerun.join(WAIT * 6)
    approval.join(WAIT * 6)

    assert not isinstance(outcome["rerun"], Exception), outcome["rerun"]
    _assert_one_whole_outcome(first, second, outcome["approve"])
    # The new run dropped the proposal first, so it is the one that wins.
    assert isinstance(outcome["approve"], Conflict)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_run_arriving_during_an_approval_waits_and_keeps_the_approved_pairs(
    scene, run_match, monkeypatch
):
    first = run_match(by=scene.admin, term=scene.term)
    second = _second_run(scene)
    locking, go_on = threading.Event(), threading.Event()
    real_lock = match_runs.bulk.lock_rows

    def lock_rows_then_pause(queryset):
        result = real_lock(queryset)
        locking.set()
        # The new run starts now, while this approval holds its locks.
        go_on.wait(WAIT)
        return result

    monkeypatch.setattr(match_runs.bulk, "lock_rows", lock_rows_then_pause)
    outcome: dict = {}

    def approve():
        return match_run_approve(run=MatchRun.objects.get(pk=first.pk), by=scene.admin)

    approval = _run_in_thread(approve, outcome, "approve")
    assert locking.wait(WAIT * 2)
    rerun = _run_in_thread(lambda: match_run_execute(second, lambda p: None), outcome, "rerun")
    rerun.join(1)
    assert rerun.is_alive(), "the new run must wait for the approval's locks"
    go_on.set()
    approval.join(WAIT * 6)
    rerun.join(WAIT * 6)

    assert not isinstance(outcome["rerun"], Exception), outcome["rerun"]
    _assert_one_whole_outcome(first, second, outcome["approve"])
    first.refresh_from_db()
    assert first.status == MatchRunStatus.APPROVED
