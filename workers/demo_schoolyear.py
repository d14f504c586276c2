"""The demo's spring term: the autumn identification carries over, and the spring re-checks it.

The county identifies hardship once per school year (每学年界定一次). In the
kindergarten's spring term of 2026-2027, three changes go through the same
workflow and public notice as any identification: a child who left is
withdrawn, a family whose circumstances changed gets another tier, and a new
family applies. Everyone else identified in the autumn carries over without a
new assessment. The spring lies ahead of the demo's today, so its days are
replayed with the clock set to them, as the tests do.
"""

import datetime
from contextlib import contextmanager
from unittest import mock

from workers.demo_county import County

SCHOOL = "DEMO-KG"
SPRING_CODE = "2027-spring"
RECHECK_DAY = datetime.date(2027, 3, 1)
DECISION_DAY = datetime.date(2027, 3, 15)


@contextmanager
def _on(day: datetime.date):
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        yield


def _spring_term(county: County):
    from workers.factories import TermFactory

    return TermFactory(
        district=county.district,
        code=SPRING_CODE,
        school_year=county.term.school_year,
        start_date=datetime.date(2027, 2, 22),
        end_date=datetime.date(2027, 7, 2),
        holiday_weeks=["2027-04-05", "2027-05-03"],
    )


def _enrol(student, autumn, spring):
    """The child's spring record, as the spring roster import would write it."""
    from mentoring.models import StudentRecord

    record = StudentRecord.objects.get(student=student, term=autumn)
    record.pk, record.term = None, spring
    record.save()


def _through_notice(admin, assessment, *, tier: str = ""):
    """Investigation, class and school review, public notice, approval: the application's way."""
    from mentoring.models import Assessment
    from mentoring.services import identification
    from workers.demo_applications import investigate_and_review

    with _on(RECHECK_DAY):
        investigate_and_review(admin=admin, assessment=assessment, tier=tier, day=RECHECK_DAY)
        identification.assessment_publicize(
            by=admin, assessment=Assessment.objects.get(pk=assessment.pk)
        )
    with _on(DECISION_DAY):
        identification.assessment_approve(
            by=admin, assessment=Assessment.objects.get(pk=assessment.pk), note="公示无异议"
        )


def schoolyear_replay(county: County) -> dict:
    """Re-check the kindergarten's autumn identification in the spring; the carry-over's counts."""
    from mentoring.models import Assessment, RecheckChange, Student
    from mentoring.selectors.school_year import carry_over, identifications_in_force
    from mentoring.services import identification, recheck

    admin, autumn = county.accounts["district_admin"], county.term
    spring = _spring_term(county)
    in_school = Assessment.objects.filter(student__school__code=SCHOOL)
    if not in_school.filter(term=spring).exists():
        carried = list(
            identifications_in_force(spring)
            .filter(student__school__code=SCHOOL)
            .exclude(tier="")
            .select_related("student")
            .order_by("student__student_number")
        )
        leaver, changed = carried[0], next(a for a in carried[1:] if a.tier == "hardship")
        newcomer = (
            Student.objects.filter(school__code=SCHOOL, records__term=autumn)
            .exclude(assessments__term=autumn)
            .order_by("student_number")
            .first()
        )
        for student in [changed.student, newcomer]:
            _enrol(student, autumn, spring)
        with _on(RECHECK_DAY):
            left = recheck.assessment_recheck(
                by=admin,
                carried=leaver,
                term_id=spring.pk,
                change=RecheckChange.LEFT,
                reason="随父母迁居外省，已转学",
            )
            rechecked = recheck.assessment_recheck(
                by=admin,
                carried=changed,
                term_id=spring.pk,
                change=RecheckChange.CIRCUMSTANCES,
                reason="父亲工伤致残，家庭收入大幅减少",
            )
            applied = identification.assessment_submit(
                by=admin,
                student_id=newcomer.pk,
                term_id=spring.pk,
                reason="母亲新患重病，家庭经济困难",
                commitment="本人承诺所填信息真实，如有不实愿承担责任",
            )
        _through_notice(admin, left)
        _through_notice(admin, rechecked, tier="special_hardship")
        _through_notice(admin, applied, tier="hardship")
    summary = carry_over(term=spring, visible=in_school)
    return {
        "school": SCHOOL,
        "from": autumn.code,
        "to": spring.code,
        "carried": len(summary.carried),
        "withdrawn": len(summary.withdrawn),
        "changed": len(summary.changed),
        "new": len(summary.new),
    }


def schoolyear_line(result: dict) -> str:
    return (
        f"  school year {result['from']} → {result['to']} at {result['school']}: "
        f"{result['carried']} identifications carried over without a new assessment, "
        f"{result['withdrawn']} withdrawn (left), {result['changed']} tier changed, "
        f"{result['new']} new application, each through the public notice"
    )
