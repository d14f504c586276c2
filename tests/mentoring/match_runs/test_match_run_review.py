"""Reviewing a matching run: pairs edited by hand under the same rules, then approval."""

import datetime

import pytest
from django.utils import translation

from core.errors import Conflict, DomainError
from mentoring.models import MatchRun, MatchRunStatus, Pairing, PairingStatus, ProposedPair, Role
from mentoring.services.match_runs import (
    match_run_approve,
    match_run_execute,
    match_run_pair_add,
    match_run_pair_change,
    match_run_pair_remove,
)
from tests.mentoring.match_runs.match_scene import (
    ACADEMIC,
    ACADEMIC_OPTIMUM,
    CARE,
    NOW,
    TODAY,
    assert_hard_rules_hold,
    proposal,
    reasons_of,
    row_counts,
)
from workers.factories import PairingFactory, UserFactory, member
from workers.models import JobStatus

# Approval


def test_approval_makes_the_proposal_active_within_the_term(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    pairs = proposal(run)

    approved = match_run_approve(run=run, by=scene.admin)

    assert approved.status == MatchRunStatus.APPROVED
    assert approved.approved_by == scene.admin
    assert approved.approved_at == NOW
    active = Pairing.objects.filter(term=scene.term, status=PairingStatus.ACTIVE)
    assert {(p.student_id, p.kind): p.mentor_id for p in active} == pairs
    for pairing in active:
        assert pairing.started_on == TODAY
        assert scene.term.start_date <= pairing.started_on <= scene.term.end_date
    assert not Pairing.objects.filter(status=PairingStatus.PROPOSED).exists()


def test_approval_ends_the_active_pairing_it_replaces_with_the_reason(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    # Paired by hand while the proposal was under review.
    meanwhile = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        kind=ACADEMIC,
        started_on=datetime.date(2026, 9, 7),
    )
    other_kind = PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["leader"],
        term=scene.term,
        kind=CARE,
        started_on=datetime.date(2026, 9, 7),
    )

    with translation.override("en"):
        match_run_approve(run=run, by=scene.admin)

    meanwhile.refresh_from_db()
    assert meanwhile.status == PairingStatus.ENDED
    assert meanwhile.ended_on == TODAY
    assert meanwhile.end_reason == f"Replaced by match run #{run.pk}."
    other_kind.refresh_from_db()
    assert other_kind.status == PairingStatus.ACTIVE
    assert (
        Pairing.objects.get(
            student=scene.students["s1"], kind=ACADEMIC, status=PairingStatus.ACTIVE
        ).mentor
        == scene.mentors["p1"]
    )


def test_approving_twice_changes_nothing(scene, run_match, clock):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_approve(run=run, by=scene.admin)
    before = list(Pairing.objects.order_by("pk").values())
    history = Pairing.history.count()
    clock.return_value = NOW + datetime.timedelta(days=3)
    other_admin = member(Role.ADMINISTRATOR, scene.school_a)

    again = match_run_approve(run=run, by=other_admin)

    assert again.status == MatchRunStatus.APPROVED
    assert again.approved_by == scene.admin
    assert again.approved_at == NOW
    assert list(Pairing.objects.order_by("pk").values()) == before
    assert Pairing.history.count() == history


def test_an_approved_run_can_no_longer_be_edited_or_rerun(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))
    match_run_approve(run=run, by=scene.admin)
    before = row_counts()

    with pytest.raises(Conflict):
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("unvetted"),
            kind=ACADEMIC,
        )
    with pytest.raises(Conflict):
        match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("t1"))
    with pytest.raises(Conflict):
        match_run_pair_remove(run=run, by=scene.admin, proposal=s1)
    with pytest.raises(Conflict):
        match_run_execute(run, lambda value: None)

    assert row_counts() == before
    assert Pairing.objects.get(pk=s1.pairing_id).status == PairingStatus.ACTIVE


def test_a_failed_or_pending_run_cannot_be_approved(scene):
    run = MatchRun.objects.create(term=scene.term, kinds=[ACADEMIC], created_by=scene.admin)

    with pytest.raises(Conflict) as refused:
        match_run_approve(run=run, by=scene.admin)

    assert refused.value.status_code == 409
    assert refused.value.extra == {"status": MatchRunStatus.PENDING}


# Editing by hand


def test_remove_deletes_the_proposed_pairing(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))

    match_run_pair_remove(run=run, by=scene.admin, proposal=s1)

    assert not Pairing.objects.filter(pk=s1.pairing_id).exists()
    assert not ProposedPair.objects.filter(pk=s1.pk).exists()
    assert len(proposal(run)) == 4


def test_add_a_pair_that_keeps_the_rules(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_pair_remove(run=run, by=scene.admin, proposal=reasons_of(run, scene.s("s1")))

    added = match_run_pair_add(
        run=run, by=scene.admin, student_id=scene.s("s1"), mentor_id=scene.m("t1"), kind=ACADEMIC
    )

    assert added.by_hand is True
    assert added.pairing.status == PairingStatus.PROPOSED
    assert added.pairing.created_by == scene.admin
    assert proposal(run)[(scene.s("s1"), ACADEMIC)] == scene.m("t1")


@pytest.mark.parametrize(
    ("student", "mentor", "rule"),
    [
        ("unmatchable", "p2", "conflict"),
        ("unmatchable", "unvetted", "volunteer_not_vetted"),
        ("unmatchable", "t1", "safeguarding_gender"),
        ("unmatchable", "leader", "mentor_kind"),
    ],
)
def test_adding_a_pair_that_breaks_a_rule_is_refused_naming_mentor(
    scene, run_match, student, mentor, rule
):
    run = run_match(by=scene.admin, term=scene.term)
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s(student),
            mentor_id=scene.m(mentor),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert refused.value.extra["rule"] == rule
    assert row_counts() == before


def test_adding_a_pair_with_a_mentor_of_another_school_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("b_teacher"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert row_counts() == before


def test_a_run_of_two_schools_refuses_a_teacher_of_the_other_school(scene, run_match):
    district_admin = member(Role.ADMINISTRATOR, scene.school_a, scene.school_b)
    run = run_match(by=district_admin, term=scene.term)
    assert {s.pk for s in run.schools.all()} == {scene.school_a.pk, scene.school_b.pk}
    before = row_counts()

    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=district_admin,
            student_id=scene.s("unmatchable"),
            mentor_id=scene.m("b_teacher"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert refused.value.extra["rule"] == "other_school"
    assert row_counts() == before


def test_adding_a_pair_to_a_full_mentor_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    match_run_pair_remove(run=run, by=scene.admin, proposal=reasons_of(run, scene.s("s1")))
    before = row_counts()

    # p2 already has s2 and older, its capacity of 2.
    with pytest.raises(DomainError) as refused:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("s1"),
            mentor_id=scene.m("p2"),
            kind=ACADEMIC,
        )

    assert refused.value.field == "mentor"
    assert row_counts() == before


def test_adding_a_second_pair_for_a_student_or_an_unmatched_student_is_refused(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    with pytest.raises(DomainError) as twice:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("s1"),
            mentor_id=scene.m("t1"),
            kind=ACADEMIC,
        )
    with pytest.raises(DomainError) as not_in_run:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("c_special"),
            mentor_id=scene.m("t1"),
            kind=ACADEMIC,
        )
    with pytest.raises(DomainError) as other_kind:
        match_run_pair_add(
            run=run,
            by=scene.admin,
            student_id=scene.s("c_special"),
            mentor_id=scene.m("t1"),
            kind=CARE,
        )

    assert twice.value.field == "student"
    assert not_in_run.value.field == "student"
    assert other_kind.value.field == "kind"


def test_changing_the_mentor_is_checked_again(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))

    changed = match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("t1"))

    assert changed.by_hand is True
    assert changed.reasons["changed_by"] == "admin.a"
    assert proposal(run)[(scene.s("s1"), ACADEMIC)] == scene.m("t1")
    assert Pairing.objects.get(pk=s1.pairing_id).mentor_id == scene.m("t1")


@pytest.mark.parametrize(
    ("student", "mentor"),
    [
        ("s1", "p2"),  # full
        ("s2", "unvetted"),  # not vetted
        ("conflicted", "p1"),  # conflict
        ("older", "vetted"),  # safeguarding
        ("s1", "b_teacher"),  # another school
    ],
)
def test_changing_to_a_mentor_that_breaks_a_rule_is_refused(scene, run_match, student, mentor):
    run = run_match(by=scene.admin, term=scene.term)
    chosen = reasons_of(run, scene.s(student))
    before = proposal(run)

    with pytest.raises(DomainError) as refused:
        match_run_pair_change(run=run, by=scene.admin, proposal=chosen, mentor_id=scene.m(mentor))

    assert refused.value.field == "mentor"
    assert proposal(run) == before
    chosen.refresh_from_db()
    assert chosen.by_hand is False


def test_keeping_the_same_mentor_does_not_count_its_own_place(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s2 = reasons_of(run, scene.s("s2"))

    # p2 is full with s2 and older; s2's own place is not counted twice.
    match_run_pair_change(run=run, by=scene.admin, proposal=s2, mentor_id=scene.m("p2"))

    assert proposal(run)[(scene.s("s2"), ACADEMIC)] == scene.m("p2")


def test_swapping_two_mentors_by_hand(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    s1 = reasons_of(run, scene.s("s1"))
    conflicted = reasons_of(run, scene.s("conflicted"))

    # s1 moves from p1 to the volunteer, who then has three; the conflicted
    # girl may not take p1, so she moves to t1 instead.
    match_run_pair_change(run=run, by=scene.admin, proposal=s1, mentor_id=scene.m("vetted"))
    match_run_pair_change(run=run, by=scene.admin, proposal=conflicted, mentor_id=scene.m("t1"))

    labels = scene.labels(proposal(run))
    assert labels["s1"] == "vetted"
    assert labels["conflicted"] == "t1"
    assert_hard_rules_hold(scene.term)


def test_superuser_starts_a_run_for_every_school_of_the_district(scene, run_match):
    root = UserFactory(username="platform.root", is_superuser=True)

    run = run_match(by=root, term=scene.term)

    assert {s.pk for s in run.schools.all()} == {scene.school_a.pk, scene.school_b.pk}
    assert (scene.s("b_student"), ACADEMIC) in proposal(run)
    run.job.refresh_from_db()
    assert run.job.school is None
    assert run.job.status == JobStatus.SUCCEEDED


def test_a_later_run_replaces_an_earlier_proposal_which_can_no_longer_be_approved(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    second = run_match(by=scene.admin, term=scene.term)
    first.refresh_from_db()
    assert (first.status, second.status) == (MatchRunStatus.REPLACED, MatchRunStatus.PROPOSED)
    with pytest.raises(Conflict):
        match_run_approve(run=first, by=scene.admin)
    assert not Pairing.objects.filter(status=PairingStatus.ACTIVE).exists()


def test_approval_is_in_the_history_with_the_approver(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    approver = member(Role.ADMINISTRATOR, scene.school_a)
    match_run_approve(run=run, by=approver)

    activated = Pairing.objects.filter(proposal__run=run)
    assert activated.count() == len(ACADEMIC_OPTIMUM)
    for pairing in activated:
        latest = pairing.history.order_by("-history_id").first()
        assert (latest.status, latest.history_type) == (PairingStatus.ACTIVE, "~")
        assert latest.history_user == approver
        first = pairing.history.order_by("history_id").first()
        assert (first.status, first.history_type) == (PairingStatus.PROPOSED, "+")
