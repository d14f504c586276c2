"""Identification work the demo leaves waiting in the console (issue 17 item 1).

Everything else in the demo's term is done and approved, so a newcomer who
opens `/console/` would find nothing to do. Here, in every school with mentors
(all but the kindergarten), families who were not identified otherwise apply
during the term and their applications stop at each step of the workflow:

- 2 submitted, awaiting the class teacher's investigation;
- 2 investigated, awaiting the class review group;
- 2 agreed by the class review group, awaiting the school review;
- 2 agreed by the school, awaiting their public notice;
- 2 whose public notice has ended, awaiting approval; an objection was filed
  against one while its notice ran, and it must be answered first;
- 2 students of a government list posted yesterday, awaiting approval;
- 1 family's application from the public page, pending until the class
  teacher confirms it against the roster.

Each step goes through the services the API and the console call
(`mentoring.services.applications`, `.identification`, `.review_committees`),
dated on the school day it was taken: the clock is set to that day, so every
service checks its dates (nothing before the application, no notice dated in
the past, no approval before the notice ends) as it would on that day. The
work is in the demo's term (`County.term`), the term the console opens at.

The students are chosen by `chosen`, from the roster alone, so the tests find
the same ones afterwards. Safe to run again: a school whose students have their
assessments or application already is skipped. No child is named in what the
demo prints.
"""

import datetime
import itertools
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

from mentoring.models import (
    Application,
    ApplicationCode,
    ApplicationStatus,
    Assessment,
    HardshipKind,
    Membership,
    ReviewStage,
    Role,
    School,
    Student,
    StudentRecord,
)
from workers.demo_county import ROSTER_DAY, County, demo_id_number
from workers.factories import guardian_relation_of

SUBMITTED = "submitted"
INVESTIGATED = "investigated"
CLASS_REVIEWED = "class_reviewed"
SCHOOL_REVIEWED = "school_reviewed"
NOTICE_ENDED = "notice_ended"
GOVERNMENT_LIST = "government_list"
PUBLIC_APPLICATION = "public_application"
# Each stage and how many students of each school wait at it, in the order they are chosen.
PLAN = [
    (SUBMITTED, 2),
    (INVESTIGATED, 2),
    (CLASS_REVIEWED, 2),
    (SCHOOL_REVIEWED, 2),
    (NOTICE_ENDED, 2),
    (GOVERNMENT_LIST, 2),
    (PUBLIC_APPLICATION, 1),
]
# How many school days ago each step was taken, by the stage it leaves the student at:
# (applied, investigated, class review, school review, public notice).
DAYS_AGO = {
    SUBMITTED: (2,),
    INVESTIGATED: (9, 3),
    CLASS_REVIEWED: (12, 8, 4),
    SCHOOL_REVIEWED: (15, 11, 7, 3),
    NOTICE_ENDED: (35, 32, 30, 28, 26),
}
GOVERNMENT_LIST_DAYS_AGO = 1
PUBLIC_APPLICATION_DAYS_AGO = 3
# What the families write (the kinds they declare, their circumstances); data, not messages.
FAMILIES = [
    ([HardshipKind.LONG_TERM_ILLNESS], "母亲长期患病，每月医药费较多，家庭收入不足"),
    ([HardshipKind.DISASTER], "今年夏季洪水冲毁了家里的房屋和庄稼，家庭临时困难"),
    ([HardshipKind.DISABLED_PARENT], "父亲务工时受伤致残，失去劳动能力，靠母亲打零工维持生活"),
    ([HardshipKind.OTHER], "父母离异，随祖父母生活，祖父母年老体弱，收入微薄"),
]
COMMITMENT = "本人承诺所填信息真实，如有不实愿承担责任"
OBJECTION = "该生家长在县城经营商铺，家庭收入较高，请核实"
# The government list's categories, taken in turn (the bureau's new names this month).
LIST_CATEGORIES = [(HardshipKind.DIBAO, "hardship"), (HardshipKind.MONITORED_HOUSEHOLD, "hardship")]


def schools_with_mentors(county: County) -> list[School]:
    return list(
        School.objects.filter(district=county.district, mentors__isnull=False)
        .distinct()
        .order_by("code")
    )


def chosen(county: County, school: School) -> dict[str, list[Student]]:
    """The school's students the waiting work is for, by stage (`PLAN`).

    Those with a hardship indicator on the roster are all identified by the
    term's replay (`workers.demo_term`); these are taken from the others, last
    student numbers first. Only the roster decides, so the choice is the same
    before and after the work.
    """
    wanted = sum(count for _stage, count in PLAN)
    students = iter(
        Student.objects.filter(school=school, records__term=county.term)
        .exclude(indicators__recorded_on=ROSTER_DAY)
        .select_related("school")
        .order_by("-student_number")[:wanted]
    )
    return {stage: list(itertools.islice(students, count)) for stage, count in PLAN}


@contextmanager
def _at(day: datetime.date):
    """The clock set to 9 a.m. of `day`, ticking a second per reading: what the services date
    (`timezone.now`, and `timezone.localdate` through it) is that day."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    ticks = itertools.count()
    with mock.patch(
        "django.utils.timezone.now",
        side_effect=lambda: start + datetime.timedelta(seconds=next(ticks)),
    ):
        yield


class _Calendar:
    """School days counted back from today, never before the term or its roster."""

    def __init__(self, term):
        self.today = timezone.localdate()
        self.first = max(term.start_date, ROSTER_DAY + datetime.timedelta(days=1))

    def ago(self, school_days: int) -> datetime.date:
        day, left = self.today, school_days
        while left > 0 or day.weekday() >= 5:
            day -= datetime.timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return max(day, self.first)


def waiting_replay(county: County) -> dict:
    """Leave each school's work waiting; answers how many students wait at each stage."""
    admin = county.accounts["district_admin"]
    calendar = _Calendar(county.term)
    counts = {stage: 0 for stage, _count in PLAN}
    for school in schools_with_mentors(county):
        students = chosen(county, school)
        everyone = [student for group in students.values() for student in group]
        begun = Assessment.objects.filter(term=county.term, student__in=everyone).exists()
        if not begun and not _pending(county, school).exists():
            _leave_waiting(county, admin, school, students, calendar)
        for stage, group in students.items():
            counts[stage] += len(group)
    return counts


def _pending(county: County, school: School):
    return Application.objects.filter(
        school=school, term=county.term, status=ApplicationStatus.PENDING
    )


def _leave_waiting(county, admin, school, students, calendar) -> None:
    from mentoring.services import identification

    families = itertools.cycle(FAMILIES)
    for stage in (SUBMITTED, INVESTIGATED, CLASS_REVIEWED, SCHOOL_REVIEWED, NOTICE_ENDED):
        for number, student in enumerate(students[stage]):
            days = [calendar.ago(n) for n in DAYS_AGO[stage]]
            assessment = _apply(county, admin, student, days[0], next(families))
            _steps(admin, assessment, days[1:], tier=county.district.tier_codes[number % 2])
            if stage == NOTICE_ENDED:
                with _at(days[-1]):
                    assessment = identification.assessment_publicize(
                        by=admin, assessment=Assessment.objects.get(pk=assessment.pk)
                    )
                if number == 0:
                    # Filed on the notice's second school day, and not answered yet.
                    objected = min(calendar.ago(DAYS_AGO[stage][-1] - 1), assessment.notice_ends_on)
                    with _at(objected):
                        identification.assessment_object(
                            by=_objector(county, school), assessment=assessment, text=OBJECTION
                        )
    _government_list(county, admin, students[GOVERNMENT_LIST], calendar)
    _public_application(county, admin, school, students[PUBLIC_APPLICATION], calendar)


def _apply(county, admin, student, day, family) -> Assessment:
    """The family's application, recorded by the class teacher: the assessment is submitted."""
    from mentoring.services import applications

    kinds, circumstances = family
    with _at(day):
        application = applications.application_record(
            by=admin,
            student_id=student.pk,
            term_id=county.term.pk,
            guardian_name=student.guardian_name or "家长",
            guardian_relation=guardian_relation_of(student.guardian_name),
            guardian_phone=student.guardian_phone or "13800000000",
            hardship_kinds=kinds,
            income_per_capita_fen=None,
            circumstances=circumstances,
            commitment=COMMITMENT,
        )
    return application.assessment


def _steps(admin, assessment, days, *, tier: str) -> None:
    """As many of the investigation, the class review and the school review as `days` has."""
    from workers.demo_applications import committee_agrees, investigate

    for step, day in enumerate(days[:3]):
        with _at(day):
            if step == 0:
                investigate(admin=admin, assessment=assessment, day=day)
            elif step == 1:
                committee_agrees(
                    admin=admin, assessment=assessment, stage=ReviewStage.CLASS, day=day
                )
            else:
                committee_agrees(
                    admin=admin, assessment=assessment, stage=ReviewStage.SCHOOL, day=day, tier=tier
                )


def _objector(county: County, school: School):
    """Who objects: the supervisory group where it sits, else a teacher of the school."""
    supervisor = county.accounts["supervisor"]
    if Membership.objects.filter(user=supervisor, school=school).exists():
        return supervisor
    return (
        Membership.objects.filter(school=school, role=Role.TEACHER)
        .select_related("user")
        .order_by("user__username")
        .first()
        .user
    )


def _government_list(county, admin, students, calendar) -> None:
    """The students are on the list the bureau sent yesterday; their proposals await approval."""
    from mentoring.services.government_list import GovernmentListRow, government_list_import

    rows = [
        GovernmentListRow(
            row=number + 2, id_number=demo_id_number(student), category=category, tier=tier
        )
        for number, (student, (category, tier)) in enumerate(
            zip(students, itertools.cycle(LIST_CATEGORIES), strict=False)
        )
    ]
    with _at(calendar.ago(GOVERNMENT_LIST_DAYS_AGO)):
        government_list_import(by=admin, term_id=county.term.pk, rows=rows)


def _public_application(county, admin, school, students, calendar) -> None:
    """A family typed its application on the public page, with the school's code."""
    from mentoring.services import applications

    day = calendar.ago(PUBLIC_APPLICATION_DAYS_AGO)
    code = (
        ApplicationCode.objects.filter(school=school, term=county.term, closed_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    if code is None:
        with _at(calendar.ago(PUBLIC_APPLICATION_DAYS_AGO + 5)):
            code = applications.application_code_open(
                by=admin, school_id=school.pk, term_id=county.term.pk
            )
    for student in students:
        record = StudentRecord.objects.get(student=student, term=county.term)
        with _at(day):
            applications.application_submit_public(
                code=code,
                child_name=student.name,
                grade=record.grade,
                class_name=record.class_name,
                guardian_name=student.guardian_name or "家长",
                guardian_relation=guardian_relation_of(student.guardian_name),
                guardian_phone=student.guardian_phone or "13800000000",
                hardship_kinds=[HardshipKind.LONG_TERM_ILLNESS],
                income_per_capita_fen=None,
                circumstances="孩子爷爷长期卧床，父亲在家照顾，只能打些零工",
                committed=True,
            )
