"""The match run's lifecycle: started, solved and written, reviewed by hand, approved.

`match_run_start` records the run and announces it (`mentoring.signals.
match_run_started`), and `workers` makes its job and sends its task, which
calls `match_run_execute_job`: the run's inputs are read as plain data
(`mentoring.matching.problem`), each kind is solved, and the proposal is
written by `mentoring.matching.writer`: pairings in status proposed, each
with a ProposedPair saying why. An administrator then adjusts the proposal
by hand (`match_run_pair_*`) and approves it (`match_run_approve`).
"""

import dataclasses
import datetime
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from core import bulk
from core.errors import Conflict, NotPermitted, ValidationErrors, checked
from mentoring.matching import candidates as rules_and_costs
from mentoring.matching.problem import (
    kinds_in_order,
    load_inputs,
    mentor_info,
    solve_inputs,
    student_info,
)
from mentoring.matching.writer import ProposalWriter, proposals_drop
from mentoring.models import (
    District,
    MatchRun,
    MatchRunStatus,
    Pairing,
    PairingKind,
    PairingStatus,
    ProposedPair,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.match_runs import REMOVED_BY_HAND
from mentoring.selectors.pairing_rules import exclusion_message, loosens_policy
from mentoring.signals import match_run_started

WEIGHT_NAMES = {f.name for f in dataclasses.fields(rules_and_costs.Weights)}


# Starting a run ---------------------------------------------------------------------------


def _weights_problems(errors: ValidationErrors, raw) -> rules_and_costs.Weights | None:
    """The run's weights, or None after adding to `errors` what is wrong with each of them."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.add("weights", _('Weights are given by name, e.g. {"subject_miss": 30}.'))
        return None
    raw = dict(raw)
    before = len(errors.errors.get("weights", []))
    unknown = sorted(set(raw) - WEIGHT_NAMES, key=str)
    if unknown:
        errors.add(
            "weights", _("Unknown weights: %(names)s.") % {"names": ", ".join(map(str, unknown))}
        )
    for name in sorted(set(raw) & WEIGHT_NAMES):
        value = raw[name]
        if name == "unmatched" and (not isinstance(value, list) or not value):
            errors.add("weights", _("unmatched takes a list of costs, neediest first."))
            continue
        values = value if name == "unmatched" else [value]
        if any(
            not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > 100_000 for v in values
        ):
            errors.add(
                "weights",
                _("Each weight is a whole number from 0 to 100000 (%(name)s).") % {"name": name},
            )
        elif name == "max_candidates" and value < 1:
            errors.add("weights", _("max_candidates must be at least 1."))
    if len(errors.errors.get("weights", [])) > before:
        return None
    if "unmatched" in raw:
        raw["unmatched"] = tuple(raw["unmatched"])
    return rules_and_costs.Weights(**raw)


def _rules_problems(errors: ValidationErrors, raw, *, district: District | None) -> dict | None:
    """The run's rules: the district's safeguarding policy, tightened if asked.

    Adds to `errors` what is wrong; with no district (the term was refused),
    only the rules' own form is checked.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.add("rules", _('Rules are given by name, e.g. {"same_gender_from_age": 12}.'))
        return None
    unknown = sorted(set(raw) - {"same_gender_from_age"}, key=str)
    if unknown:
        errors.add(
            "rules", _("Unknown rules: %(names)s.") % {"names": ", ".join(map(str, unknown))}
        )
    default = district.same_gender_from_age if district is not None else None
    age = raw.get("same_gender_from_age", default)
    if age is not None and (
        not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 20
    ):
        errors.add(
            "rules", _("same_gender_from_age is an age from 0 to 20, or null to switch it off.")
        )
    elif district is not None and loosens_policy(district, age):
        errors.add(
            "rules",
            _(
                "A run may tighten the district's safeguarding rule (same-gender mentors "
                "from the age of %(age)d), never loosen it."
            )
            % {"age": district.same_gender_from_age},
        )
    if errors.has("rules") or district is None:
        return None
    return {"same_gender_from_age": age}


def match_run_start_problems(
    errors: ValidationErrors,
    *,
    by: User,
    term_id: int | None,
    kinds: list[str] | None,
    weights=None,
    rules=None,
) -> Term | None:
    """Add to `errors` everything wrong with starting a run: the term, the kinds, each weight
    and rule, so that one answer names them all. Returns the term when it is the user's.
    """
    term = None
    if term_id is not None:
        term = (
            Term.objects.filter(pk=term_id, district__schools__in=schools_administered_by(by))
            .select_related("district")
            .distinct()
            .first()
        )
        if term is None:
            errors.add("term", _("Unknown term."))
    if kinds is not None and (not kinds or set(kinds) - set(PairingKind.values)):
        errors.add("kinds", _("Choose academic, care or both."))
    _weights_problems(errors, weights)
    _rules_problems(errors, rules, district=term.district if term else None)
    return term


@transaction.atomic
def match_run_start(
    *,
    by: User,
    term_id: int,
    kinds: list[str],
    school_ids: list[int] | None = None,
    weights: dict | None = None,
    rules: dict | None = None,
) -> MatchRun:
    """Record a run for the term and the schools; its job and task follow the announcement.

    Every bad input is refused at once (`match_run_start_problems`), before
    anything is written. `match_run_started` is sent inside the transaction:
    `workers` makes the run's job (the run's `job` is set on return) and sends
    its task after commit.
    """
    term = checked(
        match_run_start_problems, by=by, term_id=term_id, kinds=kinds, weights=weights, rules=rules
    )
    in_district = schools_administered_by(by).filter(district=term.district)
    if school_ids:
        schools = list(in_district.filter(pk__in=school_ids))
        if len(schools) != len(set(school_ids)):
            raise NotPermitted(
                _("You can only match schools you administer in the term's district."),
                field="schools",
            )
    else:
        schools = list(in_district)
    run = match_run_record(
        term=term, schools=schools, kinds=kinds, by=by, weights=weights, rules=rules
    )
    match_run_started.send(sender=MatchRun, run=run, schools=schools, by=by)
    return run


@transaction.atomic
def match_run_record(
    *,
    term: Term,
    schools: list,
    kinds: list[str],
    by: User,
    weights: dict | None = None,
    rules: dict | None = None,
    job=None,
) -> MatchRun:
    """The run's row, its weights and rules checked, not announced: the caller has checked
    who may match these schools, and makes (or gives, as `job`) the job that runs it.

    A province's job records one run per county this way (`workers.province`).
    """
    errors = ValidationErrors()
    run_weights = _weights_problems(errors, weights)
    run_rules = _rules_problems(errors, rules, district=term.district)
    errors.raise_if_any()
    run = MatchRun.objects.create(
        term=term,
        kinds=sorted(set(kinds)),
        weights=dataclasses.asdict(run_weights),
        rules=run_rules,
        created_by=by,
        job=job,
    )
    run.schools.set(schools)
    return run


# Running it -------------------------------------------------------------------------------


# A run in these states has written its proposal (a later run may have replaced it).
WRITTEN = (MatchRunStatus.PROPOSED, MatchRunStatus.REPLACED)


def match_run_execute_job(*, job_id: int, progress: Callable[[int], None]) -> dict:
    """Solve the run of this job and write its proposal, once (the task's one call)."""
    run = MatchRun.objects.get(job_id=job_id)
    if run.status == MatchRunStatus.PENDING:
        MatchRun.objects.filter(pk=run.pk).update(status=MatchRunStatus.RUNNING)
    # A failure fails the run with its job (workers.services.job_fail).
    return match_run_execute(run, progress)


def match_run_execute(run: MatchRun, progress: Callable[[int], None]) -> dict:
    """Solve the run and write its proposal, once.

    A run whose proposal is written (its task delivered again, after the
    write was committed) keeps it: the same pairings, ids and history rows,
    and its summary is returned as it was.
    """
    written = MatchRun.objects.filter(pk=run.pk, status__in=WRITTEN).first()
    if written is not None:
        progress(100)
        return written.summary
    inputs = load_inputs(run)
    progress(20)
    summary = _solve_and_write(run, inputs)
    progress(100)
    return summary


@transaction.atomic
def _solve_and_write(run: MatchRun, inputs: dict) -> dict:
    """Replace the proposal with a new one, all at once.

    The pairs are written while they are solved: each independent part's pairs
    go to the database as soon as the part is solved, and the database stores
    and checks them while the next parts are solved (see `ProposalWriter`).
    """
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status == MatchRunStatus.APPROVED:
        raise Conflict(_("This run is approved; its proposal can no longer change."))
    if run.status in WRITTEN:
        # Another attempt of the same task wrote it while this one solved.
        return run.summary
    school_ids = list(run.schools.values_list("pk", flat=True))
    # Earlier runs whose proposal this one replaces can no longer be approved.
    # They are locked before their pairings are touched, in the order approval
    # takes its locks (the run, then its pairings): an approval under way
    # finishes first, and its pairings, active by then, are not dropped below;
    # one that comes later finds its run replaced. Taking the pairings first
    # deadlocked with an approval, or deleted the pairings it had just activated.
    earlier = MatchRun.objects.filter(
        term=run.term, status=MatchRunStatus.PROPOSED, schools__in=school_ids
    ).exclude(pk=run.pk)
    candidates = sorted(
        {pk for pk, kinds in earlier.values_list("pk", "kinds") if set(kinds) & set(run.kinds)}
    )
    replaced = list(
        MatchRun.objects.select_for_update()
        .filter(pk__in=candidates, status=MatchRunStatus.PROPOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Replace this run's proposal and any other unapproved proposal for the
    # same term, schools and kinds: proposals never pile up.
    stale = Pairing.objects.filter(
        term=run.term,
        status=PairingStatus.PROPOSED,
        kind__in=run.kinds,
        student__school__in=school_ids,
    )
    MatchRun.objects.filter(pk__in=replaced).update(status=MatchRunStatus.REPLACED)

    solved = {}
    taken = Counter()
    with ProposalWriter(run) as writer:
        # Sent ahead of the new pairs, done by the database while the first part is solved.
        proposals_drop(stale, by=run.created_by, writer=writer)
        for kind in kinds_in_order(run.kinds):
            solved[kind] = solve_inputs(
                inputs,
                weights=run.weights,
                rules=run.rules,
                kind=kind,
                taken=Counter(taken),
                on_pairs=writer.writer_for(kind),
            )
            taken.update(p.mentor for p in solved[kind][0].pairs if not p.locked)
        # Done while the database is still writing the last parts.
        run.summary = _summary(run, inputs, solved)
        run.inputs = inputs
    run.status = MatchRunStatus.PROPOSED
    run.save(update_fields=["packed_inputs", "summary", "status"])
    return run.summary


def _summary(run: MatchRun, inputs: dict, solved: dict) -> dict:
    summary = {"term": run.term.code, "kinds": {}}
    for kind, (result, _reasons, no_candidate) in solved.items():
        proposed = sum(1 for p in result.pairs if not p.locked)
        unmatched = Counter(no_candidate.get(u.student, u.reason) for u in result.unmatched)
        summary["kinds"][kind] = {
            "students": len(inputs["students"].get(kind, [])),
            "mentors": len(inputs["mentors"]),
            "proposed": proposed,
            "kept": len(result.pairs) - proposed,
            "unmatched": len(result.unmatched),
            "unmatched_by_reason": dict(sorted(unmatched.items())),
            "unmatched_students": [
                {"student": u.student, "reason": no_candidate.get(u.student, u.reason)}
                for u in result.unmatched
            ],
            "mentors_below_minimum": [dataclasses.asdict(m) for m in result.short_mentors],
            "objective": result.objective,
            "parts": result.parts,
        }
    return summary


# Reviewing and approving -------------------------------------------------------------------


def _check_editable(run: MatchRun) -> None:
    if run.status != MatchRunStatus.PROPOSED:
        raise Conflict(
            _("Only a proposed run can be changed; this one is %(status)s.")
            % {"status": run.get_status_display()},
            extra={"status": run.status},
        )


def _editable(run: MatchRun) -> MatchRun:
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    _check_editable(run)
    return run


def _run_rules(run: MatchRun) -> rules_and_costs.Rules:
    inputs = run.inputs or {}
    return rules_and_costs.Rules(
        same_gender_from_age=run.rules.get("same_gender_from_age"),
        vetted_on=datetime.date.fromisoformat(inputs["vetted_on"]),
    )


def match_run_pair_mentors(*, run: MatchRun, student_id: int, kind: str) -> list[int]:
    """The run's mentors the pairing rules allow for this student and kind, by id.

    The same hard rules `match_run_pair_change` and `match_run_pair_add` check
    (`rules_and_costs.exclusion` with the run's own rules), so a mentor offered
    for a pair is never refused for breaking one; a mentor may still have no
    place left. Empty when the student is not one the run matches for `kind`.
    """
    inputs = run.inputs or {}
    found = next(
        (s for s in inputs.get("students", {}).get(kind, []) if s["id"] == student_id), None
    )
    if found is None:
        return []
    student, rules = student_info(found), _run_rules(run)
    return [
        m["id"]
        for m in inputs.get("mentors", [])
        if rules_and_costs.exclusion(student, mentor_info(m), kind, rules) is None
    ]


def _pair_problems(
    errors: ValidationErrors,
    run: MatchRun,
    *,
    student_id: int | None,
    mentor_id: int | None,
    kind: str | None,
    ignore=None,
) -> tuple[dict | None, dict | None]:
    """The run's rules, checked again for a pair added or changed by hand, into `errors`.

    An input given as None is not checked (refused already); the student is
    looked for among the run's students of `kind`. Answers the run's inputs
    for the student and the mentor (None where unknown).
    """
    inputs = run.inputs or {}
    students = {s["id"]: s for s in inputs.get("students", {}).get(kind, [])}
    mentors = {m["id"]: m for m in inputs.get("mentors", [])}
    s = m = None
    if student_id is not None and kind is not None:
        s = students.get(student_id)
        if s is None:
            errors.add("student", _("This student is not one this run matches for this kind."))
    if mentor_id is not None:
        m = mentors.get(mentor_id)
        if m is None:
            errors.add("mentor", _("Unknown mentor."))
    if m is None:
        return s, m
    if s is not None:
        rules = _run_rules(run)
        broken = rules_and_costs.exclusion(student_info(s), mentor_info(m), kind, rules)
        if broken:
            # The rule in words, with the reason it holds (which pairs this
            # kind of mentor takes; the age the run's safeguarding rule starts).
            message = exclusion_message(
                broken,
                district=run.term.district,
                mentor_kind=m["kind"],
                pairing_kind=kind,
                from_age=rules.same_gender_from_age,
            )
            errors.add("mentor", message, extra={"rule": broken})
            return s, m
    taken = Pairing.objects.filter(
        term=run.term,
        mentor_id=mentor_id,
        status__in=[PairingStatus.ACTIVE, PairingStatus.PROPOSED],
    )
    if ignore is not None:
        taken = taken.exclude(pk=ignore)
    if taken.count() >= m["capacity"]:
        errors.add("mentor", _("This mentor has no place left."))
    return s, m


def match_run_pair_add_problems(
    errors: ValidationErrors,
    *,
    run: MatchRun,
    student_id: int | None,
    mentor_id: int | None,
    kind: str | None,
) -> None:
    """Add to `errors` everything wrong with adding this pair to the run.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (refused already). A run no longer proposed is
    refused outright (409).
    """
    _check_editable(run)
    if kind is not None and kind not in run.kinds:
        errors.add("kind", _("This run does not match this kind."))
        kind = None
    if (
        kind is not None
        and student_id is not None
        and Pairing.objects.filter(
            term=run.term, student_id=student_id, kind=kind, status=PairingStatus.PROPOSED
        ).exists()
    ):
        errors.add("student", _("This student already has a proposed pair of this kind."))
        student_id = None
    _pair_problems(errors, run, student_id=student_id, mentor_id=mentor_id, kind=kind)


@transaction.atomic
def match_run_pair_add(*, run: MatchRun, by: User, student_id: int, mentor_id: int, kind: str):
    """Add a pair by hand; every field is checked before anything is written."""
    run = _editable(run)
    errors = ValidationErrors()
    match_run_pair_add_problems(
        errors, run=run, student_id=student_id, mentor_id=mentor_id, kind=kind
    )
    errors.raise_if_any()
    pairing = Pairing.objects.create(
        term=run.term,
        student_id=student_id,
        mentor_id=mentor_id,
        kind=kind,
        status=PairingStatus.PROPOSED,
        started_on=min(max(run.term.start_date, timezone.localdate()), run.term.end_date),
        created_by=by,
        reason=_("Added by hand to match run #%(run)s.") % {"run": run.pk},
    )
    return ProposedPair.objects.create(run=run, pairing=pairing, by_hand=True)


@transaction.atomic
def match_run_pair_change(*, run: MatchRun, by: User, proposal: ProposedPair, mentor_id: int):
    run = _editable(run)
    pairing = proposal.pairing
    student, mentor = checked(
        _pair_problems,
        run,
        student_id=pairing.student_id,
        mentor_id=mentor_id,
        kind=pairing.kind,
        ignore=pairing.pk,
    )
    pairing.mentor_id = mentor_id
    pairing.save(update_fields=["mentor"])
    proposal.by_hand = True
    # The new mentor's own reasons, as the solver would give them for this
    # pair; the old mentor's no longer hold. Who changed it, and when, beside.
    proposal.reasons = {
        **rules_and_costs.reasons(student_info(student), mentor_info(mentor), pairing.kind),
        "changed_by": by.username,
        "changed_at": timezone.now().isoformat(timespec="seconds"),
    }
    proposal.save(update_fields=["by_hand", "reasons"])
    return proposal


@transaction.atomic
def match_run_pair_remove(*, run: MatchRun, by: User, proposal: ProposedPair) -> None:
    """Remove a pair; the run's summary keeps whose, by whom and when, to show it unmatched."""
    run, pairing = _editable(run), proposal.pairing
    removed = {"student": pairing.student_id, "kind": pairing.kind, "mentor": pairing.mentor_id}
    removed.update(by=by.username, at=timezone.now().isoformat(timespec="seconds"))
    summary = run.summary or {}
    run.summary = {**summary, REMOVED_BY_HAND: [*summary.get(REMOVED_BY_HAND, []), removed]}
    run.save(update_fields=["summary"])
    pairing.delete()


@transaction.atomic
def match_run_approve(*, run: MatchRun, by: User) -> MatchRun:
    """Make the proposal active in one transaction, ending the pairings it replaces.

    Approving an approved run changes nothing.
    """
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status == MatchRunStatus.APPROVED:
        return run
    if run.status != MatchRunStatus.PROPOSED:
        raise Conflict(
            _("Only a proposed run can be approved; this one is %(status)s.")
            % {"status": run.get_status_display()},
            extra={"status": run.status},
        )
    today = timezone.localdate()
    # Set-based: a county's 90,000 pairings and the pairings they replace are each
    # changed and recorded in their history by one statement (core.bulk), not a
    # save() each. The proposal's rows are locked first, so that a run replacing
    # this one (which deletes them) waits for the approval, then finds them active
    # and leaves them; the database locks them without sending 90,000 ids back.
    # They are found by the run's proposals, not by a join: the statements then go
    # over the pairings once, whatever the planner knows of a proposal just written.
    proposed = Pairing.objects.filter(
        pk__in=ProposedPair.objects.filter(run=run).values("pairing_id"),
        status=PairingStatus.PROPOSED,
    )
    bulk.lock_rows(proposed)
    same_student_and_kind = proposed.filter(
        student_id=OuterRef("student_id"), kind=OuterRef("kind")
    )
    # The active pairings they replace are ended first: the database holds one
    # active pairing per student, term and kind at every moment. A term's first
    # approval has none; asking the index of active pairings says so without a
    # join over the proposal, which the planner may not yet know is 90,000 rows.
    active = Pairing.objects.filter(term=run.term, status=PairingStatus.ACTIVE, kind__in=run.kinds)
    if active.exists():
        bulk.update_with_history(
            active.filter(Exists(same_student_and_kind)),
            {
                "status": PairingStatus.ENDED,
                "ended_on": Greatest(Value(today), F("started_on")),
                "end_reason": _("Replaced by match run #%(run)s.") % {"run": run.pk},
            },
            user=by,
        )
    start = min(max(run.term.start_date, today), run.term.end_date)
    bulk.update_with_history(
        proposed, {"status": PairingStatus.ACTIVE, "started_on": start}, user=by
    )
    run.status = MatchRunStatus.APPROVED
    run.approved_by = by
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run
