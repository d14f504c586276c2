"""The bulk SQL of a match run: its proposal written, and stale proposals dropped.

Two entry points, so that the services never see the SQL:

- `ProposalWriter(run)`, a context manager: `writer_for(kind)` gives the
  function the solver calls with each part's new pairs; leaving the `with`
  has written them all (pairings in status proposed, their "+" history rows
  and their ProposedPair), or raises the database's error.
- `proposals_drop(stale, by=..., writer=...)` deletes proposed pairings in a
  few statements, with their "-" history rows; given the entered writer, it
  sends them down the writer's pipeline ahead of the new pairs.

Both go below the ORM on purpose (PostgreSQL's pipeline mode, `_raw_delete`):
a county's 100,000 pairs written or dropped one object at a time take
minutes. tests/mentoring/test_match_run_writer.py checks what they write.
"""

import json
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core import bulk
from core.errors import Conflict
from mentoring.models import Pairing, PairingStatus, ProposedPair, TutoringSession, WeeklyCompliance

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from mentoring.models import MatchRun, User


def proposals_drop(
    stale: "QuerySet[Pairing]", *, by: "User", writer: "ProposalWriter | None" = None
) -> None:
    """Delete proposed pairings at once, with their "-" history rows and what hangs on them.

    Django's delete() would handle 90,000 proposals of a county one object at
    a time (its history signal), over a minute; a proposal has no sessions
    and nothing else that keeps it, which is checked first. Given the run's
    `writer` (entered, on PostgreSQL), the deletion goes down its pipeline
    ahead of the new pairs: the database deletes the old proposal and checks
    its foreign keys (three tables point at a pairing) while the solver works
    on the first part, instead of the solver waiting for it.
    """
    if TutoringSession.objects.filter(pairing__in=stale).exists():
        raise Conflict(_("A proposed pairing has sessions; end it instead of replacing it."))
    dependents = [(WeeklyCompliance, "pairing_id"), (ProposedPair, "pairing_id")]
    if writer is not None and writer.streaming:
        writer.send(bulk.delete_with_history_statement(stale, user=by, dependents=dependents))
        return
    bulk.delete_with_history(stale, user=by, dependents=dependents)


class ProposalWriter:
    """Writes a run's new pairs: pairings in status proposed, their history, their proposals.

    On PostgreSQL each batch of pairs (an independent part of the solve) is one
    statement writing all three tables, sent in pipeline mode: the client does
    not wait for it, so the database inserts and checks the rows (foreign keys
    checked at once, not left for the commit) while the solver works on the
    next part; leaving the `with` waits for the last statement. Elsewhere the
    pairs are collected and written with `bulk.insert` on leaving.
    """

    def __init__(self, run: "MatchRun"):
        self.run = run
        today = timezone.localdate()
        self.start = min(max(run.term.start_date, today), run.term.end_date)
        self.reason = _("Proposed by match run #%(run)s.") % {"run": run.pk}
        self.now = timezone.now()
        self.streaming = connection.vendor == "postgresql"
        self.pairings, self.proposals = [], []
        self.json_texts = {}  # id(reasons) -> (reasons, JSON text)

    def __enter__(self):
        if self.streaming:
            self.cursor = connection.cursor()
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.sql, self.params = self._sql()
            self.pipeline = connection.connection.pipeline()
            self.pipeline.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.streaming:
            # Errors of the statements sent surface here, as Django's errors.
            with connection.wrap_database_errors:
                self.pipeline.__exit__(exc_type, exc, tb)
            if exc_type is None:
                self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            self.cursor.close()
        elif exc_type is None:
            self._write_collected()
        return False

    def send(self, statement: tuple[str, list] | None) -> None:
        """Send a statement down the pipeline, ahead of the pairs still to come, not
        waiting for it; its errors surface when the `with` is left."""
        if statement is not None:
            self.cursor.execute(*statement)

    def writer_for(self, kind: str):
        def write(student_ids, mentor_ids, costs, reasons):
            if not student_ids:
                return
            if self.streaming:
                # Each different reasons dict once, as one JSON array, and for each
                # pair its place in it; numbers as array literals, which PostgreSQL
                # reads far faster than the driver writes lists element by element.
                place: dict[int, int] = {}
                texts = []
                for why in reasons:
                    if id(why) not in place:
                        place[id(why)] = len(texts)
                        texts.append(self._json(why))
                self.cursor.execute(
                    self.sql,
                    {
                        **self.params,
                        "students": bulk.array_literal(student_ids),
                        "mentors": bulk.array_literal(mentor_ids),
                        "costs": bulk.array_literal(costs),
                        "reason_at": bulk.array_literal([place[id(why)] for why in reasons]),
                        "reasons": f"[{','.join(texts)}]",
                        "kind": kind,
                    },
                )
                return
            for student, mentor, cost, why in zip(
                student_ids, mentor_ids, costs, reasons, strict=True
            ):
                self.pairings.append((student, mentor, kind))
                self.proposals.append((cost, why))

        return write

    def _json(self, reasons: dict) -> str:
        # Pairs alike share one reasons dict: each is turned into JSON once.
        found = self.json_texts.get(id(reasons))
        if found is None:
            found = self.json_texts[id(reasons)] = (reasons, json.dumps(reasons))
        return found[1]

    def _constants(self) -> dict:
        run = self.run
        return {
            "term_id": run.term_id,
            "status": PairingStatus.PROPOSED,
            "started_on": self.start,
            "created_by_id": run.created_by_id,
            "reason": self.reason,
        }

    def _write_collected(self) -> None:
        constants = self._constants()
        names = ["student_id", "mentor_id", "kind", *constants]
        values = tuple(constants.values())
        ids = bulk.insert(
            Pairing,
            names,
            [(*pair, *values) for pair in self.pairings],
            history=True,
            user=self.run.created_by,
        )
        bulk.insert(
            ProposedPair,
            ["run_id", "pairing_id", "cost", "reasons"],
            [
                (self.run.pk, pk, cost, why)
                for pk, (cost, why) in zip(ids, self.proposals, strict=True)
            ],
        )

    def _sql(self) -> tuple[str, dict]:
        """One statement writing a batch of pairs to the three tables.

        Its parameters: student ids, mentor ids, costs and places of the
        reasons as arrays, one element per pair; the reasons (a JSON array of
        the different ones); the kind. Columns not set here take their
        defaults, as `bulk.insert` gives them.
        """
        quote = connection.ops.quote_name
        history = Pairing.history.model
        given = {"student_id": "r.student_id", "mentor_id": "r.mentor_id", "kind": "%(kind)s"}
        pairing_sql, pairing_params = bulk.insert_select(
            Pairing, given, self._constants(), now=self.now
        )
        own = [quote(f.column) for f in Pairing._meta.concrete_fields]
        history_columns = [
            *own,
            *map(quote, ["history_date", "history_type", "history_user_id"]),
        ]
        proposal_sql, proposal_params = bulk.insert_select(
            ProposedPair,
            {
                "pairing_id": "p.id",
                "cost": "r.cost",
                "reasons": "%(reasons)s::jsonb -> r.reason_at",
            },
            {"run_id": self.run.pk},
            now=self.now,
        )
        # Table and column names come from the models, values are parameters.
        sql = (
            "WITH r AS (SELECT * FROM unnest(%(students)s::bigint[], %(mentors)s::bigint[], "  # noqa: S608  # nosec B608
            "%(costs)s::integer[], %(reason_at)s::integer[]) "
            "AS r(student_id, mentor_id, cost, reason_at)), "
            f"p AS ({pairing_sql} FROM r ORDER BY r.student_id RETURNING *), "
            f"h AS (INSERT INTO {quote(history._meta.db_table)} ({', '.join(history_columns)}) "
            f"SELECT {', '.join(own)}, %(now)s, '+', %(user)s FROM p) "
            f"{proposal_sql} FROM p JOIN r ON r.student_id = p.student_id ORDER BY p.id"
        )
        params = {**pairing_params, **proposal_params}
        return sql, {**params, "now": self.now, "user": self.run.created_by_id}
