"""Load the demo county and run what exists of the term on it.

Safe to run again: the county is found by its keys, passwords are reset to
the documented one, and each step skips what is already done.
"""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from workers.demo import build_term_report, run_term
from workers.demo_county import build_county
from workers.demo_schoolyear import schoolyear_line, schoolyear_replay
from workers.demo_summary import (
    account_lines,
    both,
    console_lines,
    county_lines,
    report_lines,
    serve_lines,
)
from workers.demo_summer import summer_lines
from workers.demo_year import year_lines
from workers.jobs import account_census_start
from workers.reports import ReportReader


class Command(BaseCommand):
    help = "Load the demo county (7 schools, 1,851 students, mentors, accounts) and run the term."

    def say(self, lines, style=None):
        for line in [lines] if isinstance(lines, str) else lines:
            self.stdout.write(style(line) if style else line)

    def handle(self, *args, **options):
        started = time.monotonic()
        county = build_county()
        self.say(county_lines(county), self.style.SUCCESS)

        run_term(county)
        self.say(schoolyear_line(schoolyear_replay(county)))
        self.say(year_lines(county, both))
        self.say(summer_lines(county, both))
        # The district's roll of accounts, as a job on the worker (in-process here).
        account_census_start(by=county.accounts["district_admin"])

        built = build_term_report(county)
        report = built["report"]
        self.stdout.write("")
        if built["error"]:
            self.say(
                both(lambda: _("The term report failed: %(error)s") % {"error": built["error"]}),
                self.style.ERROR,
            )
        elif report.data is None:
            self.say(both(lambda: _("The term report is queued; a Celery worker builds it.")))
        else:
            data = ReportReader(county.accounts["district_admin"]).data(report)
            self.say(report_lines(report, data, built["files"]))

        self.stdout.write("")
        self.say(account_lines(county), self.style.SUCCESS)
        self.stdout.write("")
        self.say(console_lines(county), self.style.SUCCESS)
        self.stdout.write("")
        self.say(serve_lines())
        seconds = round(time.monotonic() - started)
        self.say(
            both(lambda: _("Demo ready in %(seconds)s s.") % {"seconds": seconds}),
            self.style.SUCCESS,
        )
