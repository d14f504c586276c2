from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from donations.models import FundAccount, FundSource, LedgerEntry, LedgerKind
from mentoring.models import Role, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.services.schools import administers_district

MONEY_IN = Q(entries__kind__in=[LedgerKind.APPROPRIATION, LedgerKind.CONTRIBUTION])
MONEY_OUT = Q(entries__kind=LedgerKind.DISBURSEMENT)
REVERSALS = Q(entries__kind=LedgerKind.REVERSAL)
# Paid (实发, donations.money_words) counts the payments that stand: not reversed
# (`disbursement_reverse`). The report checks the ledger agrees.
PAYMENT_STANDS = Q(reversal__isnull=True)


def _districts_where(user: User, roles: set[str]):
    """Districts in which the user holds one of `roles` in some school."""
    from mentoring.models import District

    if user.is_superuser:
        return District.objects.all()
    return District.objects.filter(
        schools__memberships__user=user, schools__memberships__role__in=roles
    ).distinct()


def fund_accounts_visible_to(user: User) -> QuerySet[FundAccount]:
    """Administrators and supervisors of a district's schools see its accounts (totals only)."""
    if not (user.is_authenticated and user.is_active):
        return FundAccount.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR, Role.SUPERVISOR})
    return (
        FundAccount.objects.filter(project__district__in=districts)
        .select_related("project__district")
        .annotate(
            received_fen=Coalesce(Sum("entries__amount_fen", filter=MONEY_IN), 0),
            paid_fen=Coalesce(Sum("entries__amount_fen", filter=MONEY_OUT), 0),
            reversed_fen=Coalesce(Sum("entries__amount_fen", filter=REVERSALS), 0),
        )
        .order_by("project__district__code", "project__code")
    )


def ledger_visible_to(user: User) -> QuerySet[LedgerEntry]:
    """Only administrators read the ledger's lines; supervisors see totals, others nothing."""
    if not (user.is_authenticated and user.is_active):
        return LedgerEntry.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return LedgerEntry.objects.filter(account__project__district__in=districts).select_related(
        "account__project", "created_by"
    )


def contributions_visible_to(user: User):
    """Administrators: their districts' contributions; a donor: its own."""
    from donations.models import Contribution

    if not (user.is_authenticated and user.is_active):
        return Contribution.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return Contribution.objects.filter(
        Q(project__district__in=districts) | Q(donor__user=user)
    ).select_related("donor", "project", "ledger_entry")


def donors_visible_to(user: User):
    from donations.models import Donor

    if not (user.is_authenticated and user.is_active):
        return Donor.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return Donor.objects.filter(Q(district__in=districts) | Q(user=user)).select_related("district")


def awards_visible_to(user: User):
    from donations.models import Award

    if not (user.is_authenticated and user.is_active):
        return Award.objects.none()
    return (
        Award.objects.filter(student__school__in=schools_administered_by(user))
        .select_related("project", "student__school", "term", "cancelled_by")
        .prefetch_related("plan")
        .annotate(paid_fen=award_paid_subquery())
    )


def award_paid_subquery():
    """An award's standing payments (not reversed), in fen, as a subquery on `pk`."""
    from donations.models import Disbursement

    return Coalesce(
        Subquery(
            Disbursement.objects.filter(award=OuterRef("pk"), reversal__isnull=True)
            .values("award")
            .annotate(s=Sum("amount_fen"))
            .values("s")
        ),
        0,
    )


def disbursements_visible_to(user: User):
    from donations.models import Disbursement

    if not (user.is_authenticated and user.is_active):
        return Disbursement.objects.none()
    return Disbursement.objects.filter(
        award__student__school__in=schools_administered_by(user)
    ).select_related("award__project", "paid_by", "reversal__created_by")


def item_donations_visible_to(user: User):
    from donations.models import ItemDonation

    if not (user.is_authenticated and user.is_active):
        return ItemDonation.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return ItemDonation.objects.filter(
        Q(item_kind__district__in=districts) | Q(donor__user=user)
    ).select_related("item_kind", "donor")


def item_distributions_visible_to(user: User):
    from donations.models import ItemDistribution

    if not (user.is_authenticated and user.is_active):
        return ItemDistribution.objects.none()
    return ItemDistribution.objects.filter(
        student__school__in=schools_administered_by(user)
    ).select_related("item_kind", "student")


def pledges_visible_to(user: User):
    from donations.models import Pledge

    if not (user.is_authenticated and user.is_active):
        return Pledge.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return (
        Pledge.objects.filter(Q(donor__district__in=districts) | Q(donor__user=user))
        .select_related("donor", "project")
        .prefetch_related("instalments")
    )


def pledge_cancellable_by(user: User, pledge) -> bool:
    """Who may cancel a pledge: the donor's own account, or an administrator of every
    school of the donor's district (a district administrator, or a platform administrator).

    An administrator of one school of the district reads the district's pledges
    but does not decide for the district: a donor's promise is to all of it.
    """
    if not (user.is_authenticated and user.is_active):
        return False
    if pledge.donor.user_id is not None and pledge.donor.user_id == user.pk:
        return True
    return administers_district(user, pledge.donor.district)


def public_donation_notice(*, district_code: str) -> dict:
    """What a district publishes about donations: who gave what, and how it was used, in totals.

    Anonymous donors are shown as anonymous; no student is named or counted
    in a way that identifies one. A fixed number of aggregate queries.
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
