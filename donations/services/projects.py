"""Aid projects: their rules, standards, quotas and funding, and the money they receive.

A project says who is eligible (level, tier, boarding, gender), how much a
student receives (a yearly standard per tier, level and boarding, of which a
term pays half), how many students each school may aid (quota), each hardship tier's share of
those places (`donations.services.tier_shares`) and how much
money each source allocated for the term; appropriations post that money to
the project's account (资金到位), and one entered wrongly is reversed here.
"""

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError, NotPermitted, ValidationErrors, checked
from core.money import yuan
from donations.guards import answers_award_guard
from donations.models import (
    AidProject,
    Boarding,
    FundAccount,
    FundSource,
    LedgerEntry,
    LedgerKind,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
)
from donations.selectors.scoping import administers_any_school
from donations.services.awards import project_committed_fen
from donations.services.committee_quotas import (
    committee_quotas_problems,
    committee_quotas_replace,
)
from donations.services.ledger import MAX_AMOUNT_FEN, fund_account_of, ledger_post, ledger_reverse
from donations.services.tier_shares import tier_shares_problems, tier_shares_replace
from mentoring.models import District, Gender, School, SchoolLevel, Term, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.schools import administers_district


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


def project_create_check(*, by: User) -> None:
    """Refuse (403) a user who creates no projects, before anything they sent is read.

    Which district's projects is `project_create`'s question.
    """
    if not administers_any_school(by):
        raise NotPermitted(_("Only the district's administrators create aid projects."))


@transaction.atomic
def project_create(
    *,
    by: User,
    district_code: str,
    fields: dict,
    standards: list[dict] | None = None,
    funding: list[dict] | None = None,
    quotas: list[dict] | None = None,
    tier_shares: list[dict] | None = None,
    committee_quotas: list[dict] | None = None,
) -> AidProject:
    """Create a project in a district where `by` administers a school.

    A district elsewhere answers like one that does not exist.
    """
    district = project_district_of(by=by, district_code=district_code)
    if district is None:
        raise DomainError(_("Unknown district."), field="district")
    return project_save(
        by=by,
        district=district,
        fields=fields,
        standards=standards,
        funding=funding,
        quotas=quotas,
        tier_shares=tier_shares,
        committee_quotas=committee_quotas,
    )


def project_district_of(*, by: User, district_code: str) -> District | None:
    """The district of that code where `by` administers a school, or None."""
    return District.objects.filter(
        code=district_code, pk__in=schools_administered_by(by).values("district")
    ).first()


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
    tier_shares: list[dict] | None = None,
    committee_quotas: list[dict] | None = None,
) -> AidProject:
    """Create a project or change one; nested lists given replace what was there.

    The tier shares are checked whole first (every bad one named at once);
    a change of the project's tiers is checked against the shares it keeps.
    """
    _require_district_admin(by, project.district if project else district)
    if tier_shares is None and project is not None and "tiers" in fields:
        kept = list(project.tier_shares.values("tier", "percent", "places"))
        checked(
            tier_shares_problems,
            district=project.district,
            project_tiers=fields["tiers"],
            shares=kept,
        )

    def nested_problems(errors):
        tier_shares_problems(
            errors,
            district=project.district if project else district,
            project_tiers=fields.get("tiers", project.tiers if project else []),
            shares=tier_shares,
        )
        committee_quotas_problems(
            errors, district=project.district if project else district, rows=committee_quotas
        )

    checked(nested_problems)
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
    if tier_shares is not None:
        tier_shares_replace(project, tier_shares)
    if committee_quotas is not None:
        committee_quotas_replace(project, committee_quotas)
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
    funding = checked(
        appropriation_receive_problems,
        by=by,
        project=project,
        term_id=term_id,
        source=source,
        amount_fen=amount_fen,
        lock=True,
    )
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
