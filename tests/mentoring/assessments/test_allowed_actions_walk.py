"""The identification workflow as a state machine: what is offered is exactly what is accepted.

Hypothesis walks one application through random actions by random people
(the school's administrator, the class teacher, a supervisor) on random days:
the investigation with its visit, the class and school committees' decisions
(agreeing or not), the review, public notice, objections and their answers,
approval and rejection. Before each action it reads `allowed_actions` for that
person and day, as the API offers them; then it calls the real service. An
offered action must be accepted, and an action not offered must be refused
(409 or 403) and change nothing. The status follows the table, written out
apart from the services' own, after every step.
"""

import datetime
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, NotPermitted
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    AssessmentStatus,
    CommitteeOutcome,
    CommitteeRole,
    Objection,
    ReviewStage,
    Role,
)
from mentoring.services import applications, identification
from mentoring.services import review_committees as committees
from mentoring.services.assessment_rules import allowed_actions, has_unanswered, roles_in_school
from workers.factories import (
    DistrictFactory,
    MentorFactory,
    PairingFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

S = AssessmentStatus
ACTIONS = [
    "investigate",
    "committee_decision",
    "review",
    "publicize",
    "object",
    "answer",
    "approve",
    "reject",
]
# Where each accepted action leads, written out apart from the services' table.
NEXT = {
    ("investigate", S.SUBMITTED): S.INVESTIGATED,
    ("committee_decision", S.INVESTIGATED): S.CLASS_REVIEWED,
    ("committee_decision", S.CLASS_REVIEWED): S.SCHOOL_REVIEWED,
    ("publicize", S.SCHOOL_REVIEWED): S.PUBLICIZED,
    ("approve", S.PUBLICIZED): S.APPROVED,
}
# The statuses the walks reached and the actions accepted, so that the test fails if
# the walks stop short.
REACHED: set[str] = set()
DONE: set[str] = set()
MEMBERS = [
    {"name": "陈校长", "role": CommitteeRole.SCHOOL_LEADER},
    {"name": "孙老师", "role": CommitteeRole.TEACHER_REPRESENTATIVE},
    {"name": "周敏", "role": CommitteeRole.PARENT_REPRESENTATIVE},
]


class AssessmentWalk(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        w = self.world
        self.people = {"admin": w["admin"], "teacher": w["teacher"], "supervisor": w["supervisor"]}
        self.day = w["first_day"]
        with self.on_day():
            self.assessment = identification.assessment_submit(
                by=w["admin"],
                student_id=w["student"].pk,
                term_id=w["term"].pk,
                reason="父亲残疾，家庭收入低",
                commitment="本人承诺所填信息真实",
            )
        self.status = S.SUBMITTED
        self.accepted = 1  # the submission's event

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    @contextmanager
    def on_day(self):
        with mock.patch("django.utils.timezone.localdate", return_value=self.day):
            yield

    def fresh(self) -> Assessment:
        return Assessment.objects.select_related("student", "term__district").get(
            pk=self.assessment.pk
        )

    def call(self, action: str, by, outcome: str):
        """The real service of `action`, with a body it takes when the action is allowed."""
        assessment = self.fresh()
        if action == "investigate":
            return applications.investigation_record(
                by=by,
                assessment=assessment,
                investigated_on=self.day,
                investigators="班主任 李老师",
                findings="家访核实：父亲残疾",
                visited_on=self.day,
            )
        if action == "committee_decision":
            school_stage = assessment.status == S.CLASS_REVIEWED
            committee = self.world["committees"][
                ReviewStage.SCHOOL if school_stage else ReviewStage.CLASS
            ]
            agreed = outcome == CommitteeOutcome.AGREED
            return committees.committee_decide(
                by=by,
                assessment=assessment,
                committee_id=committee.pk,
                decided_on=self.day,
                members_present=list(committee.members.values_list("pk", flat=True)),
                outcome=outcome,
                tier="hardship" if school_stage and agreed else "",
                note="评议意见",
            )
        if action == "review":
            return identification.assessment_review(
                by=by, assessment=assessment, note="审核", tier="hardship"
            )
        if action == "publicize":
            return identification.assessment_publicize(by=by, assessment=assessment)
        if action == "object":
            return identification.assessment_object(by=by, assessment=assessment, text="有异议")
        if action == "answer":
            # The first unanswered one (NULLs sort first on SQLite but last on PostgreSQL).
            objection = (
                assessment.objections.filter(answered_at__isnull=True).order_by("pk").first()
                or assessment.objections.order_by("pk").first()
            )
            return identification.objection_answer(
                by=by, assessment=assessment, objection=objection, answer="已核实"
            )
        if action == "approve":
            return identification.assessment_approve(by=by, assessment=assessment, note="同意")
        return identification.assessment_reject(by=by, assessment=assessment, reason="不符合")

    @rule(
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(["admin", "teacher", "supervisor"]),
        outcome=st.sampled_from([CommitteeOutcome.AGREED] * 3 + [CommitteeOutcome.NOT_AGREED]),
    )
    def act(self, action, who, outcome):
        by = self.people[who]
        assessment = self.fresh()
        offered = allowed_actions(
            assessment=assessment,
            roles=roles_in_school(by, assessment.student.school_id),
            today=self.day,
            unanswered_objections=has_unanswered(assessment),
        )
        if action == "answer" and not assessment.objections.exists():
            # Nothing to answer: the action cannot even be named, and it is not offered.
            assert "answer" not in offered
            return
        events = AssessmentEvent.objects.filter(assessment=assessment).count()
        with self.on_day():
            if action in offered:
                self.call(action, by, outcome)
                self.accepted += 1
                DONE.add(action)
                # A committee that does not agree rejects the application.
                refused = action == "committee_decision" and outcome != CommitteeOutcome.AGREED
                if refused or action == "reject":
                    self.status = S.REJECTED
                else:
                    self.status = NEXT.get((action, self.status), self.status)
            else:
                with pytest.raises((Conflict, NotPermitted)), transaction.atomic():
                    self.call(action, by, outcome)
                count = AssessmentEvent.objects.filter(assessment=assessment).count()
                assert count == events, f"{action} by {who} was refused but wrote an event"

    @rule(outcome=st.sampled_from([CommitteeOutcome.AGREED] * 5 + [CommitteeOutcome.NOT_AGREED]))
    def advance(self, outcome):
        """The administrator takes the first action offered that is not a rejection, so
        that walks reach the notice and the approval, not only the first steps."""
        assessment = self.fresh()
        admin = self.people["admin"]
        offered = allowed_actions(
            assessment=assessment,
            roles=roles_in_school(admin, assessment.student.school_id),
            today=self.day,
            unanswered_objections=has_unanswered(assessment),
        )
        forward = [action for action in offered if action != "reject"]
        if forward:
            self.act(action=forward[0], who="admin", outcome=outcome)

    @rule(days=st.integers(min_value=1, max_value=9))
    def wait(self, days):
        # The notice must be able to start inside the term, so the walk stays in it.
        last = self.world["term"].end_date - datetime.timedelta(days=20)
        self.day = min(self.day + datetime.timedelta(days=days), last)

    @invariant()
    def the_status_follows_the_table(self):
        assessment = self.fresh()
        assert assessment.status == self.status
        REACHED.add(assessment.status)
        assert AssessmentEvent.objects.filter(assessment=assessment).count() >= self.accepted
        unanswered = Objection.objects.filter(assessment=assessment, answered_at__isnull=True)
        if assessment.status == S.APPROVED:
            assert not unanswered.exists()


# Long (minutes on PostgreSQL): `make soak` runs it.
@pytest.mark.soak
@pytest.mark.django_db(transaction=False)
def test_the_actions_offered_are_exactly_those_the_services_accept():
    today = timezone.localdate()
    school = SchoolFactory(district=DistrictFactory())
    term = TermFactory(
        district=school.district,
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=150),
        holiday_weeks=[],
    )
    student = StudentFactory(school=school, guardian_name="王大山")
    StudentRecordFactory(student=student, term=term, grade=4, class_name="2班")
    admin = member(Role.ADMINISTRATOR, school)
    teacher = member(Role.TEACHER, school)
    PairingFactory(student=student, mentor=MentorFactory(user=teacher, schools=[school]), term=term)
    groups = {
        stage: committees.committee_create(
            by=admin,
            school_id=school.pk,
            term_id=term.pk,
            stage=stage,
            class_name="",
            name=f"{stage} 评议小组",
            members=MEMBERS,
        )
        for stage in ReviewStage.values
    }
    AssessmentWalk.world = {
        "admin": admin,
        "teacher": teacher,
        "supervisor": member(Role.SUPERVISOR, school),
        "student": student,
        "term": term,
        "committees": groups,
        "first_day": today,
    }
    run_state_machine_as_test(
        AssessmentWalk,
        settings=settings(
            max_examples=20,
            stateful_step_count=50,
            # The same walks every run: with a random seed, 20 walks sometimes stopped short
            # of the approved status (CI), and the test's own "reached every status" failed.
            derandomize=True,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
    assert set(S.values) - {S.PROPOSED} <= REACHED
    assert set(ACTIONS) - {"review"} == DONE, DONE
