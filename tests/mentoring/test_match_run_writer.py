"""Writing a run's proposal while it is solved (PostgreSQL: one pipelined statement per part)."""

import pytest
from django.db import DatabaseError, connection
from django.utils.translation import gettext

from mentoring.matching import writer
from mentoring.models import (
    MatchRun,
    MatchRunStatus,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
)
from mentoring.services.match_runs import match_run_execute
from tests.mentoring.match_runs.match_scene import build_scene, clock, proposal, run_match  # noqa: F401

ACADEMIC, CARE = PairingKind.ACADEMIC, PairingKind.CARE


@pytest.fixture
def scene(db, clock):  # noqa: F811
    return build_scene()


def check_written_proposal(scene, run_match):  # noqa: F811
    run = run_match(by=scene.admin, term=scene.term, kinds=[ACADEMIC, CARE])

    pairs = proposal(run)
    assert {kind for _student, kind in pairs} == {ACADEMIC, CARE}
    pairings = Pairing.objects.filter(proposal__run=run)
    assert pairings.count() == len(pairs)
    start = min(max(scene.term.start_date, pairings[0].created_at.date()), scene.term.end_date)
    for pairing in pairings:
        assert pairing.status == PairingStatus.PROPOSED
        assert pairing.reason == gettext("Proposed by match run #%(run)s.") % {"run": run.pk}
        assert (pairing.end_reason, pairing.ended_on) == ("", None)
        assert pairing.started_on == start
        assert pairing.created_by == scene.admin
        (history,) = pairing.history.all()
        assert (history.history_type, history.history_user) == ("+", scene.admin)
        assert history.history_change_reason is None
        assert history.created_at == pairing.created_at
        assert (history.student_id, history.mentor_id, history.status, history.reason) == (
            pairing.student_id,
            pairing.mentor_id,
            pairing.status,
            pairing.reason,
        )
    proposals = ProposedPair.objects.filter(run=run)
    assert {p.by_hand for p in proposals} == {False}
    assert all(isinstance(p.reasons, dict) and "grade_fit" in p.reasons for p in proposals)
    summary = run.summary["kinds"]
    assert sum(k["proposed"] for k in summary.values()) == len(pairs)
    return run


def test_the_proposal_is_written_with_its_history_and_reasons(scene, run_match):  # noqa: F811
    check_written_proposal(scene, run_match)


@pytest.mark.postgres
def test_the_streamed_proposal_is_written_with_its_history_and_reasons(scene, run_match):  # noqa: F811
    assert connection.vendor == "postgresql"
    check_written_proposal(scene, run_match)


@pytest.mark.postgres
def test_a_failure_while_streaming_leaves_the_earlier_proposal_as_it_was(scene, run_match):  # noqa: F811
    first = run_match(by=scene.admin, term=scene.term)
    before = proposal(first)
    pairings = list(Pairing.objects.order_by("pk").values())
    second = MatchRun.objects.create(
        term=scene.term, kinds=[ACADEMIC], created_by=scene.admin, weights=first.weights
    )
    second.rules = first.rules
    second.save()
    second.schools.set(first.schools.all())
    real = writer.ProposalWriter.writer_for

    def broken_writer_for(self, kind):
        write = real(self, kind)
        # A mentor that does not exist: the foreign key check fails inside the pipeline.
        return lambda students, mentors, costs, reasons: write(
            students, [-1] * len(mentors), costs, reasons
        )

    with (
        pytest.MonkeyPatch.context() as patch,
        pytest.raises(DatabaseError, match="foreign key"),
    ):
        patch.setattr(writer.ProposalWriter, "writer_for", broken_writer_for)
        match_run_execute(second, lambda value: None)

    assert proposal(first) == before
    assert list(Pairing.objects.order_by("pk").values()) == pairings
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == MatchRunStatus.PROPOSED
    assert second.status == MatchRunStatus.PENDING and second.inputs is None
