"""The term's matching run: from the database to the pure solver and back.

`match_run_start` records the run and its job; the task calls
`match_run_execute`, which reads everything it needs in a fixed number of
queries, solves each kind with `mentoring.matching`, and writes the proposal:
pairings in status proposed, each with a ProposedPair saying why. An
administrator then adjusts the proposal by hand and approves it.
"""

import dataclasses
import datetime
import json
from collections import Counter, defaultdict

import numpy as np
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, TextField, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from mentoring import bulk
from mentoring.errors import Conflict, DomainError, NotPermitted, ValidationErrors
from mentoring.matching import candidates as rules_and_costs
from mentoring.matching.solver import Arrays, explain, solve_arrays
from mentoring.models import (
    Assessment,
    AssessmentStatus,
    District,
    Mentor,
    Pairing,
    PairingKind,
    PairingStatus,
    School,
    StudentRecord,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.pairing_rules import age_on, loosens_policy
from workers.models import JobKind, MatchRun, MatchRunStatus, ProposedPair
from workers.services import job_create, job_send_on_commit

NOT_IN_HARDSHIP = "not_in_hardship"
WEIGHT_NAMES = {f.name for f in dataclasses.fields(rules_and_costs.Weights)}


# Starting a run ---------------------------------------------------------------------------


def _weights(raw: dict | None) -> rules_and_costs.Weights:
    raw = dict(raw or {})
    unknown = sorted(set(raw) - WEIGHT_NAMES)
    if unknown:
        raise DomainError(
            _("Unknown weights: %(names)s.") % {"names": ", ".join(unknown)}, field="weights"
        )
    for name, value in raw.items():
        values = value if name == "unmatched" else [value]
        if name == "unmatched" and (not isinstance(value, list) or not value):
            raise DomainError(
                _("unmatched takes a list of costs, neediest first."), field="weights"
            )
        if any(
            not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > 100_000 for v in values
        ):
            raise DomainError(
                _("Each weight is a whole number from 0 to 100000 (%(name)s).") % {"name": name},
                field="weights",
            )
    if "unmatched" in raw:
        raw["unmatched"] = tuple(raw["unmatched"])
    if raw.get("max_candidates", 1) < 1:
        raise DomainError(_("max_candidates must be at least 1."), field="weights")
    return rules_and_costs.Weights(**raw)


def _rules(raw: dict | None, *, district: District) -> dict:
    """The run's rules: the district's safeguarding policy, tightened if asked."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - {"same_gender_from_age"})
    if unknown:
        raise DomainError(
            _("Unknown rules: %(names)s.") % {"names": ", ".join(unknown)}, field="rules"
        )
    age = raw.get("same_gender_from_age", district.same_gender_from_age)
    if age is not None and (
        not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 20
    ):
        raise DomainError(
            _("same_gender_from_age is an age from 0 to 20, or null to switch it off."),
            field="rules",
        )
    if loosens_policy(district, age):
        raise DomainError(
            _(
                "A run may tighten the district's safeguarding rule (same-gender mentors "
                "from the age of %(age)d), never loosen it."
            )
            % {"age": district.same_gender_from_age},
            field="rules",
        )
    return {"same_gender_from_age": age}


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
    """Record a run for the term and the schools, and send its task after commit."""
    from workers.tasks import match_run_task

    administered = schools_administered_by(by)
    term = Term.objects.filter(pk=term_id, district__schools__in=administered).distinct().first()
    if term is None:
        raise DomainError(_("Unknown term."), field="term")
    if not kinds or set(kinds) - set(PairingKind.values):
        raise DomainError(_("Choose academic, care or both."), field="kinds")
    in_district = administered.filter(district=term.district)
    if school_ids:
        schools = list(in_district.filter(pk__in=school_ids))
        if len(schools) != len(set(school_ids)):
            raise NotPermitted(
                _("You can only match schools you administer in the term's district."),
                field="schools",
            )
    else:
        schools = list(in_district)
    run_weights = _weights(weights)
    run_rules = _rules(rules, district=term.district)
    job = job_create(
        kind=JobKind.MATCH_RUN,
        started_by=by,
        school=schools[0] if len(schools) == 1 else None,
        parameters={"term": term.code, "schools": sorted(s.code for s in schools)},
    )
    run = MatchRun.objects.create(
        term=term,
        kinds=sorted(set(kinds)),
        weights=dataclasses.asdict(run_weights),
        rules=run_rules,
        job=job,
        created_by=by,
    )
    run.schools.set(schools)
    job.parameters["run"] = run.pk
    job.save(update_fields=["parameters"])
    job_send_on_commit(task=match_run_task, job_id=job.pk)
    return run


# Running it -------------------------------------------------------------------------------


def _previous_term(term: Term) -> Term | None:
    return (
        Term.objects.filter(district=term.district, start_date__lt=term.start_date)
        .order_by("-start_date")
        .first()
    )


def _as_text(name: str):
    """A JSON column as its text, for `_JsonTexts` to parse."""
    return Cast(name, output_field=TextField())


class _JsonTexts:
    """Parse JSON texts, each different text once (a county's 100,000 students have a
    few dozen different lists of weak subjects). Values are shared: sort, never change."""

    def __init__(self):
        self.seen = {}

    def __call__(self, text: str | None):
        if text is None:
            return None
        value = self.seen.get(text)
        if value is None:
            value = self.seen[text] = json.loads(text)
        return value


def load_inputs(run: MatchRun) -> dict:
    """Students, mentors and locked pairs of the run as plain data, in a fixed number of queries."""
    term = run.term
    school_ids = sorted(run.schools.values_list("pk", flat=True))
    tier_rank = {code: rank for rank, code in enumerate(term.district.tier_codes)}
    approved = dict(
        Assessment.objects.filter(
            term=term, status=AssessmentStatus.APPROVED, student__school__in=school_ids
        )
        .exclude(tier=NOT_IN_HARDSHIP)
        .values_list("student_id", "tier")
    )
    previous = _previous_term(term)
    previous_mentor = {}
    if previous is not None:
        for student_id, kind, mentor_id in Pairing.objects.filter(
            term=previous, status__in=[PairingStatus.ACTIVE, PairingStatus.ENDED]
        ).values_list("student_id", "kind", "mentor_id"):
            previous_mentor[(student_id, kind)] = mentor_id
    records = (
        StudentRecord.objects.filter(term=term, student__school__in=school_ids)
        .annotate(weak_text=_as_text("weak_subjects"))
        .values_list(
            "student_id",
            "student__school_id",
            "grade",
            "student__gender",
            "student__birth_date",
            "struggling",
            "weak_text",
        )
    )
    students = {kind: [] for kind in run.kinds}
    parsed = _JsonTexts()
    for sid, school, grade, gender, birth, struggling, weak in records.order_by("student_id"):
        weak = parsed(weak)
        rank = tier_rank.get(approved.get(sid))
        info = {
            "id": sid,
            "school": school,
            "grade": grade,
            "gender": gender,
            "age": age_on(birth, term.start_date),
            "weak_subjects": sorted(weak or []),
            "need_rank": rank,
        }
        if PairingKind.ACADEMIC in students and struggling:
            students[PairingKind.ACADEMIC].append(
                {**info, "previous_mentor": previous_mentor.get((sid, PairingKind.ACADEMIC))}
            )
        if PairingKind.CARE in students and sid in approved and rank is not None:
            students[PairingKind.CARE].append(
                {**info, "previous_mentor": previous_mentor.get((sid, PairingKind.CARE))}
            )
    # Plain values and the two many-to-many tables read whole: model instances
    # and prefetching cost seconds for a county's 20,000 mentors.
    active = Mentor.objects.filter(active=True, schools__in=school_ids).values("pk")
    mentor_schools = defaultdict(list)
    for mentor_id, school_id in Mentor.schools.through.objects.filter(
        mentor__in=active
    ).values_list("mentor_id", "school_id"):
        mentor_schools[mentor_id].append(school_id)
    conflicts = defaultdict(list)
    for mentor_id, student_id in Mentor.conflicts.through.objects.filter(
        mentor__in=active
    ).values_list("mentor_id", "student_id"):
        conflicts[mentor_id].append(student_id)
    mentors = [
        {
            "id": pk,
            "kind": kind,
            "gender": gender,
            "capacity": capacity,
            "minimum": minimum,
            "subjects": sorted(parsed(subjects)),
            "grades": sorted(parsed(grades)),
            "schools": sorted(mentor_schools[pk]),
            "vetted_until": vetted.isoformat() if vetted else None,
            "conflicts": sorted(conflicts[pk]),
        }
        for pk, kind, gender, capacity, minimum, subjects, grades, vetted in Mentor.objects.filter(
            pk__in=active
        )
        .order_by("pk")
        .annotate(subjects_text=_as_text("subjects"), grades_text=_as_text("grades"))
        .values_list(
            "pk",
            "kind",
            "gender",
            "capacity",
            "min_mentees",
            "subjects_text",
            "grades_text",
            "vetted_until",
        )
    ]
    locked = defaultdict(list)
    for student_id, mentor_id, kind in (
        Pairing.objects.filter(
            term=term,
            status=PairingStatus.ACTIVE,
            student__school__in=school_ids,
            kind__in=run.kinds,
        )
        .values_list("student_id", "mentor_id", "kind")
        .order_by("student_id")
    ):
        locked[kind].append([student_id, mentor_id])
    # Every active pairing counts against its mentor's capacity, whatever its kind.
    load = Counter(
        Pairing.objects.filter(term=term, status=PairingStatus.ACTIVE).values_list(
            "mentor_id", flat=True
        )
    )
    vetted_on = max(term.start_date, timezone.localdate())
    return {
        "term": term.code,
        "students": students,
        "mentors": mentors,
        "locked": dict(locked),
        "load": {str(k): v for k, v in load.items()},
        "vetted_on": vetted_on.isoformat(),
    }


def _student_info(s: dict) -> rules_and_costs.StudentInfo:
    return rules_and_costs.StudentInfo(
        id=s["id"],
        school=s["school"],
        grade=s["grade"],
        gender=s["gender"],
        age=s["age"],
        weak_subjects=tuple(s["weak_subjects"]),
        need_rank=s["need_rank"],
        previous_mentor=s["previous_mentor"],
    )


def _mentor_info(m: dict) -> rules_and_costs.MentorInfo:
    vetted = m["vetted_until"]
    return rules_and_costs.MentorInfo(
        id=m["id"],
        kind=m["kind"],
        schools=tuple(m["schools"]),
        gender=m["gender"],
        capacity=m["capacity"],
        minimum=m["minimum"],
        subjects=tuple(m["subjects"]),
        grades=tuple(m["grades"]),
        vetted_until=datetime.date.fromisoformat(vetted) if vetted else None,
        conflicts=frozenset(m["conflicts"]),
    )


def _kinds_in_order(kinds) -> list[str]:
    return [kind for kind in PairingKind.values if kind in kinds]


def solve_inputs(inputs: dict, *, weights: dict, rules: dict, kind: str, taken=None, on_pairs=None):
    """The pure part of a run: candidates and the optimal assignment for one kind.

    A run of both kinds solves them in order (academic, then care), and the
    places a mentor is given in an earlier kind are not offered again, so that
    no mentor is proposed beyond their capacity across kinds. `taken` (mentor
    id → places) passes those places in; left out, it is worked out from
    `inputs`, so that each kind of a stored run can be reproduced on its own.

    `on_pairs(student_ids, mentor_ids, costs, reasons)`, if given, receives the
    new (not locked) pairs as lists, part by part as the solver finds them.
    """
    run_weights = rules_and_costs.Weights(**{**weights, "unmatched": tuple(weights["unmatched"])})
    run_rules = rules_and_costs.Rules(
        same_gender_from_age=rules["same_gender_from_age"],
        vetted_on=datetime.date.fromisoformat(inputs["vetted_on"]),
    )
    if taken is None:
        taken = Counter()
        for earlier in _kinds_in_order(inputs["students"]):
            if earlier == kind:
                break
            result, _reasons, _why = solve_inputs(
                inputs, weights=weights, rules=rules, kind=earlier, taken=Counter(taken)
            )
            taken.update(p.mentor for p in result.pairs if not p.locked)
    students = [_student_info(s) for s in inputs["students"].get(kind, [])]
    mentors = [_mentor_info(m) for m in inputs["mentors"]]
    built = rules_and_costs.build_arrays(
        students, mentors, kind=kind, rules=run_rules, weights=run_weights
    )
    student_pos = {s.id: i for i, s in enumerate(students)}
    mentor_pos = {m.id: j for j, m in enumerate(mentors)}
    standing = [tuple(pair) for pair in inputs["locked"].get(kind, [])]
    # An active pairing stands even when the run would no longer make it (the
    # student is no longer struggling or identified, the mentor has left): such
    # a student stays out of the solve, and the place stays taken through `load`.
    locked = [(s, m) for s, m in standing if s in student_pos and m in mentor_pos]
    paired_students = {s for s, _m in standing}
    locked_students = {s for s, _m in locked}
    locked_load = Counter(m for _s, m in locked)
    # Places already taken by active pairings of the other kind (or of this kind
    # that the solver does not see), and by the earlier kinds of this run.
    other_load = Counter(inputs["load"])
    for _s, m in locked:
        other_load[str(m)] -= 1
    capacity = np.zeros(len(mentors), np.int64)
    for j, m in enumerate(mentors):
        free = m.capacity - max(0, other_load.get(str(m.id), 0)) - locked_load[m.id]
        free -= taken.get(m.id, 0)
        # A mentor whose capacity was lowered below their standing pairings keeps them all.
        capacity[j] = locked_load[m.id] + max(0, free)

    # Students in the solve: those without a standing pairing, and the locked ones.
    kept = [
        i for i, s in enumerate(students) if s.id not in paired_students or s.id in locked_students
    ]
    position = np.full(len(students), -1, np.int64)
    position[kept] = np.arange(len(kept))
    # Students outside the solve lose their candidates; those of locked
    # students are dropped by the solver itself.
    free_candidate = position[built.student] >= 0
    arrays = Arrays(
        unmatched_cost=built.unmatched_cost[kept],
        capacity=capacity,
        minimum=np.minimum(built.minimum, capacity),
        cand_student=position[built.student[free_candidate]],
        cand_mentor=built.mentor[free_candidate],
        cand_cost=built.cost[free_candidate],
        locked_student=np.array([position[student_pos[s]] for s, _m in locked], np.int64),
        locked_mentor=np.array([mentor_pos[m] for _s, m in locked], np.int64),
        load_step=run_weights.load_step,
    )
    kept_students = [students[i] for i in kept]
    reasons = {}
    alike = {}  # shared by the parts: pairs alike share one reasons dict

    def part_solved(student_at, mentor_at, costs):
        pairs = [
            (kept_students[i], mentors[j])
            for i, j in zip(student_at.tolist(), mentor_at.tolist(), strict=True)
        ]
        why = rules_and_costs.reasons_for_pairs(pairs, kind, seen=alike)
        student_ids = [s.id for s, _m in pairs]
        mentor_ids = [m.id for _s, m in pairs]
        reasons.update(zip(zip(student_ids, mentor_ids, strict=True), why, strict=True))
        if on_pairs is not None:
            on_pairs(student_ids, mentor_ids, costs.tolist(), why)

    # Locked pairs stand as they are, even where today's rules would not allow them.
    result = explain(
        arrays,
        solve_arrays(arrays, on_part=part_solved),
        student_ids=[s.id for s in kept_students],
        mentor_ids=[m.id for m in mentors],
    )
    return result, reasons, built.no_candidate_reason


# A run in these states has written its proposal (a later run may have replaced it).
WRITTEN = (MatchRunStatus.PROPOSED, MatchRunStatus.REPLACED)


def match_run_execute(run: MatchRun, progress) -> dict:
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


def _drop_proposals(stale, *, by) -> None:
    """Delete proposed pairings in a few statements, with their "-" history rows.

    Django's delete() would handle 90,000 proposals of a county one object at
    a time (its history signal), over a minute; a proposal has no sessions
    and nothing else that keeps it, which is checked first.
    """
    from mentoring.models import TutoringSession, WeeklyCompliance

    if TutoringSession.objects.filter(pairing__in=stale).exists():
        raise Conflict(_("A proposed pairing has sessions; end it instead of replacing it."))
    bulk.record_history(stale, history_type="-", user=by)
    WeeklyCompliance.objects.filter(pairing__in=stale).delete()
    ProposedPair.objects.filter(pairing__in=stale).delete()
    stale._raw_delete(stale.db)


@transaction.atomic
def _solve_and_write(run: MatchRun, inputs: dict) -> dict:
    """Replace the proposal with a new one, all at once.

    The pairs are written while they are solved: each independent part's pairs
    go to the database as soon as the part is solved, and the database stores
    and checks them while the next parts are solved (see `_ProposalWriter`).
    """
    run = MatchRun.objects.select_for_update().get(pk=run.pk)
    if run.status == MatchRunStatus.APPROVED:
        raise Conflict(_("This run is approved; its proposal can no longer change."))
    if run.status in WRITTEN:
        # Another attempt of the same task wrote it while this one solved.
        return run.summary
    school_ids = list(run.schools.values_list("pk", flat=True))
    # Replace this run's proposal and any other unapproved proposal for the
    # same term, schools and kinds: proposals never pile up.
    stale = Pairing.objects.filter(
        term=run.term,
        status=PairingStatus.PROPOSED,
        kind__in=run.kinds,
        student__school__in=school_ids,
    )
    _drop_proposals(stale, by=run.created_by)
    # Earlier runs whose proposal this one replaces can no longer be approved.
    earlier = MatchRun.objects.filter(
        term=run.term, status=MatchRunStatus.PROPOSED, schools__in=school_ids
    ).exclude(pk=run.pk)
    replaced = [r.pk for r in earlier.distinct() if set(r.kinds) & set(run.kinds)]
    MatchRun.objects.filter(pk__in=replaced).update(status=MatchRunStatus.REPLACED)

    solved = {}
    taken = Counter()
    with _ProposalWriter(run) as writer:
        for kind in _kinds_in_order(run.kinds):
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


def _array(numbers: list[int]) -> str:
    """Whole numbers as a PostgreSQL array literal."""
    return "{" + ",".join(map(str, numbers)) + "}"


class _ProposalWriter:
    """Writes a run's new pairs: pairings in status proposed, their history, their proposals.

    On PostgreSQL each batch of pairs (an independent part of the solve) is one
    statement writing all three tables, sent in pipeline mode: the client does
    not wait for it, so the database inserts and checks the rows (foreign keys
    checked at once, not left for the commit) while the solver works on the
    next part; leaving the `with` waits for the last statement. Elsewhere the
    pairs are collected and written with `bulk.insert` on leaving.
    """

    def __init__(self, run: MatchRun):
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
                        "students": _array(student_ids),
                        "mentors": _array(mentor_ids),
                        "costs": _array(costs),
                        "reason_at": _array([place[id(why)] for why in reasons]),
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


# Reviewing and approving -------------------------------------------------------------------


def runs_visible_to(user: User):
    """Runs whose every school the user administers."""
    if not (user.is_authenticated and user.is_active):
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


def _pair_problems(
    errors: ValidationErrors,
    run: MatchRun,
    *,
    student_id: int | None,
    mentor_id: int | None,
    kind: str | None,
    ignore=None,
) -> None:
    """The run's rules, checked again for a pair added or changed by hand, into `errors`.

    An input given as None is not checked (refused already); the student is
    looked for among the run's students of `kind`.
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
        return
    if s is not None:
        broken = rules_and_costs.exclusion(
            _student_info(s),
            _mentor_info(m),
            kind,
            rules_and_costs.Rules(
                same_gender_from_age=run.rules.get("same_gender_from_age"),
                vetted_on=datetime.date.fromisoformat(inputs["vetted_on"]),
            ),
        )
        if broken:
            errors.add(
                "mentor",
                _("This pair breaks a rule: %(rule)s.") % {"rule": broken},
                extra={"rule": broken},
            )
            return
    taken = Pairing.objects.filter(
        term=run.term,
        mentor_id=mentor_id,
        status__in=[PairingStatus.ACTIVE, PairingStatus.PROPOSED],
    )
    if ignore is not None:
        taken = taken.exclude(pk=ignore)
    if taken.count() >= m["capacity"]:
        errors.add("mentor", _("This mentor has no place left."))


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
    errors = ValidationErrors()
    _pair_problems(
        errors,
        run,
        student_id=pairing.student_id,
        mentor_id=mentor_id,
        kind=pairing.kind,
        ignore=pairing.pk,
    )
    errors.raise_if_any()
    pairing.mentor_id = mentor_id
    pairing.save(update_fields=["mentor"])
    proposal.by_hand = True
    proposal.reasons = {**proposal.reasons, "changed_by": by.username}
    proposal.save(update_fields=["by_hand", "reasons"])
    return proposal


@transaction.atomic
def match_run_pair_remove(*, run: MatchRun, by: User, proposal: ProposedPair) -> None:
    _editable(run)
    proposal.pairing.delete()


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
    # Set-based, so that a county's 100,000 pairings are two UPDATEs and their
    # history two INSERTs, not a save() each.
    proposed = Pairing.objects.filter(proposal__run=run, status=PairingStatus.PROPOSED)
    list(proposed.select_for_update().values_list("pk", flat=True))
    same_student_and_kind = proposed.filter(
        student_id=OuterRef("student_id"), kind=OuterRef("kind")
    )
    ending = Pairing.objects.filter(term=run.term, status=PairingStatus.ACTIVE).filter(
        Exists(same_student_and_kind)
    )
    ending_ids = list(ending.values_list("pk", flat=True))
    ending.update(
        status=PairingStatus.ENDED,
        ended_on=Greatest(Value(today), F("started_on")),
        end_reason=_("Replaced by match run #%(run)s.") % {"run": run.pk},
    )
    bulk.record_history(Pairing.objects.filter(pk__in=ending_ids), history_type="~", user=by)
    start = min(max(run.term.start_date, today), run.term.end_date)
    activated = Pairing.objects.filter(proposal__run=run, status=PairingStatus.PROPOSED)
    activated.update(status=PairingStatus.ACTIVE, started_on=start)
    bulk.record_history(
        Pairing.objects.filter(proposal__run=run, status=PairingStatus.ACTIVE),
        history_type="~",
        user=by,
    )
    run.status = MatchRunStatus.APPROVED
    run.approved_by = by
    run.approved_at = timezone.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    return run
