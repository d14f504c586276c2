"""The writes the fault scenarios make, as the demo county's users make them, and what
each one must leave behind once every job has ended."""

from __future__ import annotations

import datetime
import uuid

from tests.faults.stack import Answer
from tests.faults.world import Stack

# Rows a scenario counts before and after.
TABLES = (
    "workers_job",
    "workers_matchrun",
    "workers_proposedpair",
    "mentoring_pairing",
    "mentoring_historicalpairing",
    "workers_report",
    "donations_contribution",
    "donations_ledgerentry",
    "mentoring_tutoringsession",
    "mentoring_weeklycompliance",
)


class Scene:
    """Ids of the demo county in a stack's database."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.term = stack.one("SELECT id FROM mentoring_term WHERE code = '2026-autumn'")
        self.school = stack.one("SELECT id FROM mentoring_school WHERE code = 'SUNSHINE-PS'")
        # The school whose pairings the seed ended (conftest.MATCH_SCHOOL).
        self.match_school = stack.one("SELECT id FROM mentoring_school WHERE code = 'DONGFENG-PS'")
        self.project = stack.one(
            "SELECT id FROM donations_aidproject WHERE code = 'NEWSPAPER-2026'"
        )
        self.donor = stack.one("SELECT min(id) FROM donations_donor")
        self.pairing = stack.one(
            "SELECT min(p.id) FROM mentoring_pairing p "
            "JOIN mentoring_mentor m ON m.id = p.mentor_id "
            "JOIN mentoring_user u ON u.id = m.user_id "
            "WHERE u.username = 'teacher_a' AND p.status = 'active'"
        )
        # A Wednesday of the last week the weekly check has stored: logging a
        # session there starts a job that refreshes that week's compliance row.
        last_checked = stack.one("SELECT max(week_start) FROM mentoring_weeklycompliance")
        self.checked_day = last_checked + datetime.timedelta(days=2)

    # Each write answers 201 or 202 (or a JSON 503 to retry) and names its job.

    def match_run(self, key: str | None = None) -> Answer:
        return self.stack.call(
            "POST",
            "/api/v1/match-runs/",
            "district_admin",
            {"term": self.term, "kinds": ["academic", "care"], "schools": [self.match_school]},
            key=key,
        )

    def report(self, key: str | None = None) -> Answer:
        return self.stack.call(
            "POST",
            "/api/v1/reports/",
            "district_admin",
            {"term": self.term, "school": self.school},
            key=key,
        )

    def contribution(self, key: str | None = None) -> Answer:
        return self.stack.call(
            "POST",
            "/api/v1/contributions/",
            "district_admin",
            {
                "donor": self.donor,
                "project": self.project,
                "amount": "100.00",
                "received_on": datetime.date.today().isoformat(),
                "memo": "faults",
            },
            key=key or str(uuid.uuid4()),
        )

    def session(self, key: str | None = None, minutes: int = 45, day=None) -> Answer:
        return self.stack.call(
            "POST",
            "/api/v1/sessions/",
            "teacher_a",
            {
                "pairing": self.pairing,
                "date": (day or self.checked_day).isoformat(),
                "minutes": minutes,
                "subject": "math",
                "kind": "tutoring",
                "content": "分数练习",
            },
            key=key or str(uuid.uuid4()),
        )

    def compliance_check(self, key: str | None = None) -> Answer:
        return self.stack.call(
            "POST",
            "/api/v1/compliance/check/",
            "district_admin",
            {"term": self.term, "whole_term": True},
            key=key,
        )

    # What the database holds

    def proposal(self) -> set[tuple]:
        """The latest run's proposal as (student, mentor, kind): ids of pairings aside."""
        run = self.latest_run()
        return set(
            self.stack.sql(
                "SELECT p.student_id, p.mentor_id, p.kind FROM workers_proposedpair pp "
                "JOIN mentoring_pairing p ON p.id = pp.pairing_id WHERE pp.run_id = %s",
                (run,),
            )
        )

    def latest_run(self) -> int:
        return self.stack.one("SELECT max(id) FROM workers_matchrun")

    def rerun_changes_nothing(self, settle: float = 180) -> dict:
        """Run a clean match run and a whole-term compliance check after the fault: what
        the faulted jobs wrote must equal what these clean ones write."""
        proposal, rows = self.proposal(), self.compliance_rows()
        for write in (self.match_run, self.compliance_check):
            answer = write()
            assert answer.status == 202, (answer.status, answer.body)
        self.stack.wait_jobs(timeout=settle)
        return {
            "match run proposal equal to a clean run's": self.proposal() == proposal,
            "compliance rows equal to a clean check's": self.compliance_rows() == rows,
        }

    def report_figures(self, report_id: int) -> dict:
        data = self.stack.one("SELECT data FROM workers_report WHERE id = %s", (report_id,))
        assert data is not None, f"report {report_id} has no figures"
        return {k: v for k, v in data.items() if k not in ("version", "built_at")}

    def compliance_rows(self) -> list[tuple]:
        return self.stack.sql(
            "SELECT pairing_id, week_start, sessions, minutes, home_visits, met, missed_streak "
            "FROM mentoring_weeklycompliance ORDER BY pairing_id, week_start"
        )

    def unposted_contributions(self) -> list[tuple]:
        return self.stack.sql(
            "SELECT id, status FROM donations_contribution "
            "WHERE ledger_entry_id IS NULL OR receipt_number IS NULL"
        )


def job_of(answer: Answer) -> int | None:
    body = answer.body if isinstance(answer.body, dict) else {}
    job = body.get("job")
    if isinstance(job, dict):
        return job.get("id")
    if job is None and {"kind", "status", "progress"} <= body.keys():
        return body.get("id")  # the answer is the job itself (compliance check)
    return job
