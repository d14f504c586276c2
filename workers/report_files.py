"""A report version as a file (HTML, XLSX, CSV, PDF): one function for the API and the console.

Only an issued version is exported (409 otherwise). The reader's own view of
the figures is written (`ReportReader`: a supervisor gets the totals only),
and the students behind them are returned so that the caller records the
export in the access log for its request.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError
from core.http import XLSX_CONTENT_TYPE
from mentoring.models import User
from workers import reports
from workers.models import Report, ReportStatus
from workers.reporting import exports

FORMATS = ("html", "xlsx", "csv", "pdf")
# The languages a report is written in: the site's (zh-hans, en).
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class ReportFile:
    body: bytes | str
    content_type: str
    # None for the HTML page, which opens in the browser instead of downloading.
    filename: str | None
    # The students whose records the file lists (None: no records, totals only).
    student_ids: set[int] | None


def report_file(
    *, report: Report, user: User, kind: str, language: str, annex: bool = False, nonce: str = ""
) -> ReportFile:
    if language not in LANGUAGES:
        raise DomainError(
            _("Unknown language %(lang)s: a report is written in %(choices)s.")
            % {"lang": language, "choices": ", ".join(LANGUAGES)},
            field="lang",
        )
    if report.status != ReportStatus.ISSUED:
        raise Conflict(
            _("This version is %(status)s; only an issued report is exported.")
            % {"status": report.get_status_display()},
            field="report",
            extra={"status": report.status},
        )
    data = reports.ReportReader(user).data(report)
    student_ids = None
    if data and "details" in data:
        student_ids = reports.details_student_ids(data["details"])
    data = reports.for_files(report, data)
    with translation.override(language):
        if kind == "html":
            body = exports.to_html(data, language=language, nonce=nonce, annex=annex)
            return ReportFile(body, "text/html; charset=utf-8", None, student_ids)
        if kind == "pdf":
            body, content_type = (
                exports.to_pdf(data, language=language, annex=annex),
                ("application/pdf"),
            )
        elif kind == "xlsx":
            body, content_type = exports.to_xlsx(data), XLSX_CONTENT_TYPE
        else:
            body, content_type = exports.to_csv(data), exports.CSV_CONTENT_TYPE
    where = report.school.code if report.school_id else report.district.code
    period = report.term.code if report.term_id else report.school_year
    filename = f"report-{period}-{where}-v{report.version}.{kind}"
    return ReportFile(body, content_type, filename, student_ids)
