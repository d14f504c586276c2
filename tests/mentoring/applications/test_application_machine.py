"""The family's application as a state machine: hypothesis drives the real services.

Random sequences of submissions on the school's public page, the class
teacher's confirmation (as one of the roster's students) or decline, and the
closing of the page's code, against a model of what each must do: a pending
application is confirmed once (its assessment submitted with it) or declined
once; anything else is refused (409, or 400 for a student who has an
assessment this term already) and changes nothing; a closed code takes no
application.
"""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, FieldErrors
from mentoring.models import Application, ApplicationStatus, Assessment, Role
from mentoring.services import applications as services
from workers.factories import (
    DistrictFactory,
    SchoolFactory,
    StudentFactory,
    StudentRecordFactory,
    TermFactory,
    member,
)

PENDING, CONFIRMED, DECLINED = (
    ApplicationStatus.PENDING,
    ApplicationStatus.CONFIRMED,
    ApplicationStatus.DECLINED,
)


class ApplicationMachine(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.admin, self.students = self.world["admin"], self.world["students"]
        self.code = services.application_code_open(
            by=self.admin, school_id=self.world["school"].pk, term_id=self.world["term"].pk
        )
        self.expected: dict[int, str] = {}
        self.assessed: set[int] = set()  # students with an assessment this term
        self.closed = False

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    def _pick(self, pick: int) -> Application | None:
        if not self.expected:
            return None
        return Application.objects.get(pk=sorted(self.expected)[pick % len(self.expected)])

    @rule(child=st.integers(min_value=0, max_value=2))
    def submit(self, child):
        def send():
            return services.application_submit_public(
                code=self.code,
                child_name=self.students[child].name,
                grade=4,
                class_name="2班",
                guardian_name="王大山",
                guardian_relation="father",
                guardian_phone="13812345678",
                hardship_kinds=["long_term_illness"],
                income_per_capita_fen=None,
                circumstances="母亲长期患病",
                committed=True,
            )

        if self.closed:
            with pytest.raises(Conflict), transaction.atomic():
                send()
            return
        self.expected[send().pk] = PENDING

    @rule(pick=st.integers(min_value=0, max_value=20), child=st.integers(min_value=0, max_value=2))
    def confirm(self, pick, child):
        application = self._pick(pick)
        if application is None:
            return
        student = self.students[child]
        if self.expected[application.pk] != PENDING:
            with pytest.raises(Conflict), transaction.atomic():
                services.application_confirm(
                    by=self.admin, application=application, student_id=student.pk
                )
        elif student.pk in self.assessed:
            with pytest.raises(FieldErrors), transaction.atomic():
                services.application_confirm(
                    by=self.admin, application=application, student_id=student.pk
                )
        else:
            services.application_confirm(
                by=self.admin, application=application, student_id=student.pk
            )
            self.expected[application.pk] = CONFIRMED
            self.assessed.add(student.pk)

    @rule(pick=st.integers(min_value=0, max_value=20))
    def decline(self, pick):
        application = self._pick(pick)
        if application is None:
            return
        if self.expected[application.pk] != PENDING:
            with pytest.raises(Conflict), transaction.atomic():
                services.application_decline(by=self.admin, application=application, reason="重复")
        else:
            services.application_decline(by=self.admin, application=application, reason="重复")
            self.expected[application.pk] = DECLINED

    @rule()
    def close_code(self):
        if not self.closed:
            services.application_code_close(by=self.admin, code=self.code)
            self.closed = True

    @invariant()
    def records_match_the_model(self):
        rows = {a.pk: a for a in Application.objects.filter(code=self.code)}
        assert {pk: a.status for pk, a in rows.items()} == self.expected
        for a in rows.values():
            assert (a.status == CONFIRMED) == (a.assessment_id is not None)
            assert (a.status == PENDING) == (a.decided_at is None)
            assert (a.status == DECLINED) == bool(a.declined_reason)
        assessed = Assessment.objects.filter(term=self.world["term"])
        assert set(assessed.values_list("student_id", flat=True)) == self.assessed


@pytest.mark.django_db(transaction=False)
def test_the_application_workflow_holds_under_random_moves():
    school = SchoolFactory(district=DistrictFactory())
    term = TermFactory(district=school.district)
    students = [StudentFactory(school=school) for _ in range(3)]
    for student in students:
        StudentRecordFactory(student=student, term=term, grade=4, class_name="2班")
    ApplicationMachine.world = {
        "admin": member(Role.ADMINISTRATOR, school),
        "school": school,
        "term": term,
        "students": students,
    }
    run_state_machine_as_test(
        ApplicationMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            database=None,
        ),
    )
