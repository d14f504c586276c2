"""What the queue's investigate and committee-decision forms offer on each row.

`step_choices(rows)` gives each row that offers `investigate` the student's
logged home visits (`row.home_visits`) and each row that offers
`committee_decision` the stage it waits for (`row.stage`, `row.stage_label`)
and the committees of the student's school and term at that stage that may
decide it, with their members (`row.committees`): a class review group of the
student's class, or one naming no class. What is offered is a convenience:
the services (`investigation_problems`, `committee_decision_problems`) decide.
A refused step's row shows its form open with what was typed (`row.posted`).
Three queries at most, whatever the number of rows.
"""

from django.db.models import Prefetch

from mentoring.models import CommitteeMember, ReviewCommittee, SessionKind, TutoringSession
from mentoring.selectors.applications import STAGE_OF_STATUS
from mentoring.services.assessment_rules import Action


def step_choices(rows: list, *, refused: tuple | None = None) -> None:
    """`refused`, when a step was just refused: (assessment id, action, the form posted), so
    that its row shows that form open with what was typed."""
    for row in rows:
        row.posted_action, row.posted, row.posted_members = "", {}, []
        if refused and refused[0] == row.pk:
            row.posted_action, row.posted = refused[1], refused[2]
            row.posted_members = refused[2].getlist("members_present")
    investigating = [row for row in rows if Action.INVESTIGATE in row.actions]
    deciding = [row for row in rows if Action.COMMITTEE_DECISION in row.actions]
    visits: dict[int, list] = {}
    if investigating:
        sessions = TutoringSession.objects.filter(
            kind=SessionKind.HOME_VISIT,
            pairing__student_id__in={row.student_id for row in investigating},
        ).select_related("pairing")
        for session in sessions.order_by("-date", "-pk"):
            visits.setdefault(session.pairing.student_id, []).append(session)
    for row in investigating:
        row.home_visits = visits.get(row.student_id, [])
    committees: dict[tuple, list] = {}
    if deciding:
        found = (
            ReviewCommittee.objects.filter(
                school_id__in={row.student.school_id for row in deciding},
                term_id__in={row.term_id for row in deciding},
            )
            .prefetch_related(Prefetch("members", queryset=CommitteeMember.objects.order_by("pk")))
            .order_by("stage", "class_name", "pk")
        )
        for committee in found:
            key = (committee.school_id, committee.term_id, committee.stage)
            committees.setdefault(key, []).append(committee)
    for row in deciding:
        row.stage = STAGE_OF_STATUS[row.status]
        row.stage_label = row.stage.label
        row.committees = [
            committee
            for committee in committees.get((row.student.school_id, row.term_id, row.stage), [])
            if committee.class_name in ("", row.class_name)
        ]
