"""The term report's money, read from the database: aid (funding, awards, payments, refusals),
donations, and the ledger's own sums the report is reconciled with.

Each function is one aggregate query (or a few), grouped by school and the
dimensions the report needs; part of `workers.reporting.collect.term_rows`.
"""

import datetime

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, NullIf, TruncDate

from donations.models import (
    AidProject,
    Allocation,
    Award,
    AwardStatus,
    Contribution,
    ContributionStatus,
    Disbursement,
    FundAccount,
    ItemDistribution,
    ItemDonation,
    LedgerEntry,
    LedgerKind,
    Pledge,
    ProjectFunding,
)
from donations.selectors.totals import PAYMENT_STANDS
from mentoring.models import (
    School,
    Term,
)
from mentoring.selectors.school_year import identifications_in_force
from workers.reporting.aggregates import plain_rows, sum_or_zero, whole_days


def received_in(term: Term, prefix: str = "") -> Q:
    """Appropriations that count as the term's received (到位): against the term's
    funding, or naming no funding and posted during the term."""
    return Q(**{f"{prefix}funding__term": term}) | Q(
        **{
            f"{prefix}funding__isnull": True,
            f"{prefix}created_at__date__gte": term.start_date,
            f"{prefix}created_at__date__lte": term.end_date,
        }
    )


def award_categories(awards, award_rows, term) -> list[dict]:
    """`awards` by project, school and the category of the identification in force.

    Read from the identifications' side: each student has at most one in force
    (`identifications_in_force`), so joining it to the awards is one hash join
    where a subquery per award was a lookup per award (0.28 s of a county's
    report). Awards of students with no identification in force, or one without
    a category, are the rest of their project and school's `award_rows`, and
    their students too, since no student counts under two categories.
    """
    identified = plain_rows(
        identifications_in_force(term)
        .filter(student__awards__in=awards)
        .exclude(government_category="")
        .values(
            category=F("government_category"),
            project=F("student__awards__project"),
            school=F("student__school_id"),
        )
        .annotate(
            students=Count("student", distinct=True),
            awards=Count("student__awards"),
            awarded_fen=sum_or_zero("student__awards__amount_fen"),
        )
    )
    rest = {
        (row["project"], row["school"]): {
            "project": row["project"],
            "school": row["school"],
            "category": "",
            **{key: row[key] for key in ("students", "awards", "awarded_fen")},
        }
        for row in award_rows
    }
    for row in identified:
        left = rest[row["project"], row["school"]]
        for key in ("students", "awards", "awarded_fen"):
            left[key] -= row[key]
    return identified + [row for row in rest.values() if row["awards"]]


def aid_rows(term, school_ids, district):
    awards = Award.objects.filter(term=term, student__school__in=school_ids).exclude(
        status=AwardStatus.CANCELLED
    )
    unpaid = Q(status=AwardStatus.AWARDED)
    late = Q(late_since__isnull=False)
    award_rows = plain_rows(
        awards.values("project", school=F("student__school_id")).annotate(
            students=Count("student", distinct=True),
            awards=Count("pk"),
            awarded_fen=sum_or_zero("amount_fen"),
            paid_awards=Count("pk", filter=Q(status=AwardStatus.PAID)),
            unpaid_awards=Count("pk", filter=unpaid),
            unpaid_fen=sum_or_zero("amount_fen", filter=unpaid),
            late=Count("pk", filter=late),
            late_fen=sum_or_zero("amount_fen", filter=late),
        )
    )
    # The bureau's table splits aid by the government list the student is on, if any:
    # the category of the student's identification in force in the term, which may
    # be carried from earlier in the school year.
    categories = award_categories(awards, award_rows, term)
    for row in [*award_rows, *categories]:
        row["amount_fen"] = row.pop("awarded_fen")
    aided = plain_rows(
        awards.values(school=F("student__school_id")).annotate(
            students=Count("student", distinct=True)
        )
    )
    # A payment dated before its award (which the payment service refuses) counts as paid
    # the day it was awarded: never a negative number of days in the average or the longest.
    days = Greatest(
        ExpressionWrapper(
            F("paid_on") - TruncDate("award__created_at"), output_field=DurationField()
        ),
        Value(datetime.timedelta(0), output_field=DurationField()),
        output_field=DurationField(),
    )
    payments = plain_rows(
        Disbursement.objects.filter(award__term=term, award__student__school__in=school_ids)
        .values(school=F("award__student__school_id"), project=F("award__project_id"))
        .annotate(
            # Paid (实发) is net of payments reversed: a reversed payment counts neither way.
            payments=Count("pk", filter=PAYMENT_STANDS),
            paid_fen=sum_or_zero("amount_fen", filter=PAYMENT_STANDS),
            # What the ledger took out for these payments, net of any reversal of them.
            ledger_fen=sum_or_zero("ledger_entry__amount_fen")
            + sum_or_zero("ledger_entry__reversed_by__amount_fen"),
            days_total=Sum(days, filter=PAYMENT_STANDS),
            days_max=Max(days, filter=PAYMENT_STANDS),
        )
    )
    for row in payments:
        row["days_total"], row["days_max"] = (
            whole_days(row["days_total"]),
            whole_days(row["days_max"]),
        )
    projects = plain_rows(
        AidProject.objects.filter(district=district).values(
            "id", "code", "name", "source", "purpose"
        )
    )
    funding = plain_rows(
        ProjectFunding.objects.filter(term=term, project__district=district)
        .values("project", "source")
        .annotate(allocated_fen=sum_or_zero("amount_fen"))
    )
    # Appropriations against the term's funding, and those that name no funding
    # but arrived during the term (by their own source, else the project's).
    received = plain_rows(
        LedgerEntry.objects.filter(
            kind=LedgerKind.APPROPRIATION, account__project__district=district
        )
        .filter(received_in(term))
        .values(
            project=F("account__project_id"),
            funding_source=Coalesce(
                F("funding__source"), NullIf(F("source"), Value("")), F("account__project__source")
            ),
        )
        .annotate(received_fen=sum_or_zero("amount_fen") + sum_or_zero("reversed_by__amount_fen"))
    )
    for row in received:
        row["source"] = row.pop("funding_source")
    # Who was left out, and why: each student's latest entry over the project's
    # allocation runs (a run may cover one school only), unless an award of
    # the project reached them since.
    scope = set(school_ids)
    awarded = set(
        Award.objects.filter(term=term, project__district=district)
        .exclude(status=AwardStatus.CANCELLED)
        .values_list("project", "student")
    )
    latest: dict[tuple, dict] = {}
    for row in (
        Allocation.objects.filter(term=term, project__district=district)
        .order_by("-created_at", "-pk")
        .values("project", "left_out")
    ):
        for entry in row["left_out"] or []:
            key = (row["project"], entry.get("student"))
            if entry.get("school") in scope and key not in awarded:
                latest.setdefault(key, entry)
    left_out = [
        {
            "project": project,
            "school": entry.get("school"),
            "student": entry.get("student"),
            "reason": entry.get("reason", ""),
            "detail": entry.get("detail", ""),
        }
        for (project, _student), entry in sorted(latest.items(), key=lambda kv: kv[0])
    ]
    accounts = plain_rows(
        FundAccount.objects.filter(project__district=district)
        .annotate(ledger_fen=sum_or_zero("entries__amount_fen"))
        .values("balance_fen", "ledger_fen", "project")
    )
    # How many awards each project made in the whole district: a school report
    # tells a project shared with other schools from one that is the school's own.
    project_awards = plain_rows(
        Award.objects.filter(term=term, project__district=district)
        .exclude(status=AwardStatus.CANCELLED)
        .values("project")
        .annotate(awards=Count("pk"))
    )
    return {
        "project_awards": project_awards,
        "awards": award_rows,
        "award_categories": categories,
        "aided": aided,
        "payments": payments,
        "projects": projects,
        "funding": funding,
        "received": received,
        "left_out": left_out,
        "accounts": accounts,
    }


def donation_rows(term, school_ids, district, projects: set[int] | None):
    """The term's donations: money, pledges and items; those of `projects` only, unless None.

    A school's report passes its own projects (`figures_aid.own_projects`):
    money given to a project shared with other schools, or to none of its
    awards, is the district's, and so is a pledge to it or with no project.
    Items are donated into the district's stock, not to a school: a school's
    report counts what was given to its students and none as received; the
    kinds it lists are those given, valued as in the district's report.
    """
    whole_district = projects is None
    in_term = Q(received_on__gte=term.start_date, received_on__lte=term.end_date)
    contributions = Contribution.objects.filter(
        in_term, project__district=district, status=ContributionStatus.POSTED
    )
    pledges = Pledge.objects.filter(
        donor__district=district,
        instalments__due_on__gte=term.start_date,
        instalments__due_on__lte=term.end_date,
    )
    given = ItemDistribution.objects.filter(
        item_kind__district=district,
        student__school__in=school_ids,
        given_on__gte=term.start_date,
        given_on__lte=term.end_date,
    )
    kinds = ItemDonation.objects.filter(item_kind__district=district)
    if not whole_district:
        contributions = contributions.filter(project__in=projects)
        pledges = pledges.filter(project__in=projects)
        kinds = kinds.filter(item_kind__in=given.values("item_kind"))
    donations = plain_rows(
        contributions.values(
            donor_name=F("donor__name"),
            donor_kind=F("donor__kind"),
            anonymous=F("donor__anonymous"),
            project_code=F("project__code"),
        ).annotate(given_fen=sum_or_zero("amount_fen"), contributions=Count("pk"))
    )
    donation_ledger = plain_rows(
        contributions.values("project").annotate(
            given_fen=sum_or_zero("amount_fen"),
            ledger_fen=sum_or_zero("ledger_entry__amount_fen")
            + sum_or_zero("ledger_entry__reversed_by__amount_fen"),
        )
    )
    pledge_rows = plain_rows(pledges.values("status").annotate(n=Count("pk", distinct=True)))
    items_received = plain_rows(
        kinds.values(
            item=F("item_kind_id"), name=F("item_kind__name"), unit=F("item_kind__unit")
        ).annotate(
            all_quantity=sum_or_zero("quantity"),
            all_value_fen=sum_or_zero("value_fen"),
            term_quantity=sum_or_zero("quantity", filter=in_term),
            term_value_fen=sum_or_zero("value_fen", filter=in_term),
        )
    )
    items_given = plain_rows(
        given.values(item=F("item_kind_id")).annotate(given=sum_or_zero("quantity"))
    )
    for row in [*donations, *donation_ledger]:
        row["amount_fen"] = row.pop("given_fen")
    for row in items_received:
        quantity, value_fen = row.pop("term_quantity"), row.pop("term_value_fen")
        row["quantity"], row["value_fen"] = (quantity, value_fen) if whole_district else (0, 0)
    for row in items_given:
        row["quantity"] = row.pop("given")
    return {
        "donations": donations,
        "donation_ledger": donation_ledger,
        "pledges": pledge_rows,
        "items_received": items_received,
        "items_given": items_given,
    }


def ledger_sums(*, term: Term, schools: list[School]) -> dict[str, dict[str, int]]:
    """The ledger's own sums of the term's money per project code, in fen, for reconciliation.

    Read from the ledger's rows by their kind, not through the records the
    report counts, so the two can disagree: `received` is the appropriations
    that count for the term, `paid` the money out for payments of the term's
    awards to `schools`' students, `donated` the contributions received
    during the term; each net of its reversals.

    Six small queries, one per kind and per direct entry or reversal, each
    joining only the rows its condition names. One query with every path
    left-joined (as this was) hashed the whole ledger and each table it
    points to twice: 1.2 s of a county's 4 s report against about 0.2 s.
    """
    school_ids = [school.pk for school in schools]
    in_district = Q(account__project__district=term.district)

    def paid(prefix: str) -> Q:
        return Q(
            **{
                f"{prefix}disbursement__award__term": term,
                f"{prefix}disbursement__award__student__school__in": school_ids,
            }
        )

    def donated(prefix: str) -> Q:
        return Q(
            **{
                f"{prefix}contribution__received_on__gte": term.start_date,
                f"{prefix}contribution__received_on__lte": term.end_date,
            }
        )

    conditions = {
        "received": (LedgerKind.APPROPRIATION, lambda prefix: received_in(term, prefix)),
        # Money out is negative in the ledger; paid is what went out.
        "paid": (LedgerKind.DISBURSEMENT, paid),
        "donated": (LedgerKind.CONTRIBUTION, donated),
    }
    sums: dict[str, dict[str, int]] = {}
    for name, (kind, condition) in conditions.items():
        totals = sums.setdefault(name, {})
        for entries in (
            Q(kind=kind) & condition(""),
            Q(kind=LedgerKind.REVERSAL, reverses__kind=kind) & condition("reverses__"),
        ):
            rows = (
                LedgerEntry.objects.filter(in_district & entries)
                .values(code=F("account__project__code"))
                .annotate(total=Sum("amount_fen"))
                .values_list("code", "total")
            )
            for code, total in rows:
                totals[code] = totals.get(code, 0) + (-total if name == "paid" else total)
        sums[name] = {code: total for code, total in totals.items() if total}
    return sums
