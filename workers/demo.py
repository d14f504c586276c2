"""The demo: a county (`workers.demo_county`), its term so far and the term report.

Deterministic (fixed seeds), so every `make demo` gives the same county, and
safe to run again: each step is skipped when it is already done. The term is
replayed through the services (`workers.demo_term` for identification,
matching, sessions and the weekly checks; `workers.demo_donations` for aid and
donations), as the schools would have done it. Some of it is left waiting for
the administrator in the console (`workers.demo_waiting`, and the match run of
`workers.demo_term.MATCHING_WAITS_AT`).
"""

from workers.demo_county import County
from workers.demo_donations import donations_replay
from workers.demo_payments import payments_replay
from workers.demo_term import (
    identification_replay,
    matching_replay,
    sessions_replay,
    weekly_checks_replay,
)
from workers.demo_waiting import waiting_replay


def run_term(county: County) -> dict:
    """Replay the term so far through the services, as the school would have done it.

    Each step is skipped when it is already done, so the demo can run again.
    """
    return {
        "identification": identification_replay(county),
        "matching": matching_replay(county),
        "sessions": sessions_replay(county),
        "compliance": weekly_checks_replay(county),
        "donations": donations_replay(county),
        "payments": payments_replay(county),
        # Last, so that none of it is taken up by the steps above: work for the console.
        "waiting": waiting_replay(county),
    }


def build_term_report(county: County) -> dict:
    """Build the district's term report (a new version each run) and write its files.

    The HTML, XLSX and PDF go to var/reports/, named by term and version.
    """
    from pathlib import Path

    from django.conf import settings

    from workers.reports import ReportReader, for_files, report_start

    admin = county.accounts["district_admin"]
    report = report_start(by=admin, term_id=county.term.pk, district_id=county.district.pk)
    report.refresh_from_db()
    if report.data is None:  # failed, or queued for a worker (REDIS_URL set)
        return {"report": report, "files": [], "error": report.error}
    data = for_files(report, ReportReader(admin).data(report))
    folder = Path(settings.VAR_DIR) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"report-{county.term.code}-{county.district.code}-v{report.version}"
    files = write_report_files(data, stem)
    return {"report": report, "files": files, "error": ""}


def write_report_files(data: dict, stem) -> list:
    """A report's HTML, XLSX and (with the system's Pango, see README) PDF, at `stem`.<suffix>."""
    from workers.reporting import exports

    formats = [
        ("html", lambda: exports.to_html(data, language="zh-hans").encode()),
        ("xlsx", lambda: exports.to_xlsx(data)),
    ]
    if exports.pdf_available():
        formats.append(("pdf", lambda: exports.to_pdf(data, language="zh-hans")))
    files = []
    for suffix, render in formats:
        path = stem.with_suffix(f".{suffix}")
        path.write_bytes(render())
        files.append(path)
    return files
