"""The rest of the demo's school year (issue 15): winter holiday contracting, a growth
archive page and a school's year report, each through the services a school would use.

- A struggling pupil of 阳光小学 is contracted to `teacher_a` over the winter
  holiday (承包援助): the pairing continues after the autumn term
  (`pairing_holiday_set`) and, once the break has begun, a session is logged
  in the holiday, which the weekly figures count apart.
- That pupil's growth archive (成长档案) is written as the printable page the
  class teacher files, through the page's own view (the read is logged).
- 阳光小学's school-year report (2026-2027) is built like the term report and
  written as HTML, XLSX and PDF.

Safe to run again: each step is skipped when it is already done. No child is
named in what it prints.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from workers.demo_county import County
from workers.demo_schoolyear import _on

SCHOOL = "SUNSHINE-PS"
TEACHER = "teacher_a"


def _pairing(county: County):
    from mentoring.models import Pairing, PairingKind, PairingStatus

    return (
        Pairing.objects.filter(
            term=county.term,
            kind=PairingKind.ACADEMIC,
            status=PairingStatus.ACTIVE,
            mentor__user=county.accounts[TEACHER],
            student__school__code=SCHOOL,
        )
        .select_related("term", "student")
        .order_by("pk")
        .first()
    )


def holiday_contracting(county: County) -> dict:
    """Contract a pupil to the teacher over the winter break and log a holiday session."""
    from mentoring.models import Term, TutoringSession
    from mentoring.services.pairings import pairing_holiday_set
    from mentoring.services.sessions import session_log

    pairing = _pairing(county)
    if pairing is None:
        return {"sessions": 0}
    term = pairing.term
    holiday = TutoringSession.objects.filter(pairing=pairing, date__gt=term.end_date)
    if not holiday.exists():
        next_term = (
            Term.objects.filter(district=term.district, start_date__gt=term.end_date)
            .order_by("start_date")
            .first()
        )
        until = (
            next_term.start_date - datetime.timedelta(days=1)
            if next_term
            else term.end_date + datetime.timedelta(days=45)
        )
        # The first weekday of the break: the term's last day is a Friday or earlier.
        day = min(term.end_date + datetime.timedelta(days=3), until)
        today = timezone.localdate()
        # The contract is made before the break; its session is logged once the
        # day has come (a record dated after today is no record: issue 17).
        if pairing.holiday_until != until:
            with _on(min(day, today)):
                pairing_holiday_set(
                    by=county.accounts["admin"], pairing=pairing, holiday_until=until
                )
        if day > today:
            return {"pairing": pairing.pk, "sessions": 0, "school": pairing.student.school}
        with _on(day):
            session_log(
                by=county.accounts[TEACHER],
                pairing_id=pairing.pk,
                day=day,
                minutes=90,
                kind="tutoring",
                subject="math",
                content="寒假承包辅导：分数应用题复习",
            )
    return {"pairing": pairing.pk, "sessions": holiday.count(), "school": pairing.student.school}


def archive_page(county: County) -> Path | None:
    """The contracted pupil's growth archive, as the printable page the teacher opens."""
    from django.test import Client

    pairing = _pairing(county)
    if pairing is None:
        return None
    # A deployment serves the page's stylesheet from collected static files; where they
    # are not collected (the demo run with production's settings) the page is skipped.
    client = Client(raise_request_exception=False, SERVER_NAME="127.0.0.1", HTTP_HOST="127.0.0.1")
    client.force_login(county.accounts[TEACHER])
    response = client.get(f"/teacher/students/{pairing.student_id}/archive/")
    if response.status_code != 200:
        return None
    folder = Path(settings.VAR_DIR) / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"growth-archive-student-{pairing.student_id}.html"
    path.write_bytes(response.content)
    return path


def school_year_report(county: County) -> dict:
    """阳光小学's report of the school year 2026-2027, written as HTML, XLSX and PDF."""
    from mentoring.models import School
    from workers.demo import write_report_files
    from workers.models import Report, ReportStatus
    from workers.reports import ReportReader, report_start

    admin = county.accounts["admin"]
    school = School.objects.get(code=SCHOOL)
    year = county.term.school_year
    report = (
        Report.objects.filter(school=school, school_year=year, status=ReportStatus.ISSUED)
        .order_by("-version")
        .first()
    )
    if report is None:
        report = report_start(by=admin, school_year=year, school_id=school.pk)
        report.refresh_from_db()
    if report.data is None:
        return {"report": report, "files": [], "data": None}
    data = ReportReader(admin).data(report)
    folder = Path(settings.VAR_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"year-report-{year}-{SCHOOL}-v{report.version}"
    files = write_report_files(data, stem)
    return {"report": report, "files": files, "data": data, "school": school}


def year_lines(county: County, both) -> list[str]:
    """What the demo says of the rest of the year, in Chinese and English (`both`)."""
    lines = []
    contracted = holiday_contracting(county)
    if contracted["sessions"]:
        lines += both(
            lambda: (
                _(
                    "Winter holiday contracting at %(school)s: a struggling pupil continues with "
                    "their teacher over the break; %(sessions)s holiday session logged, counted "
                    "apart from the school weeks."
                )
                % {"school": contracted["school"].name, "sessions": contracted["sessions"]}
            )
        )
    archive = archive_page(county)
    if archive is not None:
        lines += both(lambda: _("That pupil's growth archive page: %(path)s") % {"path": archive})
    built = school_year_report(county)
    data = built["data"]
    if data is not None:
        headline = data["headline"]
        names = data.get("project_names", {})
        projects = "; ".join(
            f"{names.get(row['code'], row['code'])} {row['paid']}"
            for row in data["aid"]["projects"]
        )
        lines += both(
            lambda: (
                _(
                    "School-year report %(year)s of %(school)s: %(students)s students aided "
                    "(%(awards)s awards), %(paid)s yuan paid across %(count)s projects "
                    "(%(projects)s)."
                )
                % {
                    "year": data["school_year"],
                    "school": built["school"].name,
                    "students": headline["aided_students"],
                    "awards": headline["awards"],
                    "paid": headline["paid"],
                    "count": len(data["aid"]["projects"]),
                    "projects": projects,
                }
            )
        )
        lines += [f"  {path}" for path in built["files"]]
    return lines
