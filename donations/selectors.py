from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from donations.models import FundAccount, LedgerEntry, LedgerKind
from mentoring.models import Role, User
from mentoring.selectors.accounts import schools_administered_by

MONEY_IN = Q(entries__kind__in=[LedgerKind.APPROPRIATION, LedgerKind.CONTRIBUTION])
MONEY_OUT = Q(entries__kind=LedgerKind.DISBURSEMENT)
REVERSALS = Q(entries__kind=LedgerKind.REVERSAL)


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
    if not user.is_superuser and not schools_administered_by(user).exists():
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
    return Award.objects.filter(student__school__in=schools_administered_by(user)).select_related(
        "project", "student__school", "term"
    )


def disbursements_visible_to(user: User):
    from donations.models import Disbursement

    if not (user.is_authenticated and user.is_active):
        return Disbursement.objects.none()
    return Disbursement.objects.filter(
        award__student__school__in=schools_administered_by(user)
    ).select_related("award__project", "paid_by")


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
