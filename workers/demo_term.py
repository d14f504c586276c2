"""The demo term so far, replayed through the services: identification, matching, sessions
and the weekly checks, each step skipped when it is already done.
"""

import datetime
import random

from django.db import transaction

from mentoring.models import HardshipIndicator, HardshipKind, Student, StudentRecord, Subject
from workers.demo_county import SEED, County, demo_id_number

GOVERNMENT_LIST_KINDS = {
    HardshipKind.DIBAO: "dibao",
    HardshipKind.TEKUN: "tekun",
    HardshipKind.ORPHAN: "orphan",
    HardshipKind.REGISTERED_POVERTY: "registered_poverty",
    HardshipKind.MONITORED_HOUSEHOLD: "monitored_household",
}
# The tier each category of the county's lists is identified at: the bureau's
# list says who is in hardship, the county's rules say which tier (特困供养 and
# orphans special hardship, the others hardship). The import never assumes one.
GOVERNMENT_LIST_TIERS = {
    HardshipKind.DIBAO: "hardship",
    HardshipKind.TEKUN: "special_hardship",
    HardshipKind.ORPHAN: "special_hardship",
    HardshipKind.REGISTERED_POVERTY: "hardship",
    HardshipKind.MONITORED_HOUSEHOLD: "hardship",
}
APPLICATION_KINDS = [
    HardshipKind.PARENT_DECEASED,
    HardshipKind.DISABLED_PARENT,
    HardshipKind.LONG_TERM_ILLNESS,
]
# The one school whose match run the demo leaves proposed, not approved: its pairs
# wait in the console (/console/matching/<id>/) to be reviewed, changed and approved.
MATCHING_WAITS_AT = "QINGSHAN-PS"
SESSION_CONTENT = {
    Subject.CHINESE: "阅读理解与作文指导",
    Subject.MATH: "错题讲解与计算练习",
    Subject.ENGLISH: "单词听写与课文朗读",
    Subject.PHYSICS: "力学基础概念复习",
    Subject.CHEMISTRY: "化学方程式配平练习",
}


def identification_replay(county: County) -> dict:
    from mentoring.models import Assessment, AssessmentStatus
    from mentoring.services import government_list, identification
    from workers import demo_applications

    term, admin = county.term, county.accounts["district_admin"]
    if Assessment.objects.filter(term=term).exists():
        return _assessment_counts(term)
    # Students on the county's government lists are identified directly.
    listed = (
        HardshipIndicator.objects.filter(
            student__school__district=county.district, kind__in=list(GOVERNMENT_LIST_KINDS)
        )
        .select_related("student")
        .order_by("student__student_number", "kind")
    )
    rows, seen = [], set()
    for indicator in listed:
        if indicator.student_id in seen:
            continue
        seen.add(indicator.student_id)
        rows.append(
            government_list.GovernmentListRow(
                row=len(rows) + 2,
                id_number=demo_id_number(indicator.student),
                category=GOVERNMENT_LIST_KINDS[indicator.kind],
                tier=GOVERNMENT_LIST_TIERS[indicator.kind],
            )
        )
    government_list.government_list_import(by=admin, term_id=term.pk, rows=rows)
    for assessment in Assessment.objects.filter(term=term, status=AssessmentStatus.PROPOSED):
        identification.assessment_approve(by=admin, assessment=assessment, note="政府名单直接认定")

    # Other families apply; their class teachers investigate, the class and the
    # school review, and the school's proposal goes under public notice today.
    applicants = (
        Student.objects.filter(
            school__district=county.district, indicators__kind__in=APPLICATION_KINDS
        )
        .exclude(pk__in=seen)
        .distinct()
        .order_by("student_number")
    )
    tiers = county.district.tier_codes
    for number, student in enumerate(applicants):
        assessment = demo_applications.apply_and_review(
            admin=admin,
            student=student,
            term=term,
            kinds=sorted({i.kind for i in student.indicators.all() if i.kind in APPLICATION_KINDS}),
            tier=tiers[min(number % 3, len(tiers) - 1)],
        )
        identification.assessment_publicize(by=admin, assessment=assessment)
    # The kindergarten decided in September, after its notice (9.7–9.11) ended.
    for assessment in Assessment.objects.filter(
        term=term, status=AssessmentStatus.PUBLICIZED, student__school__code="DEMO-KG"
    ):
        Assessment.objects.filter(pk=assessment.pk).update(
            notice_starts_on=datetime.date(2026, 9, 7), notice_ends_on=datetime.date(2026, 9, 11)
        )
        assessment.refresh_from_db()
        identification.assessment_approve(by=admin, assessment=assessment, note="公示无异议")
    # The supervisory group objects to one proposal, and the school answers.
    first = Assessment.objects.filter(term=term, status=AssessmentStatus.PUBLICIZED).first()
    if first is not None:
        supervisor = county.accounts["supervisor"]
        if first.student.school.memberships.filter(user=supervisor).exists():
            objection = identification.assessment_object(
                by=supervisor, assessment=first, text="该生家庭新购车辆，请核实"
            )
            identification.objection_answer(
                by=admin,
                assessment=first,
                objection=objection,
                answer="经核实为亲属借用车辆，家庭经济状况属实",
            )
    return _assessment_counts(term)


def _assessment_counts(term) -> dict:
    from django.db.models import Count

    from mentoring.models import Assessment

    return dict(
        Assessment.objects.filter(term=term)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )


def matching_replay(county: County) -> dict:
    """The term's match run, approved for every school but `MATCHING_WAITS_AT`, whose own
    run is left proposed for the administrator to review, change and approve in the console."""
    from mentoring.models import MatchRun, MatchRunStatus, School
    from mentoring.services.match_runs import match_run_approve, match_run_start

    admin = county.accounts["district_admin"]
    run = MatchRun.objects.filter(term=county.term, status=MatchRunStatus.APPROVED).first()
    if run is None:
        others = School.objects.filter(district=county.district).exclude(code=MATCHING_WAITS_AT)
        run = match_run_start(
            by=admin,
            term_id=county.term.pk,
            kinds=["academic", "care"],
            school_ids=list(others.order_by("code").values_list("pk", flat=True)),
        )
        run.refresh_from_db()
        match_run_approve(run=run, by=admin)
        # The demo replays a term that began in September: the pairings it
        # approved today date from the term's second week.
        from mentoring.models import Pairing

        Pairing.objects.filter(proposal__run=run).update(
            started_on=county.term.start_date + datetime.timedelta(days=6)
        )
    if waiting_match_run(county) is None:
        match_run_start(
            by=admin,
            term_id=county.term.pk,
            kinds=["academic", "care"],
            school_ids=[county.schools[MATCHING_WAITS_AT].pk],
        )
    return run.summary


def waiting_match_run(county: County):
    """The proposed run of `MATCHING_WAITS_AT` that the demo leaves for review, or None."""
    from mentoring.models import MatchRun, MatchRunStatus

    return (
        MatchRun.objects.filter(
            term=county.term,
            status=MatchRunStatus.PROPOSED,
            schools=county.schools[MATCHING_WAITS_AT],
        )
        .order_by("-pk")
        .first()
    )


def sessions_replay(county: County) -> int:
    """Weekly tutoring for most pairs and weeks up to today; some weeks are missed."""
    from django.utils import timezone

    from mentoring.models import Pairing, PairingKind, PairingStatus, SessionKind, TutoringSession
    from mentoring.services.sessions import session_log

    term = county.term
    if TutoringSession.objects.filter(pairing__term=term).exists():
        return TutoringSession.objects.filter(pairing__term=term).count()
    # Seeded: the demo's sessions are the same every run.
    rng = random.Random(SEED + 1)  # nosec B311
    today = timezone.localdate()
    holidays = {datetime.date.fromisoformat(week) for week in term.holiday_weeks}
    pairings = (
        Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE)
        .select_related("mentor__user")
        .order_by("pk")
    )
    # One query for every pairing's weak subjects, not one per pairing.
    weak_subjects = dict(
        StudentRecord.objects.filter(term=term).values_list("student_id", "weak_subjects")
    )
    for pairing in pairings:
        monday = pairing.started_on - datetime.timedelta(days=pairing.started_on.weekday())
        weak = weak_subjects.get(pairing.student_id) or [Subject.MATH]
        while monday + datetime.timedelta(days=4) < min(today, term.end_date):
            day = monday + datetime.timedelta(days=rng.randint(0, 4))
            if monday not in holidays and day >= pairing.started_on and rng.random() < 0.85:
                if pairing.kind == PairingKind.ACADEMIC:
                    subject = rng.choice(weak)
                    session_log(
                        by=pairing.mentor.user,
                        pairing_id=pairing.pk,
                        day=day,
                        minutes=rng.choice([40, 45, 60]),
                        kind=SessionKind.TUTORING,
                        subject=subject,
                        content=SESSION_CONTENT.get(subject, "课业辅导"),
                    )
                elif rng.random() < 0.3:
                    session_log(
                        by=pairing.mentor.user,
                        pairing_id=pairing.pk,
                        day=day,
                        minutes=90,
                        kind=SessionKind.HOME_VISIT,
                        content="家访，了解家庭近况，送去学习用品",
                    )
            monday += datetime.timedelta(days=7)
    return TutoringSession.objects.filter(pairing__term=term).count()


def weekly_checks_replay(county: County) -> dict:
    """Replay the Monday check of every week of the term so far, then read the figures.

    Each Monday's reminders are stored as they would have been; their e-mails
    go to memory instead of the console, which would drown the demo's output.
    A late session is then logged for last week, as a teacher would on
    Monday morning, and its week's row is refreshed after the commit.
    """
    from django.test.utils import override_settings
    from django.utils import timezone

    from mentoring.models import Notification, PairingKind, PairingStatus, SessionKind
    from mentoring.models import WeeklyCompliance as Week
    from mentoring.school_weeks import last_ended_week, school_weeks
    from mentoring.selectors.compliance import compliance_summary
    from mentoring.services.compliance import compliance_check
    from mentoring.services.sessions import session_log

    term, admin = county.term, county.accounts["district_admin"]
    today = timezone.localdate()
    if not Week.objects.filter(term=term).exists():
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for monday in school_weeks(term.start_date, term.end_date, term.holiday_weeks):
                if monday + datetime.timedelta(days=7) > today:
                    break
                compliance_check(term_id=term.pk, today=monday + datetime.timedelta(days=7))
        # Monday morning: one mentor logs last week's missed session late.
        last_week = last_ended_week(today)
        missed = (
            Week.objects.filter(
                term=term,
                week_start=last_week,
                met=False,
                pairing__status=PairingStatus.ACTIVE,
                pairing__kind=PairingKind.ACADEMIC,
            )
            .select_related("pairing__mentor__user")
            .order_by("pairing_id")
            .first()
        )
        if missed is not None and term.contains(last_week + datetime.timedelta(days=4)):
            with transaction.atomic():
                session_log(
                    by=missed.pairing.mentor.user,
                    pairing_id=missed.pairing_id,
                    day=max(last_week + datetime.timedelta(days=4), missed.pairing.started_on),
                    minutes=45,
                    kind=SessionKind.TUTORING,
                    subject=Subject.MATH,
                    content="补记：上周五放学后辅导数学",
                )
    summary = compliance_summary(user=admin, term_id=term.pk)
    summary["reminders"] = Notification.objects.filter(
        kind__in=["missed_week", "missed_streak"], school__district=county.district
    ).count()
    return summary
