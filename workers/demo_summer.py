"""The demo's summer contracting (暑期承包援助): a pupil goes on with their teacher in the summer.

In the spring term of 2026-2027 the struggling pupil of 阳光小学 whom
`teacher_a` took over the winter break is paired with the same teacher again
(`pairing_create`, as the administrator pairs by hand), the pairing is let
continue over the summer holiday (`pairing_holiday_set`), and a session dated
in the holiday is logged through `session_log`, the teacher's own service. The
spring term's weekly figures (`compliance_summary`) count it apart from the
school weeks. Its days are replayed with the clock set to them once they
have passed; while the summer lies ahead of today the step waits.

Safe to run again: skipped when the spring pairing exists. No child is named.
"""

import datetime

from django.utils import timezone

from workers.demo_county import County
from workers.demo_schoolyear import SPRING_CODE, _on

SCHOOL = "SUNSHINE-PS"
TEACHER = "teacher_a"
# The spring term ends on Friday 2 July 2027; the pupil is paired for its last week,
# continues until the end of August, and meets the teacher on Wednesday 14 July.
PAIRED_ON = datetime.date(2027, 6, 28)
HOLIDAY_SET_ON = datetime.date(2027, 7, 1)
SUMMER_UNTIL = datetime.date(2027, 8, 31)
SUMMER_SESSION_DAY = datetime.date(2027, 7, 14)


def _winter_pupil(county: County):
    """The pupil contracted to the teacher over the winter (`workers.demo_year`)."""
    from workers.demo_year import _pairing

    pairing = _pairing(county)
    return pairing.student if pairing is not None else None


def summer_contracting(county: County) -> dict:
    """Pair the pupil again in the spring, over the summer, and log a summer session.

    Answers the school, the spring term, the pairing and the spring term's
    holiday figures as the weekly figures count them for that school.
    """
    from mentoring.models import (
        Mentor,
        Pairing,
        PairingKind,
        PairingStatus,
        StudentRecord,
        Term,
    )
    from mentoring.selectors.compliance import compliance_summary
    from mentoring.services.pairings import pairing_create, pairing_holiday_set
    from mentoring.services.sessions import session_log

    spring = Term.objects.filter(district=county.district, code=SPRING_CODE).first()
    student = _winter_pupil(county)
    # The pairing and its summer session are replayed once their days have come:
    # before, they would be a teacher's card and records dated ahead of today (issue 17).
    if spring is None or student is None or timezone.localdate() < SUMMER_SESSION_DAY:
        return {"sessions": 0}
    admin, teacher = county.accounts["admin"], county.accounts[TEACHER]
    pairing = Pairing.objects.filter(
        term=spring, student=student, kind=PairingKind.ACADEMIC, status=PairingStatus.ACTIVE
    ).first()
    if pairing is None:
        if not StudentRecord.objects.filter(student=student, term=spring).exists():
            # The pupil's spring record, as the spring roster import would write it.
            record = StudentRecord.objects.get(student=student, term=county.term)
            record.pk, record.term = None, spring
            record.save()
        with _on(PAIRED_ON):
            pairing = pairing_create(
                by=admin,
                student_id=student.pk,
                mentor_id=Mentor.objects.get(user=teacher).pk,
                term_id=spring.pk,
                kind=PairingKind.ACADEMIC,
                reason="暑期承包援助：数学薄弱，班主任与任课教师商定暑假继续辅导",
                started_on=PAIRED_ON,
            )
        with _on(HOLIDAY_SET_ON):
            pairing = pairing_holiday_set(by=admin, pairing=pairing, holiday_until=SUMMER_UNTIL)
        with _on(SUMMER_SESSION_DAY):
            session_log(
                by=teacher,
                pairing_id=pairing.pk,
                day=SUMMER_SESSION_DAY,
                minutes=90,
                kind="tutoring",
                subject="math",
                content="暑期承包辅导：小数乘除法复习与错题订正",
            )
    figures = compliance_summary(user=admin, term_id=spring.pk, school_id=student.school_id)
    return {
        "school": student.school,
        "term": spring,
        "pairing": pairing,
        "sessions": pairing.sessions.filter(date__gt=spring.end_date).count(),
        "holiday_sessions": figures["totals"]["holiday_sessions"],
        "holiday_minutes": figures["totals"]["holiday_minutes"],
    }


def summer_lines(county: County, both) -> list[str]:
    """What the demo says of the summer contracting, in Chinese and English (`both`)."""
    summer = summer_contracting(county)
    if not summer["sessions"]:
        return []
    return both(
        lambda: (
            _summer_sentence()
            % {
                "school": summer["school"].name,
                "until": summer["pairing"].holiday_until.isoformat(),
                "day": SUMMER_SESSION_DAY.isoformat(),
                "term": summer["term"].label,
                "sessions": summer["holiday_sessions"],
                "minutes": summer["holiday_minutes"],
            }
        )
    )


def _summer_sentence() -> str:
    from django.utils.translation import gettext as _

    return _(
        "Summer contracting at %(school)s: the pupil's pairing continues over the summer "
        "holiday until %(until)s; a summer session on %(day)s was accepted, and the weekly "
        "figures of %(term)s count %(sessions)s holiday session(s), %(minutes)s minutes, "
        "apart from the school weeks."
    )
