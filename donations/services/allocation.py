"""Allocation: a project awarded for a term to approved students by rank of need.

`allocate` awards until the quota or the money runs out, gives each hardship
tier no more than the project's share of places (`donations.services.tier_shares`),
gives each village committee no more than its quota where the project uses
committees (`donations.services.committee_quotas`), and lists, with the
reason, every eligible student it left out. A student's tier is the one of
their identification in force in the term (the term's own, or one carried
from earlier in the school year: `mentoring.selectors.school_year`), never a
default.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, NotPermitted, ValidationErrors, checked
from core.money import yuan
from donations.guards import answers_award_guard, refused_by_award_guard
from donations.models import (
    AidProject,
    AidRefusal,
    Allocation,
    Award,
    AwardInstalment,
    AwardStatus,
    Boarding,
    FundAccount,
    ProjectQuota,
    RefusalVia,
    term_amount_fen,
)
from donations.selectors.scoping import administers_any_school
from donations.services.awards import award_plan_rows, project_committed_fen
from donations.services.committee_quotas import committee_caps_of
from donations.services.ledger import fund_account_of
from donations.services.tier_shares import tier_caps_of
from mentoring.models import School, Term, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.school_year import hardship_identifications, identifications_in_force

# Why an eligible student got nothing.
QUOTA_FULL = "quota_full"
NO_QUOTA = "no_quota"
FUNDS_EXHAUSTED = "funds_exhausted"
DUPLICATE_AID = "duplicate_aid"
NO_STANDARD = "no_standard"
# The project's share of places for the student's tier is taken, or the
# project shares its places by tier and gives this tier none.
TIER_SHARE_FULL = "tier_share_full"
NO_TIER_SHARE = "no_tier_share"


@dataclass(frozen=True)
class StandardRow:
    tier: str
    level: str
    boarding: str
    yearly_fen: int


def standard_for(
    standards: list[StandardRow], *, tier: str, level: str, boarding: bool
) -> StandardRow | None:
    """The most specific standard matching the student, or None.

    A blank tier or level and boarding "any" match everyone; a standard that
    names more of the three wins over one that names fewer.
    """
    wanted = Boarding.BOARDING if boarding else Boarding.NON_BOARDING
    best, best_score = None, -1
    for row in standards:
        if row.tier and row.tier != tier:
            continue
        if row.level and row.level != level:
            continue
        if row.boarding != Boarding.ANY and row.boarding != wanted:
            continue
        score = bool(row.tier) + bool(row.level) + (row.boarding != Boarding.ANY)
        if score > best_score:
            best, best_score = row, score
    return best


def _rank_key(tier_order: dict[str, int]):
    def key(row: dict):
        return (tier_order.get(row["tier"], len(tier_order)), -row["need_score"], row["student"])

    return key


def _candidates(project: AidProject, term: Term, schools: list[int]) -> list[dict]:
    """Approved students of the schools who meet the project's rules, with what ranks them.

    Two queries: the identifications in force in the term, and the same
    students' records of the term (level, boarding), joined here. A student
    carried from the autumn without a record of this term has left: no award.
    """
    from mentoring.models import StudentRecord

    assessments = hardship_identifications(term).filter(student__school__in=schools)
    if project.tiers:
        assessments = assessments.filter(tier__in=project.tiers)
    if project.gender:
        assessments = assessments.filter(student__gender=project.gender)
    rows = list(
        assessments.values("student", "student__school", "student__id_hash", "tier", "need_score")
    )
    records = {
        r["student"]: r
        for r in StudentRecord.objects.filter(
            term=term, student__in=[row["student"] for row in rows]
        ).values("student", "level", "boarding")
    }
    wanted_boarding = {Boarding.BOARDING: True, Boarding.NON_BOARDING: False}.get(project.boarding)
    out = []
    for row in rows:
        record = records.get(row["student"])
        if record is None:  # not enrolled this term
            continue
        if project.levels and record["level"] not in project.levels:
            continue
        if wanted_boarding is not None and record["boarding"] != wanted_boarding:
            continue
        out.append(
            {
                "student": row["student"],
                "school": row["student__school"],
                "id_hash": row["student__id_hash"],
                "tier": row["tier"],
                "need_score": row["need_score"],
                "level": record["level"],
                "boarding": record["boarding"],
            }
        )
    return out


def allocate_problems(
    errors: ValidationErrors,
    *,
    by: User,
    project: AidProject,
    term_id: int | None,
    school_ids: list[int] | None,
) -> tuple[Term | None, list[int]]:
    """Add to `errors` everything wrong with allocating so; answers the term and the school ids.

    No schools named (or None) means every school `by` administers in the
    project's district; then a user who administers none there is refused
    outright (403). A term given as None is not checked (refused already).
    """
    term = None
    if term_id is not None:
        term = Term.objects.filter(pk=term_id, district=project.district_id).first()
        if term is None:
            errors.add("term", _("Unknown term in the project's district."))
        elif (
            project.tier_shares.filter(percent__isnull=False).exists()
            and not ProjectQuota.objects.filter(project=project, term=term).exists()
        ):
            # A percent share is a share of the schools' places: without
            # quotas there is nothing to take a share of.
            errors.add(
                "term",
                _(
                    "The project shares its places by tier in percent of the schools' quotas; "
                    "give the schools' quotas for this term first."
                ),
            )
    administered = set(
        schools_administered_by(by)
        .filter(district=project.district_id)
        .values_list("pk", flat=True)
    )
    if not school_ids:
        if not administered:
            raise NotPermitted(_("You administer no school in the project's district."))
        return term, sorted(administered)
    unknown = set(school_ids) - administered
    if unknown:
        errors.add("schools", _("You do not administer school %(id)s.") % {"id": min(unknown)})
    return term, sorted(set(school_ids) & administered)


@answers_award_guard(field="project")
@transaction.atomic
def allocate(
    *,
    by: User,
    project: AidProject,
    term: Term | None = None,
    term_id: int | None = None,
    school_ids: list[int] | None = None,
) -> Allocation:
    """Award the project for the term by rank of need, until quota or money runs out.

    Students already awarded by this project this term keep their award (and
    their place in the quota), so running it again awards only what is new.
    The project's account is locked, so two allocations of one project queue.
    The term is given as a row or by id; every input is checked before
    anything is written, and all that is wrong is refused in one `FieldErrors`.
    Only administrators allocate (403 before anything is read).
    """
    if not administers_any_school(by):
        raise NotPermitted(_("Only administrators allocate aid."))
    term, schools = checked(
        allocate_problems,
        by=by,
        project=project,
        term_id=term.pk if term is not None else term_id,
        school_ids=school_ids,
    )
    account = FundAccount.objects.select_for_update().get(pk=fund_account_of(project).pk)

    standards = [
        StandardRow(s.tier, s.level, s.boarding, s.yearly_fen) for s in project.standards.all()
    ]
    quotas = {
        q.school_id: q.places for q in ProjectQuota.objects.filter(project=project, term=term)
    }
    existing = Award.objects.filter(project=project, term=term).exclude(
        status=AwardStatus.CANCELLED
    )
    already = set(existing.values_list("student_id", flat=True))
    # The same child may be on two schools' rolls: this project's own awards
    # count as duplicates by the ID hash too, not only by the student row.
    own_by_hash = {a.student_id_hash: a for a in existing.select_related("project")}
    used: dict[int, int] = {}
    for school_id in existing.values_list("student__school", flat=True):
        used[school_id] = used.get(school_id, 0) + 1
    # The places each tier already holds: the tier is the one the student's
    # identification in force in the term gives, as for a new candidate.
    caps = tier_caps_of(
        project,
        quotas=quotas,
        awarded=list(
            identifications_in_force(term)
            .filter(student__in=existing.values("student"))
            .values_list("student__school", "tier")
        ),
    )
    # The rank of need is the district's: every eligible student of the
    # project's district, in one stable order (tier, need, then the student's
    # id for ties), so a student's rank does not depend on which schools a run
    # covers or on who ran it. The run then awards its own schools' students.
    district_schools = list(
        School.objects.filter(district=project.district_id).values_list("pk", flat=True)
    )
    tier_order = {t["code"]: i for i, t in enumerate(project.district.tiers)}
    ranked = sorted(_candidates(project, term, district_schools), key=_rank_key(tier_order))
    rank_of = {row["student"]: rank for rank, row in enumerate(ranked, start=1)}
    in_run = set(schools)
    candidates = [row for row in ranked if row["school"] in in_run]
    committees = committee_caps_of(
        project, term=term, awarded=already, candidates=[c["student"] for c in candidates]
    )
    # Other awards of the same purpose this term, anywhere: duplicate aid.
    others = {
        a.student_id_hash: a
        for a in Award.objects.filter(
            purpose=project.purpose,
            term_code=term.code,
            student_id_hash__in=[c["id_hash"] for c in candidates],
        )
        .exclude(status=AwardStatus.CANCELLED)
        .exclude(project=project)
        .select_related("project", "student__school")
    }
    available = account.balance_fen - project_committed_fen(project)

    awards, left_out, refusals = [], [], []
    funds_out = False
    for row in candidates:
        if row["student"] in already:
            continue
        rank = rank_of[row["student"]]
        out = {
            "student": row["student"],
            "school": row["school"],
            "tier": row["tier"],
            "rank": rank,
        }
        other = others.get(row["id_hash"]) or own_by_hash.get(row["id_hash"])
        if other is not None:
            left_out.append(
                out
                | {
                    "reason": DUPLICATE_AID,
                    "detail": (
                        _("Already aided for this purpose: award #%(award)s of %(project)s.")
                        % {"award": other.pk, "project": other.project.code}
                        if other.pk
                        else _("The same child, on another school's roll, is aided in this run.")
                    ),
                }
            )
            refusals.append(
                AidRefusal(
                    project=project,
                    term=term,
                    student_id=row["student"],
                    other_award=other,
                    via=RefusalVia.ALLOCATION,
                    by=by,
                )
            )
            continue
        standard = standard_for(
            standards, tier=row["tier"], level=row["level"], boarding=row["boarding"]
        )
        if standard is None:
            left_out.append(
                out
                | {
                    "reason": NO_STANDARD,
                    "detail": _("No standard of the project fits this tier, level and boarding."),
                }
            )
            continue
        if quotas and row["school"] not in quotas:
            left_out.append(
                out
                | {
                    "reason": NO_QUOTA,
                    "detail": _("The project gives the school no places this term."),
                }
            )
            continue
        refused = caps.refusal(tier=row["tier"], school=row["school"])
        if refused is not None:
            reason, detail = refused
            left_out.append(out | {"reason": reason, "detail": detail})
            continue
        if quotas and used.get(row["school"], 0) >= quotas[row["school"]]:
            left_out.append(
                out
                | {
                    "reason": QUOTA_FULL,
                    "detail": _("The school's quota of %(places)s is used up.")
                    % {"places": quotas[row["school"]]},
                }
            )
            continue
        refused = committees.refusal(student=row["student"])
        if refused is not None:
            reason, detail = refused
            left_out.append(out | {"reason": reason, "detail": detail})
            continue
        amount = term_amount_fen(standard.yearly_fen)
        if funds_out or amount > available:
            # Ranking follows need: once a student cannot be funded, nobody
            # below them is funded ahead of them.
            funds_out = True
            left_out.append(
                out
                | {
                    "reason": FUNDS_EXHAUSTED,
                    "detail": _("The project's account has %(left)s left, %(amount)s needed.")
                    % {"left": yuan(max(available, 0)), "amount": yuan(amount)},
                }
            )
            continue
        available -= amount
        used[row["school"]] = used.get(row["school"], 0) + 1
        caps.take(tier=row["tier"], school=row["school"])
        committees.take(student=row["student"])
        award = Award(
            project=project,
            student_id=row["student"],
            term=term,
            amount_fen=amount,
            purpose=project.purpose,
            term_code=term.code,
            student_id_hash=row["id_hash"],
            reason=_("Allocated by rank of need: %(rank)s.") % {"rank": rank},
            created_by=by,
        )
        awards.append(award)
        own_by_hash[row["id_hash"]] = award
    allocation = Allocation.objects.create(
        project=project,
        term=term,
        awarded=len(awards),
        amount_fen=sum(a.amount_fen for a in awards),
        left_out=left_out,
        created_by=by,
    )
    for award in awards:
        award.allocation = allocation
    try:
        with transaction.atomic():
            bulk_create_with_history(awards, Award, batch_size=500, default_user=by)
    except IntegrityError as error:
        if refused_by_award_guard(error):
            raise
        raise Conflict(
            _("Another award for one of these students was made at the same time; run it again."),
            field="project",
        ) from None
    # An allocated award is paid in one instalment; re-read for the new ids.
    AwardInstalment.objects.bulk_create(
        [
            row
            for award in Award.objects.filter(allocation=allocation)
            for row in award_plan_rows(award)
        ],
        batch_size=500,
    )
    AidRefusal.objects.bulk_create(refusals)
    return allocation
