"""Load the demo county and run what exists of the term on it.

Safe to run again: the county is found by its keys, passwords are reset to
the documented one, and each step skips what is already done.
"""

import time

from django.core.management.base import BaseCommand
from django.db.models import Count

from mentoring.models import Mentor, Student, StudentRecord
from workers.demo import run_term
from workers.demo_county import ACCOUNTS, DEMO_PASSWORD, build_county
from workers.demo_schoolyear import schoolyear_line, schoolyear_replay
from workers.demo_term import compliance_lines
from workers.jobs import account_census_start
from workers.models import Job


class Command(BaseCommand):
    help = "Load the demo county (7 schools, 1,851 students, mentors, accounts) and run the term."

    def handle(self, *args, **options):
        started = time.monotonic()
        county = build_county()
        term = county.term
        self.stdout.write(
            self.style.SUCCESS(f"Demo county {county.district.name}, term {term.code}:")
        )
        per_school = (
            StudentRecord.objects.filter(term=term)
            .values("student__school__code", "student__school__name")
            .annotate(students=Count("pk"))
            .order_by("student__school__code")
        )
        for row in per_school:
            struggling = StudentRecord.objects.filter(
                term=term, student__school__code=row["student__school__code"], struggling=True
            ).count()
            self.stdout.write(
                f"  {row['student__school__code']:<13} {row['student__school__name']:<8} "
                f"{row['students']:>4} students, {struggling:>3} struggling"
            )
        self.stdout.write(
            f"  {Student.objects.count()} students, {Mentor.objects.count()} mentors in all"
        )

        self.stdout.write(self.style.SUCCESS(f"\nDemo accounts (password: {DEMO_PASSWORD}):"))
        for username, role, codes, _name in ACCOUNTS:
            self.stdout.write(f"  {username:<15} {role:<14} {', '.join(codes)}")

        term_so_far = run_term(county)
        self.stdout.write(self.style.SUCCESS("\nThe term so far:"))
        self.stdout.write(f"  identification: {term_so_far['identification']}")
        for kind, summary in term_so_far["matching"]["kinds"].items():
            self.stdout.write(
                f"  matching ({kind}): {summary['students']} students, "
                f"{summary['proposed'] + summary['kept']} paired, {summary['unmatched']} unmatched "
                f"{summary['unmatched_by_reason']}, "
                f"{len(summary['mentors_below_minimum'])} mentors below their minimum"
            )
        self.stdout.write(f"  tutoring sessions logged: {term_so_far['sessions']}")
        self.stdout.write("\n".join(compliance_lines(term_so_far["compliance"])))
        aid = term_so_far["donations"]
        self.stdout.write(
            f"  aid: {aid['projects']} projects, {aid['awards']} awards ({aid['paid']} paid), "
            f"fund balances {aid['balances']}"
        )
        self.stdout.write(f"  eligible but left out, by project: {aid['left_out']}")
        self.stdout.write(schoolyear_line(schoolyear_replay(county)))

        job = account_census_start(by=county.accounts["district_admin"])
        job = Job.objects.get(pk=job.pk)
        self.stdout.write(
            f"\nJob #{job.pk} ({job.kind}): {job.status}, {job.progress}% — "
            f"{job.result['accounts'] if job.result else '?'} accounts in "
            f"{len(job.result['schools']) if job.result else '?'} schools"
        )
        self._term_report(county)
        self.stdout.write(f"Demo ready in {time.monotonic() - started:.1f} s.")
        self.stdout.write(
            "\nStart the server with `make serve`, then open http://127.0.0.1:8000/api/docs/\n"
            "or get a token:  curl -X POST http://127.0.0.1:8000/api/v1/auth/token/ "
            "-H 'Content-Type: application/json' "
            f'-d \'{{"username": "admin", "password": "{DEMO_PASSWORD}"}}\''
        )

    def _term_report(self, county):
        from workers.demo import build_term_report

        built = build_term_report(county)
        report = built["report"]
        if built["error"]:
            self.stdout.write(self.style.ERROR(f"\nTerm report failed: {built['error']}"))
            return
        if report.data is None:
            self.stdout.write(f"\nTerm report #{report.pk} is queued; a Celery worker builds it.")
            return
        headline = report.data["headline"]
        self.stdout.write(
            self.style.SUCCESS(f"\nTerm report #{report.pk}, version {report.version}:")
        )
        self.stdout.write(
            f"  {headline['enrolment']} students, {headline['aided_students']} aided "
            f"({headline['aided_share']} %), {headline['awarded']} yuan awarded, "
            f"{headline['paid']} paid; {headline['pairings']} pairs, "
            f"{headline['compliance_share'] or '—'} % of pair-weeks met"
        )
        for path in built["files"]:
            self.stdout.write(f"  {path}")
