"""The demo's families apply, their class teachers investigate with a home visit, and the
class and school review committees decide (issue 15 item 5), through the same services as the API.
"""

from django.utils import timezone

from mentoring.models import (
    Assessment,
    CommitteeOutcome,
    CommitteeRole,
    ReviewCommittee,
    ReviewStage,
    School,
    Student,
    Term,
    User,
)
from mentoring.services import applications
from mentoring.services import review_committees as committees
from workers.factories import guardian_relation_of

CLASS_GROUP = [
    ("王建国", CommitteeRole.CLASS_TEACHER),
    ("李秀英", CommitteeRole.TEACHER_REPRESENTATIVE),
    ("张明", CommitteeRole.PARENT_REPRESENTATIVE),
    ("刘芳", CommitteeRole.STUDENT_REPRESENTATIVE),
]
SCHOOL_GROUP = [
    ("陈校长", CommitteeRole.SCHOOL_LEADER),
    ("赵主任", CommitteeRole.SCHOOL_LEADER),
    ("孙老师", CommitteeRole.TEACHER_REPRESENTATIVE),
    ("周敏", CommitteeRole.PARENT_REPRESENTATIVE),
    ("吴强", CommitteeRole.COMMUNITY_REPRESENTATIVE),
]


def _committee(*, admin: User, school: School, term: Term, stage: str) -> ReviewCommittee:
    committee = ReviewCommittee.objects.filter(
        school=school, term=term, stage=stage, class_name=""
    ).first()
    if committee is not None:
        return committee
    group = CLASS_GROUP if stage == ReviewStage.CLASS else SCHOOL_GROUP
    name = "班级评议小组" if stage == ReviewStage.CLASS else "学校资助工作领导小组"
    return committees.committee_create(
        by=admin,
        school_id=school.pk,
        term_id=term.pk,
        stage=stage,
        class_name="",
        name=name,
        members=[{"name": member, "role": role} for member, role in group],
    )


def apply_and_review(
    *, admin: User, student: Student, term: Term, kinds: list[str], tier: str
) -> Assessment:
    """A family's application recorded by the class teacher, investigated with a home visit,
    agreed by the class review group and by the school, which proposes `tier`."""
    today = timezone.localdate()
    application = applications.application_record(
        by=admin,
        student_id=student.pk,
        term_id=term.pk,
        guardian_name=student.guardian_name or "家长",
        guardian_relation=guardian_relation_of(student.guardian_name),
        guardian_phone=student.guardian_phone or "13800000000",
        hardship_kinds=kinds,
        income_per_capita_fen=None,
        circumstances="家庭经济困难，申请认定",
        commitment="本人承诺所填信息真实，如有不实愿承担责任",
    )
    investigate_and_review(admin=admin, assessment=application.assessment, tier=tier, day=today)
    return Assessment.objects.get(pk=application.assessment_id)


def investigate_and_review(*, admin: User, assessment: Assessment, tier: str, day) -> None:
    """The class teacher investigates with a home visit, the class review group agrees, and
    the school agrees proposing `tier` (none for a re-check of a student who left)."""
    investigate(admin=admin, assessment=assessment, day=day)
    committee_agrees(admin=admin, assessment=assessment, stage=ReviewStage.CLASS, day=day)
    committee_agrees(
        admin=admin, assessment=assessment, stage=ReviewStage.SCHOOL, day=day, tier=tier
    )


def investigate(*, admin: User, assessment: Assessment, day, findings: str = "") -> None:
    """The class teacher's investigation with its home visit on `day`."""
    applications.investigation_record(
        by=admin,
        assessment=assessment,
        investigated_on=day,
        investigators="班主任",
        findings=findings or "班主任家访核实，情况属实",
        visited_on=day,
    )


def committee_agrees(
    *, admin: User, assessment: Assessment, stage: str, day, tier: str = ""
) -> None:
    """The class review group (`stage` class) or the school (`stage` school, proposing
    `tier`) agrees on `day`, every member present and voting for."""
    note = "班级评议小组评议通过" if stage == ReviewStage.CLASS else "学校资助工作领导小组审核"
    committee = _committee(
        admin=admin, school=assessment.student.school, term=assessment.term, stage=stage
    )
    members = list(committee.members.values_list("pk", flat=True))
    committees.committee_decide(
        by=admin,
        assessment=Assessment.objects.get(pk=assessment.pk),
        committee_id=committee.pk,
        decided_on=day,
        members_present=members,
        outcome=CommitteeOutcome.AGREED,
        votes_for=len(members),
        votes_against=0,
        votes_abstaining=0,
        tier=tier if stage == ReviewStage.SCHOOL else "",
        note=note,
    )
