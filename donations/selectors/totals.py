"""What money and items add up to: the accounts' sums, the published notice, a donor's outcomes."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.errors import DomainError
from donations.models import FundSource, LedgerKind
from mentoring.models import District

MONEY_IN = Q(entries__kind__in=[LedgerKind.APPROPRIATION, LedgerKind.CONTRIBUTION])
MONEY_OUT = Q(entries__kind=LedgerKind.DISBURSEMENT)
REVERSALS = Q(entries__kind=LedgerKind.REVERSAL)
# Paid (实发, donations.money_words) counts the payments that stand: not reversed
# (`disbursement_reverse`). The report checks the ledger agrees.
PAYMENT_STANDS = Q(reversal__isnull=True)


def public_donation_notice(*, district_code: str) -> dict:
    """What a district publishes about donations: who gave what, and how it was used, in totals.

    Anonymous donors are shown as anonymous; no student is named or counted
    in a way that identifies one. A fixed number of aggregate queries. A code
    left blank or of no district is refused, naming `district`.
    """
    from donations.models import (
        AidProject,
        Contribution,
        ContributionStatus,
        Disbursement,
        Donor,
        ItemDistribution,
        ItemDonation,
    )

    district = District.objects.filter(code=district_code).first() if district_code else None
    if district is None:
        raise DomainError(_("Give the code of a district."), field="district")
    money = {
        row["donor"]: row["total"]
        for row in Contribution.objects.filter(
            donor__district__code=district_code, status=ContributionStatus.POSTED
        )
        .values("donor")
        .annotate(total=Sum("amount_fen"))
    }
    items: dict[int, list] = {}
    for row in (
        ItemDonation.objects.filter(donor__district__code=district_code)
        .values("donor", "item_kind__name", "item_kind__unit")
        .annotate(quantity=Sum("quantity"), value=Sum("value_fen"))
        .order_by("donor", "item_kind__name")
    ):
        items.setdefault(row["donor"], []).append(row)
    donors = Donor.objects.filter(pk__in=set(money) | set(items)).order_by("name")
    used = (
        Disbursement.objects.filter(PAYMENT_STANDS, award__project__district__code=district_code)
        .values("award__project__code", "award__project__name")
        .annotate(paid=Sum("amount_fen"), payments=Count("pk"))
        .order_by("award__project__code")
    )
    given = (
        ItemDistribution.objects.filter(item_kind__district__code=district_code)
        .values("item_kind__name", "item_kind__unit")
        .annotate(quantity=Sum("quantity"))
        .order_by("item_kind__name")
    )
    received = (
        AidProject.objects.filter(district__code=district_code, source=FundSource.SOCIAL)
        .values("code", "name")
        .annotate(
            # Only money posted to the project's account: what it really got.
            received=Coalesce(
                Sum(
                    "contributions__amount_fen",
                    filter=Q(contributions__status=ContributionStatus.POSTED),
                ),
                0,
            )
        )
        .order_by("code")
    )
    return {
        "complaint_line": district.complaint_phone,
        "donors": [
            {
                "donor": None if d.anonymous else d.name,
                "money_fen": money.get(d.pk, 0),
                "items": items.get(d.pk, []),
            }
            for d in donors
        ],
        "projects_received": list(received),
        "paid_out": list(used),
        "items_given": list(given),
    }


def donor_outcomes(donor) -> dict:
    """What a donor's gifts went to: per project and per item kind, in totals.

    Money is pooled in the project's account, so a donor sees what the
    projects it gave to paid out: how many students, how much. A student is
    named only when the guardian consented (`guardian_consents_to_name`; each
    named student's `id` is for the access log, the API does not serve it);
    the others are counted, never named. A fixed number of queries.
    """
    from donations.models import (
        Contribution,
        ContributionStatus,
        Disbursement,
        ItemDistribution,
        ItemDonation,
    )
    from mentoring.models import Student

    given = {
        row["project"]: row
        for row in Contribution.objects.filter(donor=donor, status=ContributionStatus.POSTED)
        .values("project", "project__code", "project__name")
        .annotate(given_fen=Sum("amount_fen"))
    }
    paid = {
        row["award__project"]: row
        for row in Disbursement.objects.filter(PAYMENT_STANDS, award__project__in=given)
        .values("award__project")
        .annotate(paid_fen=Sum("amount_fen"), students=Count("award__student", distinct=True))
    }
    aided = (
        Disbursement.objects.filter(PAYMENT_STANDS, award__project__in=given)
        .values_list("award__project", "award__student")
        .distinct()
    )
    donated = {
        row["item_kind"]: row
        for row in ItemDonation.objects.filter(donor=donor)
        .values("item_kind", "item_kind__name", "item_kind__unit")
        .annotate(quantity=Sum("quantity"), value_fen=Sum("value_fen"))
    }
    handed = {
        row["item_kind"]: row
        for row in ItemDistribution.objects.filter(item_kind__in=donated)
        .values("item_kind")
        .annotate(quantity=Sum("quantity"), students=Count("student", distinct=True))
    }
    receivers = (
        ItemDistribution.objects.filter(item_kind__in=donated)
        .values_list("item_kind", "student")
        .distinct()
    )
    aided, receivers = list(aided), list(receivers)
    consenting = {
        s.pk: {"id": s.pk, "name": s.name, "school": s.school.name}
        for s in Student.objects.filter(
            pk__in={sid for _p, sid in aided} | {sid for _k, sid in receivers},
            guardian_consents_to_name=True,
        ).select_related("school")
    }

    def named(pairs, key):
        return sorted(
            (consenting[sid] for k, sid in pairs if k == key and sid in consenting),
            key=lambda s: (s["school"], s["name"]),
        )

    return {
        "projects": [
            {
                "project": row["project__code"],
                "name": row["project__name"],
                "given_fen": row["given_fen"],
                "project_paid_fen": paid.get(pk, {}).get("paid_fen", 0),
                "students_helped": paid.get(pk, {}).get("students", 0),
                "named_students": named(aided, pk),
            }
            for pk, row in sorted(given.items(), key=lambda kv: kv[1]["project__code"])
        ],
        "items": [
            {
                "item": row["item_kind__name"],
                "unit": row["item_kind__unit"],
                "donated": row["quantity"],
                "value_fen": row["value_fen"],
                "given_out": handed.get(pk, {}).get("quantity", 0),
                "students_given": handed.get(pk, {}).get("students", 0),
                "named_students": named(receivers, pk),
            }
            for pk, row in sorted(donated.items(), key=lambda kv: kv[1]["item_kind__name"])
        ],
    }
