"""What `make demo` leaves waiting in the console (issue 17): checked student by student.

Only the students `workers.demo_waiting.chosen` took are checked, each at the
stage the plan puts it; the proposed match run of `MATCHING_WAITS_AT`; and
the summary's sentences, whose figures are the console's.
"""

from django.utils import timezone

from mentoring.models import (
    Application,
    ApplicationStatus,
    Assessment,
    AssessmentRoute,
    AssessmentStatus,
    District,
    MatchRun,
    MatchRunStatus,
    Pairing,
    PairingStatus,
    Role,
    School,
    Term,
    User,
)
from mentoring.services.assessment_rules import Action, allowed_actions, has_unanswered
from workers.demo_county import ACCOUNTS, County
from workers.demo_term import MATCHING_WAITS_AT, waiting_match_run
from workers.demo_waiting import (
    CLASS_REVIEWED,
    GOVERNMENT_LIST,
    INVESTIGATED,
    NOTICE_ENDED,
    PLAN,
    PUBLIC_APPLICATION,
    SCHOOL_REVIEWED,
    SUBMITTED,
    chosen,
    schools_with_mentors,
)

SITE = "http://127.0.0.1:8000"
APPLICATION_STAGES = {
    SUBMITTED: AssessmentStatus.SUBMITTED,
    INVESTIGATED: AssessmentStatus.INVESTIGATED,
    CLASS_REVIEWED: AssessmentStatus.CLASS_REVIEWED,
    SCHOOL_REVIEWED: AssessmentStatus.SCHOOL_REVIEWED,
    NOTICE_ENDED: AssessmentStatus.PUBLICIZED,
}


def demo_county() -> County:
    district = District.objects.get(code="DEMO-COUNTY")
    return County(
        district,
        Term.objects.get(district=district, code="2026-autumn"),
        {school.code: school for school in School.objects.filter(district=district)},
        {
            user.username: user
            for user in User.objects.filter(username__in=[a[0] for a in ACCOUNTS])
        },
    )


def _actions(assessment, today) -> list[str]:
    """What the console offers an administrator of the student's school today."""
    return allowed_actions(
        assessment=assessment,
        roles={Role.ADMINISTRATOR},
        today=today,
        unanswered_objections=has_unanswered(assessment),
    )


def check_console_waiting(said: str, client) -> None:
    county, today = demo_county(), timezone.localdate()
    schools = schools_with_mentors(county)
    assert sorted(school.code for school in schools) == sorted(
        code for code in county.schools if code != "DEMO-KG"
    )
    for school in schools:
        students = chosen(county, school)
        assert {stage: len(group) for stage, group in students.items()} == dict(PLAN)
        everyone = [student.pk for group in students.values() for student in group]
        assert len(set(everyone)) == len(everyone) and all(
            student.school_id == school.pk for group in students.values() for student in group
        )
        found = {
            a.student_id: a
            for a in Assessment.objects.filter(student__in=everyone).select_related(
                "student__school", "term"
            )
        }
        # Not identified otherwise: each chosen student has the one assessment of this term.
        assert {a.term_id for a in found.values()} == {county.term.pk}
        for stage, status in APPLICATION_STAGES.items():
            for student in students[stage]:
                assessment = found[student.pk]
                assert (assessment.route, assessment.status) == (
                    AssessmentRoute.APPLICATION,
                    status,
                ), (school.code, stage)
                assert Application.objects.get(assessment=assessment).status == "confirmed"
                assert county.term.start_date <= assessment.created_at.date() <= today
        # The investigated and reviewed ones wait for the committee's decision, the
        # school-reviewed ones for their notice, the submitted for the investigation.
        for stage, action in [
            (SUBMITTED, Action.INVESTIGATE),
            (INVESTIGATED, Action.COMMITTEE_DECISION),
            (CLASS_REVIEWED, Action.COMMITTEE_DECISION),
            (SCHOOL_REVIEWED, Action.PUBLICIZE),
        ]:
            for student in students[stage]:
                assert action in _actions(found[student.pk], today), (school.code, stage)
        ended = [found[student.pk] for student in students[NOTICE_ENDED]]
        assert all(a.notice_ends_on < today and a.tier for a in ended)
        # One objection to answer before approval; the other can be approved now.
        objected = [a for a in ended if has_unanswered(a)]
        assert len(objected) == 1 and objected[0].objections.count() == 1
        for assessment in ended:
            actions = _actions(assessment, today)
            if assessment in objected:
                assert Action.ANSWER in actions and Action.APPROVE not in actions
            else:
                assert Action.APPROVE in actions and Action.ANSWER not in actions
        for student in students[GOVERNMENT_LIST]:
            assessment = found[student.pk]
            assert (assessment.route, assessment.status) == (
                AssessmentRoute.GOVERNMENT_LIST,
                AssessmentStatus.PROPOSED,
            )
            assert Action.APPROVE in _actions(assessment, today)
        (applicant,) = students[PUBLIC_APPLICATION]
        assert applicant.pk not in found
        pending = Application.objects.get(
            school=school, term=county.term, status=ApplicationStatus.PENDING
        )
        assert (pending.child_name, pending.assessment_id) == (applicant.name, None)

    # 青山小学's run waits, proposed, with its pairs; the other schools' run is approved.
    run = waiting_match_run(county)
    assert run.status == MatchRunStatus.PROPOSED
    assert list(run.schools.values_list("code", flat=True)) == [MATCHING_WAITS_AT]
    pairs = run.proposed_pairs.count()
    assert pairs > 10
    assert set(run.proposed_pairs.values_list("pairing__status", flat=True)) == {"proposed"}
    qingshan = Pairing.objects.filter(term=county.term, student__school__code=MATCHING_WAITS_AT)
    assert not qingshan.filter(status=PairingStatus.ACTIVE).exists()
    approved = MatchRun.objects.get(term=county.term, status=MatchRunStatus.APPROVED)
    assert MATCHING_WAITS_AT not in set(approved.schools.values_list("code", flat=True))

    # The summary says where, with the console's figures; the pages open for the account.
    n = len(schools)
    for line in [
        "Waiting in the console for district_admin (李科长, password bangfu-demo-2026), "
        "2026 autumn term:",
        f"Identification: {2 * n} applications await the class teacher's investigation, "
        f"{2 * n} the class review group, {2 * n} the school review and {2 * n} their public "
        f"notice: {SITE}/console/identification/",
        f"Approval: {2 * n} public notices have ended ({n} of them with an objection to answer "
        f"first) and {2 * n} students of a government list await approval;",
        f"Starting identification: {n} families' applications from the public page await "
        f"confirmation against the roster: {SITE}/console/identification/start/",
        f"Matching: run #{run.pk} of 青山小学 proposes {pairs} pairs, each with its reasons; "
        f"change a pair, then approve the run: {SITE}/console/matching/{run.pk}/",
    ]:
        assert line in said, line
    client.force_login(county.accounts["district_admin"])
    for path in ["/console/identification/", f"/console/matching/{run.pk}/"]:
        assert client.get(path).status_code == 200, path
    client.logout()
