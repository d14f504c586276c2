"""The term's matching run as services: what a run proposes, and running it again.

The scene (one primary school whose optimal proposal is known by hand) is in
match_scene.py, next to this file, shared with the API and worker tests.
"""

import datetime
from collections import Counter

from django.utils import translation

from mentoring.matching.problem import load_inputs, solve_inputs
from mentoring.models import (
    AssessmentStatus,
    Gender,
    MatchRun,
    MatchRunStatus,
    Mentor,
    MentorKind,
    Pairing,
    PairingStatus,
    ProposedPair,
    Role,
    Student,
    Subject,
)
from mentoring.services.match_runs import match_run_approve, match_run_execute
from tests.mentoring.match_runs.match_scene import (
    ACADEMIC,
    ACADEMIC_OPTIMUM,
    CARE,
    TODAY,
    Scene,
    _mentor,
    _student,
    assert_hard_rules_hold,
    proposal,
    reasons_of,
)
from workers.factories import AssessmentFactory, PairingFactory, SchoolFactory, TermFactory, member
from workers.models import JobStatus

# The proposal


def test_run_proposes_the_optimum_within_every_rule_and_ends_its_job_succeeded(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert run.status == MatchRunStatus.PROPOSED
    assert scene.labels(proposal(run)) == ACADEMIC_OPTIMUM
    assert_hard_rules_hold(scene.term)
    assert set(
        Pairing.objects.filter(term=scene.term).values_list("status", "kind").distinct()
    ) == {(PairingStatus.PROPOSED, ACADEMIC)}
    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.job.progress == 100
    assert run.job.school == scene.school_a
    assert run.job.result == run.summary


def test_every_party_teacher_gets_a_mentee(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    mentees = Counter(proposal(run).values())
    assert mentees[scene.m("p1")] >= 1
    assert mentees[scene.m("p2")] >= 1
    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == []


def _lonely_party_teacher(scene: Scene, conflicts: list[str]) -> Mentor:
    """A party teacher of PE for grade 1, whom no student's needs fit."""
    lonely = _mentor(
        scene.school_a,
        "lonely",
        MentorKind.PARTY_TEACHER,
        gender=Gender.MALE,
        subjects=[Subject.PE],
        grades=[1],
        capacity=1,
    )
    lonely.conflicts.add(*[scene.students[label] for label in conflicts])
    return lonely


def test_a_party_teacher_gets_a_mentee_even_when_others_fit_better(scene, run_match):
    # Only the two girls under 12 may take him; every pair with him costs more.
    lonely = _lonely_party_teacher(scene, ["s2", "s3", "older", "unmatchable"])

    run = run_match(by=scene.admin, term=scene.term)

    mentees = Counter(proposal(run).values())
    assert mentees[lonely.pk] == 1
    assert mentees[scene.m("p1")] >= 1
    assert mentees[scene.m("p2")] >= 1
    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == []
    assert_hard_rules_hold(scene.term)


def test_a_party_teacher_no_student_may_take_is_listed_below_minimum_with_why(scene, run_match):
    lonely = _lonely_party_teacher(scene, ["s1", "s2", "s3", "older", "conflicted", "unmatchable"])

    run = run_match(by=scene.admin, term=scene.term)

    assert run.summary["kinds"][ACADEMIC]["mentors_below_minimum"] == [
        {
            "mentor": lonely.pk,
            "assigned": 0,
            "minimum": 1,
            "reason": "not_enough_eligible_students",
        }
    ]
    # The rest of the proposal is the optimum as before.
    assert scene.labels(proposal(run)) == ACADEMIC_OPTIMUM


def test_reasons_name_matched_subjects_grade_fit_and_continuity(scene, run_match):
    # The pairing's reason is written in the language active when the run executes.
    with translation.override("en"):
        run = run_match(by=scene.admin, term=scene.term)

    with_continuity = reasons_of(run, scene.s("s3"))
    assert with_continuity.reasons == {
        "subjects_matched": ["math"],
        "grade_fit": True,
        "continuity": True,
    }
    # English is missed (30), continuity saves 20.
    assert with_continuity.cost == 10
    assert with_continuity.by_hand is False
    plain = reasons_of(run, scene.s("s1"))
    assert plain.reasons == {"subjects_matched": ["math"], "grade_fit": True}
    assert plain.cost == 0
    poor_fit = reasons_of(run, scene.s("older"))
    assert poor_fit.reasons == {"subjects_matched": [], "grade_fit": False}
    assert poor_fit.cost == 40
    assert poor_fit.pairing.reason == f"Proposed by match run #{run.pk}."
    assert scene.term.start_date <= poor_fit.pairing.started_on <= scene.term.end_date


def test_continuity_comes_only_from_the_previous_term_of_the_same_district(scene, run_match):
    # A pairing in another district's term of the same dates gives no continuity.
    elsewhere = TermFactory(
        code="2026-spring",
        start_date=scene.previous_term.start_date,
        end_date=scene.previous_term.end_date,
    )
    PairingFactory(
        student=scene.students["s1"],
        mentor=scene.mentors["vetted"],
        term=elsewhere,
        kind=ACADEMIC,
        status=PairingStatus.ENDED,
        started_on=datetime.date(2026, 3, 2),
        ended_on=datetime.date(2026, 7, 10),
    )

    run = run_match(by=scene.admin, term=scene.term)

    previous = {s["id"]: s["previous_mentor"] for s in run.inputs["students"][ACADEMIC]}
    assert previous[scene.s("s3")] == scene.m("vetted")
    assert previous[scene.s("s1")] is None
    assert "continuity" not in reasons_of(run, scene.s("s1")).reasons


def test_unmatched_students_are_listed_with_the_reason_in_the_summary(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    academic = run.summary["kinds"][ACADEMIC]
    assert run.summary["term"] == "2026-autumn"
    assert academic["students"] == 6
    assert academic["mentors"] == 6
    assert academic["proposed"] == 5
    assert academic["kept"] == 0
    assert academic["unmatched"] == 1
    assert academic["unmatched_by_reason"] == {"safeguarding_gender": 1}
    assert academic["unmatched_students"] == [
        {"student": scene.s("unmatchable"), "reason": "safeguarding_gender"}
    ]
    assert academic["parts"] == 1


def test_when_capacity_runs_short_the_neediest_student_is_served(scene, run_match):
    # Only p1 may tutor these two girls (every other mentor of school A is away).
    Mentor.objects.exclude(pk=scene.m("p1")).update(active=False)
    Mentor.objects.filter(pk=scene.m("p1")).update(capacity=1)
    scene.mentors["p1"].conflicts.clear()
    Student.objects.filter(
        pk__in=[scene.s(k) for k in ("s2", "s3", "older", "unmatchable")]
    ).update(gender=Gender.FEMALE)
    needy = scene.students["conflicted"]
    AssessmentFactory(
        student=needy, term=scene.term, status=AssessmentStatus.APPROVED, tier="special_hardship"
    )

    run = run_match(by=scene.admin, term=scene.term)

    assert proposal(run) == {(needy.pk, ACADEMIC): scene.m("p1")}
    academic = run.summary["kinds"][ACADEMIC]
    assert academic["unmatched"] == 5
    assert academic["unmatched_by_reason"] == {"capacity_short": 5}


def test_only_schools_of_the_run_are_matched(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)

    assert scene.s("b_student") not in {s for s, _kind in proposal(run)}
    assert scene.m("b_teacher") not in proposal(run).values()
    assert scene.m("b_teacher") not in {m["id"] for m in run.inputs["mentors"]}
    assert list(run.schools.all()) == [scene.school_a]


def test_care_run_pairs_students_with_an_approved_tier_and_meets_leaders_minimum(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term, kinds=[CARE])

    care = {s["id"]: s["need_rank"] for s in run.inputs["students"][CARE]}
    assert care == {scene.s("c_special"): 0, scene.s("c_general"): 2}
    assert set(run.inputs["students"]) == {CARE}
    pairs = proposal(run)
    assert {s for s, _kind in pairs} == {scene.s("c_special"), scene.s("c_general")}
    assert Counter(pairs.values())[scene.m("leader")] >= 1
    assert run.summary["kinds"][CARE]["mentors_below_minimum"] == []
    assert set(Pairing.objects.filter(term=scene.term).values_list("kind", flat=True)) == {CARE}
    assert_hard_rules_hold(scene.term)


def test_one_run_for_both_kinds_shares_each_mentors_capacity(clock, run_match, db):
    school = SchoolFactory()
    term = TermFactory(district=school.district)
    admin = member(Role.ADMINISTRATOR, school)
    only = _mentor(
        school,
        "only",
        MentorKind.TEACHER,
        gender=Gender.FEMALE,
        subjects=[Subject.MATH],
        grades=[3],
        capacity=1,
    )
    born = datetime.date(2017, 5, 1)
    struggling = _student(
        school, term, "struggling", gender=Gender.FEMALE, birth=born, weak=["math"]
    )
    poor = _student(school, term, "poor", gender=Gender.FEMALE, birth=born, struggling=False)
    AssessmentFactory(student=poor, term=term, status=AssessmentStatus.APPROVED, tier="hardship")

    run = run_match(by=admin, term=term, kinds=[ACADEMIC, CARE])

    # One place, two kinds: academic is solved first and takes it; the care
    # student is reported as left for lack of places.
    assert Pairing.objects.filter(mentor=only, status=PairingStatus.PROPOSED).count() == 1
    assert proposal(run) == {(struggling.pk, ACADEMIC): only.pk}
    care = run.summary["kinds"][CARE]
    assert care["proposed"] == 0
    assert care["unmatched_students"] == [{"student": poor.pk, "reason": "capacity_short"}]
    assert_hard_rules_hold(term)
    # Each kind of the stored run reproduces on its own, places taken included.
    result, _reasons, _why = solve_inputs(
        run.inputs, weights=run.weights, rules=run.rules, kind=CARE
    )
    assert result.pairs == []


# Running again


def test_running_again_for_the_term_gives_the_same_proposal_without_duplicates(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    first_pairs = proposal(first)

    second = run_match(by=scene.admin, term=scene.term)

    assert proposal(second) == first_pairs
    # The first run's proposal was replaced, not piled up.
    assert proposal(first) == {}
    assert Pairing.objects.filter(term=scene.term).count() == len(first_pairs)
    assert ProposedPair.objects.count() == len(first_pairs)
    assert second.summary["kinds"] == first.summary["kinds"]
    # Each replaced proposal leaves its deletion in the pairing's history.
    assert Pairing.history.filter(history_type="-").count() == len(first_pairs)


def test_executing_the_same_run_twice_writes_the_same_proposal_once(scene, run_match):
    run = run_match(by=scene.admin, term=scene.term)
    before = proposal(run)
    progress = []

    summary = match_run_execute(run, progress.append)

    assert proposal(run) == before
    assert summary == run.summary
    assert Pairing.objects.filter(term=scene.term).count() == len(before)
    assert progress[-1] == 100
    assert progress == sorted(progress)


def test_active_pairings_are_kept_as_they_are_and_counted_as_kept(scene, run_match):
    active = PairingFactory(
        student=scene.students["s2"],
        mentor=scene.mentors["t1"],
        term=scene.term,
        kind=ACADEMIC,
        started_on=datetime.date(2026, 9, 7),
    )

    run = run_match(by=scene.admin, term=scene.term)

    active.refresh_from_db()
    assert (active.status, active.mentor_id, active.started_on) == (
        PairingStatus.ACTIVE,
        scene.m("t1"),
        datetime.date(2026, 9, 7),
    )
    assert (scene.s("s2"), ACADEMIC) not in proposal(run)
    assert Pairing.objects.filter(student=scene.students["s2"], term=scene.term).count() == 1
    assert run.summary["kinds"][ACADEMIC]["kept"] == 1
    assert run.summary["kinds"][ACADEMIC]["proposed"] == 4
    # t1's one place is taken by the kept pairing.
    assert scene.m("t1") not in proposal(run).values()
    assert_hard_rules_hold(scene.term)


def test_after_approval_a_new_run_keeps_every_approved_pairing(scene, run_match):
    first = run_match(by=scene.admin, term=scene.term)
    match_run_approve(run=first, by=scene.admin)
    active_before = set(
        Pairing.objects.filter(term=scene.term).values_list("pk", "status", "mentor_id")
    )

    second = run_match(by=scene.admin, term=scene.term)

    assert proposal(second) == {}
    assert second.summary["kinds"][ACADEMIC]["kept"] == 5
    assert second.summary["kinds"][ACADEMIC]["proposed"] == 0
    assert (
        set(Pairing.objects.filter(term=scene.term).values_list("pk", "status", "mentor_id"))
        == active_before
    )


def test_an_active_pairing_the_run_would_no_longer_make_is_kept_and_the_run_succeeds(
    scene, run_match
):
    # s1 is no longer recorded as struggling, and the leader who sponsors
    # c_pending has left; both pairings still stand.
    tutored = PairingFactory(
        student=scene.students["s1"], mentor=scene.mentors["t1"], term=scene.term
    )
    scene.students["s1"].records.update(struggling=False)
    sponsored = PairingFactory(
        student=scene.students["c_pending"],
        mentor=scene.mentors["leader"],
        term=scene.term,
        kind=CARE,
    )
    Mentor.objects.filter(pk=scene.m("leader")).update(active=False)

    run = run_match(by=scene.admin, term=scene.term, kinds=[ACADEMIC, CARE])

    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.status == MatchRunStatus.PROPOSED
    for pairing in (tutored, sponsored):
        pairing.refresh_from_db()
        assert pairing.status == PairingStatus.ACTIVE
    # t1's only place stays taken.
    assert scene.m("t1") not in proposal(run).values()
    assert_hard_rules_hold(scene.term)


def test_a_student_whose_mentor_has_left_keeps_the_active_pairing(scene, run_match):
    gone = _mentor(
        scene.school_a, "gone", MentorKind.TEACHER, gender=Gender.MALE, subjects=[], grades=[]
    )
    standing = PairingFactory(student=scene.students["s2"], mentor=gone, term=scene.term)
    Mentor.objects.filter(pk=gone.pk).update(active=False)

    run = run_match(by=scene.admin, term=scene.term)

    assert run.status == MatchRunStatus.PROPOSED
    assert (scene.s("s2"), ACADEMIC) not in proposal(run)
    standing.refresh_from_db()
    assert (standing.status, standing.mentor_id) == (PairingStatus.ACTIVE, gone.pk)


def test_a_mentor_over_capacity_keeps_every_standing_pairing_and_gets_no_more(scene, run_match):
    # t1 (capacity 1) was given two mentees before the capacity was lowered.
    standing = [
        PairingFactory(student=scene.students[label], mentor=scene.mentors["t1"], term=scene.term)
        for label in ("s1", "s3")
    ]

    run = run_match(by=scene.admin, term=scene.term)

    run.job.refresh_from_db()
    assert run.job.status == JobStatus.SUCCEEDED, run.job.error
    assert run.summary["kinds"][ACADEMIC]["kept"] == 2
    assert scene.m("t1") not in proposal(run).values()
    for pairing in standing:
        pairing.refresh_from_db()
        assert pairing.status == PairingStatus.ACTIVE


def test_inputs_are_read_in_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    run = MatchRun.objects.create(term=scene.term, kinds=[ACADEMIC, CARE], created_by=scene.admin)
    run.schools.set([scene.school_a])
    with django_assert_max_num_queries(10):
        small = load_inputs(run)
    for n in range(45):
        student = _student(
            scene.school_a,
            scene.term,
            f"extra{n}",
            gender=Gender.MALE,
            birth=TODAY.replace(year=2017),
        )
        AssessmentFactory(
            student=student, term=scene.term, status=AssessmentStatus.APPROVED, tier="hardship"
        )
        mentor = _mentor(scene.school_a, f"extra{n}", MentorKind.TEACHER, gender=Gender.MALE)
        mentor.conflicts.add(student)
        PairingFactory(student=student, mentor=mentor, term=scene.previous_term)
    with django_assert_max_num_queries(10):
        large = load_inputs(run)

    assert len(large["students"][ACADEMIC]) == len(small["students"][ACADEMIC]) + 45
    assert len(large["students"][CARE]) == len(small["students"][CARE]) + 45
    assert len(large["mentors"]) == len(small["mentors"]) + 45
