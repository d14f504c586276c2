"""Who sees which match runs, and which pairings a run keeps."""

from collections import Counter

from django.db.models import Count, Exists, OuterRef, QuerySet

from core.permissions import is_active_account
from mentoring.models import (
    MatchRun,
    MatchRunStatus,
    Pairing,
    PairingStatus,
    ProposedPair,
    School,
    User,
)
from mentoring.selectors.accounts import schools_administered_by


def runs_visible_to(user: User) -> QuerySet[MatchRun]:
    """Runs whose every school the user administers."""
    if not is_active_account(user):
        return MatchRun.objects.none()
    # The packed inputs (megabytes for a county) are read only when a pair is checked.
    runs = MatchRun.objects.select_related("term", "job", "created_by", "approved_by").defer(
        "packed_inputs"
    )
    if user.is_superuser:
        return runs
    administered = schools_administered_by(user)
    # Runs with at least one school the user does not administer. (A negated
    # `~Q(schools__in=...)` would mean "no school administered", which lets a
    # run of schools A and B through to an administrator of A alone.)
    foreign = MatchRun.objects.filter(schools__in=School.objects.exclude(pk__in=administered))
    return runs.filter(schools__in=administered).exclude(pk__in=foreign).distinct()


def run_inputs(run: MatchRun) -> dict | None:
    """The inputs the run solved, as plain data; None until its job has stored them.

    One query for the packed column, which `runs_visible_to` leaves out.
    """
    packed = MatchRun.objects.filter(pk=run.pk).values_list("packed_inputs", flat=True).first()
    if packed is None:
        return None
    run.packed_inputs = packed
    return run.inputs


def students_in_inputs(inputs: dict) -> set[int]:
    """The students an inputs document names: those to match of each kind and the locked ones."""
    ids = {student["id"] for rows in inputs.get("students", {}).values() for student in rows}
    ids.update(pair[0] for pairs in inputs.get("locked", {}).values() for pair in pairs)
    return ids


def pairings_locked_by(run: MatchRun) -> QuerySet[Pairing]:
    """The pairings a run finds standing: the active pairings of its term, schools and kinds.

    The run's solve locks each of them to its mentor (`mentoring.matching.problem.
    load_inputs` reads them here), so a run proposes pairs only for the students
    without one. The run's schools are a subquery: no query of their own.
    """
    return Pairing.objects.filter(
        term_id=run.term_id,
        status=PairingStatus.ACTIVE,
        student__school__in=run.schools.all(),
        kind__in=run.kinds,
    )


def pairings_kept_by(run: MatchRun) -> QuerySet[Pairing]:
    """The pairings the run leaves as they are, with their students, schools and mentors.

    Those it locked (`pairings_locked_by`), less those its approval ends:
    the active pairing of a student and kind the run proposes a pair for
    (one added by hand to give the student another mentor), as
    `match_run_approve` ends them. Once the run is approved its own pairs are
    active too; they are its proposal, not kept, and leave by the same rule.
    One query.
    """
    proposed = Pairing.objects.filter(
        proposal__run=run, student_id=OuterRef("student_id"), kind=OuterRef("kind")
    )
    return (
        pairings_locked_by(run)
        .exclude(Exists(proposed))
        .select_related("student__school", "mentor__user")
    )


# Why a student is unmatched when an administrator removed the student's proposed pair.
REMOVED_BY_HAND = "removed_by_hand"


def _per_kind(rows: QuerySet, kind_field: str) -> dict[str, int]:
    return dict(
        rows.order_by().values(kind_field).annotate(n=Count("pk")).values_list(kind_field, "n")
    )


def proposal_figures(run: MatchRun) -> dict[str, dict]:
    """Per kind, the run's summary with its figures as the run's rows stand now.

    The stored summary says what the solver proposed; a pair removed or added by
    hand since changes the pairs proposed, those kept and those unmatched, so
    these are counted from the rows (students = proposed + kept + unmatched).
    Unmatched are the students the solver left unmatched or whose pair was
    removed by hand (`match_run_pair_remove` keeps them in the summary's
    `removed_by_hand`), less those with a proposed pair now and those whose
    active pairing the run keeps; each with why: the solver's reason, or
    `REMOVED_BY_HAND` with `by` and `at` (the latest removal). A run replaced
    by a later one lost its rows: its stored figures are given as they were.
    Four queries, whatever the rows.
    """
    summary = run.summary or {}
    stored = summary.get("kinds") or {}
    if run.status not in (MatchRunStatus.PROPOSED, MatchRunStatus.APPROVED):
        return {kind: dict(figures) for kind, figures in stored.items()}
    candidates = {
        kind: {row["student"]: dict(row) for row in figures.get("unmatched_students", [])}
        for kind, figures in stored.items()
    }
    # In the order they were removed: a student's latest removal is the one said.
    for row in summary.get(REMOVED_BY_HAND, []):
        if row["kind"] in candidates:
            candidates[row["kind"]][row["student"]] = {
                "student": row["student"],
                "reason": REMOVED_BY_HAND,
                "by": row["by"],
                "at": row["at"],
            }
    ids = {student for rows in candidates.values() for student in rows}
    proposals = ProposedPair.objects.filter(run=run)
    paired = set(
        proposals.filter(pairing__student__in=ids).values_list("pairing__kind", "pairing__student")
    )
    paired.update(pairings_kept_by(run).filter(student__in=ids).values_list("kind", "student"))
    proposed = _per_kind(proposals, "pairing__kind")
    kept = _per_kind(pairings_kept_by(run), "kind")
    figures = {}
    for kind, old in stored.items():
        unmatched = [
            row
            for student, row in sorted(candidates[kind].items())
            if (kind, student) not in paired
        ]
        figures[kind] = {
            **old,
            "proposed": proposed.get(kind, 0),
            "kept": kept.get(kind, 0),
            "unmatched": len(unmatched),
            "unmatched_by_reason": dict(sorted(Counter(r["reason"] for r in unmatched).items())),
            "unmatched_students": unmatched,
        }
    return figures
