"""Aid projects: their rules, the money allocated and received, and allocation by rank of need.

A project says who is eligible (level, tier, boarding, gender), how much a
student receives (a yearly standard per tier, level and boarding, of which a
term pays half), how many students each school may aid (quota) and how much
money each source allocated for the term. `allocate` awards the project to
approved students by rank of need until the quota or the money runs out and
lists, with the reason, every eligible student it left out.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

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
    FundSource,
    LedgerEntry,
    LedgerKind,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
    term_amount_fen,
)
from donations.services import (
    MAX_AMOUNT_FEN,
    award_plan_rows,
    fund_account_of,
    ledger_post,
    ledger_reverse,
    project_committed_fen,
    yuan,
)
from mentoring.errors import Conflict, DomainError, NotPermitted, ValidationErrors
from mentoring.models import (
    AssessmentStatus,
    District,
    Gender,
    Notification,
    NotificationKind,
    Role,
    School,
    SchoolLevel,
    Term,
    User,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.identification import NOT_IN_HARDSHIP
from mentoring.services.notifications import both_languages, notifications_send_pending
from mentoring.services.schools import administers_district

# Why an eligible student got nothing.
QUOTA_FULL = "quota_full"
NO_QUOTA = "no_quota"
FUNDS_EXHAUSTED = "funds_exhausted"
DUPLICATE_AID = "duplicate_aid"
NO_STANDARD = "no_standard"


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


# -- projects ------------------------------------------------------------------------------


def _require_district_admin(by: User, district: District) -> None:
    if not administers_district(by, district):
        raise NotPermitted(
            _("Only the district's administrators may change its aid projects."), field="district"
        )


def _validate_rules(*, district: District, levels, tiers, boarding, gender) -> None:
    unknown = [level for level in levels if level not in SchoolLevel.values]
    if unknown:
        raise DomainError(
            _("Unknown level: %(value)s.") % {"value": ", ".join(unknown)}, field="levels"
        )
    known_tiers = [t["code"] for t in district.tiers]
    unknown = [tier for tier in tiers if tier not in known_tiers]
    if unknown:
        raise DomainError(
            _("Unknown tier: %(value)s. The district's tiers are %(tiers)s.")
            % {"value": ", ".join(unknown), "tiers": ", ".join(known_tiers)},
            field="tiers",
        )
    if boarding not in Boarding.values:
        raise DomainError(_("Unknown boarding rule."), field="boarding")
    if gender and gender not in Gender.values:
        raise DomainError(_("Unknown gender."), field="gender")


def _replace_standards(project: AidProject, standards: list[dict]) -> None:
    known_tiers = [t["code"] for t in project.district.tiers]
    seen = set()
    rows = []
    for i, row in enumerate(standards):
        tier, level = row.get("tier", ""), row.get("level", "")
        boarding = row.get("boarding", Boarding.ANY)
        if tier and tier not in known_tiers:
            raise DomainError(
                _("Unknown tier in standard %(n)s.") % {"n": i + 1}, field="standards"
            )
        if level and level not in SchoolLevel.values:
            raise DomainError(
                _("Unknown level in standard %(n)s.") % {"n": i + 1}, field="standards"
            )
        if boarding not in Boarding.values:
            raise DomainError(
                _("Unknown boarding rule in standard %(n)s.") % {"n": i + 1}, field="standards"
            )
        if not 0 < row["yearly_fen"] <= MAX_AMOUNT_FEN:
            raise DomainError(
                _("The yearly standard must be more than zero (standard %(n)s).") % {"n": i + 1},
                field="standards",
            )
        if (tier, level, boarding) in seen:
            raise DomainError(
                _("Standard %(n)s repeats a tier, level and boarding already given.")
                % {"n": i + 1},
                field="standards",
            )
        seen.add((tier, level, boarding))
        rows.append(
            ProjectStandard(
                project=project,
                tier=tier,
                level=level,
                boarding=boarding,
                yearly_fen=row["yearly_fen"],
            )
        )
    project.standards.all().delete()
    ProjectStandard.objects.bulk_create(rows)


def _replace_funding(project: AidProject, funding: list[dict]) -> None:
    terms = {t.pk: t for t in Term.objects.filter(district=project.district)}
    seen = set()
    keep = []
    for i, row in enumerate(funding):
        term = terms.get(row["term"])
        if term is None:
            raise DomainError(
                _("Unknown term in the project's district (funding %(n)s).") % {"n": i + 1},
                field="funding",
            )
        if row["source"] not in FundSource.values:
            raise DomainError(_("Unknown source (funding %(n)s).") % {"n": i + 1}, field="funding")
        if not 0 < row["amount_fen"] <= MAX_AMOUNT_FEN:
            raise DomainError(
                _("The amount must be more than zero (funding %(n)s).") % {"n": i + 1},
                field="funding",
            )
        key = (term.pk, row["source"])
        if key in seen:
            raise DomainError(
                _("Funding %(n)s repeats a term and source already given.") % {"n": i + 1},
                field="funding",
            )
        seen.add(key)
        received = _received_fen(project, term_id=term.pk, source=row["source"])
        if row["amount_fen"] < received:
            raise DomainError(
                _("%(received)s of this funding was already received; it cannot be less.")
                % {"received": yuan(received)},
                field="funding",
            )
        obj, _created = ProjectFunding.objects.update_or_create(
            project=project,
            term=term,
            source=row["source"],
            defaults={"amount_fen": row["amount_fen"]},
        )
        keep.append(obj.pk)
    stale = project.funding.exclude(pk__in=keep)
    if LedgerEntry.objects.filter(funding__in=stale).exists():
        raise DomainError(
            _("Money was already received against a funding that is left out."), field="funding"
        )
    stale.delete()


def _replace_quotas(project: AidProject, quotas: list[dict]) -> None:
    terms = set(Term.objects.filter(district=project.district).values_list("pk", flat=True))
    schools = set(School.objects.filter(district=project.district).values_list("pk", flat=True))
    seen = set()
    rows = []
    for i, row in enumerate(quotas):
        if row["term"] not in terms:
            raise DomainError(
                _("Unknown term in the project's district (quota %(n)s).") % {"n": i + 1},
                field="quotas",
            )
        if row["school"] not in schools:
            raise DomainError(
                _("Unknown school in the project's district (quota %(n)s).") % {"n": i + 1},
                field="quotas",
            )
        key = (row["term"], row["school"])
        if key in seen:
            raise DomainError(
                _("Quota %(n)s repeats a term and school already given.") % {"n": i + 1},
                field="quotas",
            )
        seen.add(key)
        rows.append(
            ProjectQuota(
                project=project, term_id=row["term"], school_id=row["school"], places=row["places"]
            )
        )
    project.quotas.all().delete()
    ProjectQuota.objects.bulk_create(rows)


@transaction.atomic
def project_save(
    *,
    by: User,
    district: District,
    project: AidProject | None = None,
    fields: dict,
    standards: list[dict] | None = None,
    funding: list[dict] | None = None,
    quotas: list[dict] | None = None,
) -> AidProject:
    """Create a project or change one; nested lists given replace what was there."""
    _require_district_admin(by, project.district if project else district)
    if project is None:
        if AidProject.objects.filter(district=district, code=fields.get("code")).exists():
            raise DomainError(_("The district already has a project with this code."), field="code")
        project = AidProject(district=district)
    elif "code" in fields and fields["code"] != project.code:
        raise DomainError(_("A project's code cannot be changed."), field="code")
    for name, value in fields.items():
        setattr(project, name, value)
    if project.source not in FundSource.values:
        raise DomainError(_("Unknown source."), field="source")
    _validate_rules(
        district=project.district,
        levels=project.levels,
        tiers=project.tiers,
        boarding=project.boarding,
        gender=project.gender,
    )
    project.save()
    fund_account_of(project)
    if standards is not None:
        _replace_standards(project, standards)
    if funding is not None:
        _replace_funding(project, funding)
    if quotas is not None:
        _replace_quotas(project, quotas)
    return project


def _received_fen(project: AidProject, *, term_id: int, source: str) -> int:
    return (
        LedgerEntry.objects.filter(
            funding__project=project, funding__term_id=term_id, funding__source=source
        ).aggregate(s=Sum("amount_fen"))["s"]
        or 0
    )


def appropriation_receive_problems(
    errors: ValidationErrors,
    *,
    by: User,
    project: AidProject,
    term_id: int | None,
    source: str | None,
    amount_fen: int | None,
    lock: bool = False,
) -> ProjectFunding | None:
    """Add to `errors` everything wrong with receiving this money; answers the funding.

    Every field is checked, so one answer names them all; an input given as
    None is not checked (left out, or refused already). Only a district
    administrator may (403 otherwise). `lock` locks the funding's row, as
    `appropriation_receive` does inside its transaction.
    """
    _require_district_admin(by, project.district)
    term_known = False
    if term_id is not None:
        term_known = Term.objects.filter(pk=term_id, district=project.district_id).exists()
        if not term_known:
            errors.add("term", _("Unknown term in the project's district."))
    funding = None
    if term_known and source is not None:
        fundings = ProjectFunding.objects.filter(project=project, term_id=term_id, source=source)
        funding = (fundings.select_for_update() if lock else fundings).first()
        if funding is None:
            errors.add("source", _("The project has no funding from this source for this term."))
    if amount_fen is not None:
        if not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_AMOUNT_FEN:
            errors.add("amount", _("The amount must be more than zero."))
        elif funding is not None:
            received = _received_fen(project, term_id=term_id, source=source)
            if received + amount_fen > funding.amount_fen:
                errors.add(
                    "amount",
                    _("Only %(left)s of the %(allocated)s allocated is still to be received.")
                    % {
                        "left": yuan(funding.amount_fen - received),
                        "allocated": yuan(funding.amount_fen),
                    },
                )
    return funding


@transaction.atomic
def appropriation_receive(
    *, by: User, project: AidProject, term_id: int, source: str, amount_fen: int, memo: str = ""
) -> LedgerEntry:
    """Money allocated by a source arrives in the project's account (资金到位).

    It is posted against the term's funding from that source, and never more
    than was allocated. Every field is checked before anything is written;
    all that is wrong is refused in one `FieldErrors`.
    """
    errors = ValidationErrors()
    funding = appropriation_receive_problems(
        errors,
        by=by,
        project=project,
        term_id=term_id,
        source=source,
        amount_fen=amount_fen,
        lock=True,
    )
    errors.raise_if_any()
    return ledger_post(
        account_id=fund_account_of(project).pk,
        kind=LedgerKind.APPROPRIATION,
        amount_fen=amount_fen,
        by=by,
        memo=memo or _("Funding received: %(source)s") % {"source": funding.get_source_display()},
        source=source,
        funding=funding,
    )


@answers_award_guard(field="entry")
@transaction.atomic
def appropriation_reverse(*, by: User, entry_id: int, memo: str) -> LedgerEntry:
    """Correct an appropriation entered wrongly by a new, opposite entry; the entry stays.

    Only the district's administrators, and only appropriations: payments and
    contributions are corrected through their own records, never by
    reversing the ledger alone.
    """
    entry = (
        LedgerEntry.objects.select_related("account__project__district").filter(pk=entry_id).first()
    )
    if entry is None:
        raise DomainError(_("Unknown entry."), field="entry")
    _require_district_admin(by, entry.account.project.district)
    if entry.kind != LedgerKind.APPROPRIATION:
        raise DomainError(_("Only an appropriation can be reversed here."), field="entry")
    # Money already promised to unpaid awards stays: taking it back would
    # leave awards that the account cannot pay (awarded above received).
    account = FundAccount.objects.select_for_update().get(pk=entry.account_id)
    committed = project_committed_fen(entry.account.project)
    if account.balance_fen - entry.amount_fen < committed:
        raise Conflict(
            _(
                "%(committed)s of the account is promised to unpaid awards; "
                "reversing %(amount)s would leave too little to pay them."
            )
            % {"committed": yuan(committed), "amount": yuan(entry.amount_fen)},
            field="entry",
        )
    return ledger_reverse(entry_id=entry.pk, by=by, memo=memo)


# -- allocation ----------------------------------------------------------------------------


def _rank_key(tier_order: dict[str, int]):
    def key(row: dict):
        return (tier_order.get(row["tier"], len(tier_order)), -row["need_score"], row["student"])

    return key


def _candidates(project: AidProject, term: Term, schools: list[int]) -> list[dict]:
    """Approved students of the schools who meet the project's rules, with what ranks them.

    Two queries: the term's approved assessments, and the same students' records
    of the term (level, boarding), joined here.
    """
    from mentoring.models import Assessment, StudentRecord

    assessments = Assessment.objects.filter(
        term=term, status=AssessmentStatus.APPROVED, student__school__in=schools
    ).exclude(tier__in=["", NOT_IN_HARDSHIP])
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
    """
    errors = ValidationErrors()
    term, schools = allocate_problems(
        errors,
        by=by,
        project=project,
        term_id=term.pk if term is not None else term_id,
        school_ids=school_ids,
    )
    errors.raise_if_any()
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
    candidates = _candidates(project, term, schools)
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
    tier_order = {t["code"]: i for i, t in enumerate(project.district.tiers)}
    candidates.sort(key=_rank_key(tier_order))

    awards, left_out, refusals = [], [], []
    funds_out = False
    for rank, row in enumerate(candidates, start=1):
        if row["student"] in already:
            continue
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
                    via="allocation",
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


# -- late awards ---------------------------------------------------------------------------


def awards_flag_late(*, today) -> int:
    """The daily check: awards unpaid past their project's limit are flagged, once.

    The administrators of the student's school are notified once per award.
    Returns how many awards were newly flagged.
    """
    from mentoring.models import Membership

    unpaid = Award.objects.filter(status=AwardStatus.AWARDED, late_since__isnull=True)
    # Late when made before the local midnight `late_after_days` days before
    # today: one cutoff per limit in use (projects share a few), read in SQL.
    limits = set(unpaid.values_list("project__late_after_days", flat=True).distinct())
    if not limits:
        return 0
    overdue = Q()
    for days in limits:
        day = today - datetime.timedelta(days=days)
        midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        overdue |= Q(project__late_after_days=days, created_at__lt=midnight)
    late = list(unpaid.filter(overdue).select_related("project", "student__school"))
    if not late:
        return 0
    Award.objects.filter(pk__in=[a.pk for a in late], late_since__isnull=True).update(
        late_since=today
    )
    admins: dict[int, list[int]] = {}
    for school_id, user_id in Membership.objects.filter(
        school__in={a.student.school_id for a in late}, role=Role.ADMINISTRATOR
    ).values_list("school", "user"):
        admins.setdefault(school_id, []).append(user_id)

    def text(award):
        def render():
            subject = _("Award #%(award)s is not paid") % {"award": award.pk}
            body = _(
                "Award #%(award)s of %(project)s (%(amount)s yuan) was made on %(date)s and is "
                "still unpaid after %(days)s days."
            ) % {
                "award": award.pk,
                "project": award.project.code,
                "amount": yuan(award.amount_fen),
                "date": timezone.localdate(award.created_at).isoformat(),
                "days": award.project.late_after_days,
            }
            return subject, body

        return both_languages(render)

    notes = []
    for award in late:
        subject, body = text(award)
        notes += [
            Notification(
                recipient_id=user_id,
                kind=NotificationKind.LATE_AWARD,
                key=f"late_award:{award.pk}",
                school_id=award.student.school_id,
                subject=subject,
                body=body,
                data={"award": award.pk},
            )
            for user_id in admins.get(award.student.school_id, [])
        ]
    # Unique per recipient and key: a second run stores and mails nothing again.
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    transaction.on_commit(lambda: notifications_send_pending(kinds=[NotificationKind.LATE_AWARD]))
    return len(late)
