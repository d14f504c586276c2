"""Who reads and writes which donations records: each role's visibility, as querysets.

The endpoints' permission classes ask `administers_any_school` and
`reads_fund_accounts`; the querysets then scope what each user sees, so a
foreign record answers like a missing one.
"""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from core.permissions import is_active_account
from donations.models import (
    AidProject,
    CommitteeQuota,
    FundAccount,
    LedgerEntry,
    ProjectFunding,
    ProjectQuota,
    ProjectStandard,
)
from donations.selectors.totals import MONEY_IN, MONEY_OUT, REVERSALS
from mentoring.models import Role, User
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import roles_of
from mentoring.services.schools import administers_district


def administers_any_school(user: User) -> bool:
    """An administrator of some school, or a platform administrator: who writes these records."""
    return is_active_account(user) and user.is_administrator


def reads_fund_accounts(user: User) -> bool:
    """Administrators and supervisors; teachers, volunteers and donors see no accounts."""
    return bool(roles_of(user) & {Role.ADMINISTRATOR, Role.SUPERVISOR})


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
    if not is_active_account(user):
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
    if not is_active_account(user):
        return LedgerEntry.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return LedgerEntry.objects.filter(account__project__district__in=districts).select_related(
        "account__project", "created_by"
    )


def contributions_visible_to(user: User):
    """Administrators: their districts' contributions; a donor: its own."""
    from donations.models import Contribution

    if not is_active_account(user):
        return Contribution.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return Contribution.objects.filter(
        Q(project__district__in=districts) | Q(donor__user=user)
    ).select_related("donor", "project", "ledger_entry")


def donors_visible_to(user: User):
    from donations.models import Donor

    if not is_active_account(user):
        return Donor.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return Donor.objects.filter(Q(district__in=districts) | Q(user=user)).select_related("district")


def awards_visible_to(user: User):
    from donations.models import Award

    if not is_active_account(user):
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

    if not is_active_account(user):
        return Disbursement.objects.none()
    return Disbursement.objects.filter(
        award__student__school__in=schools_administered_by(user)
    ).select_related("award__project", "paid_by", "reversal__created_by")


def paid_fen_by_project(user: User, *, term, projects, school_ids: list[int]) -> dict[int, int]:
    """Per project, the fen paid for `term`'s awards to `school_ids`' students, net of the
    payments reversed, among the payments `user` may see: the console's home and aid pages."""
    from donations.selectors.totals import PAYMENT_STANDS

    return dict(
        disbursements_visible_to(user)
        .filter(
            PAYMENT_STANDS,
            award__term=term,
            award__project__in=projects,
            award__student__school__in=school_ids,
        )
        .values("award__project")
        .annotate(fen=Sum("amount_fen"))
        .order_by()
        .values_list("award__project", "fen")
    )


def item_donations_visible_to(user: User):
    from donations.models import ItemDonation

    if not is_active_account(user):
        return ItemDonation.objects.none()
    districts = _districts_where(user, {Role.ADMINISTRATOR})
    return ItemDonation.objects.filter(
        Q(item_kind__district__in=districts) | Q(donor__user=user)
    ).select_related("item_kind", "donor")


def item_distributions_visible_to(user: User):
    from donations.models import ItemDistribution

    if not is_active_account(user):
        return ItemDistribution.objects.none()
    return ItemDistribution.objects.filter(
        student__school__in=schools_administered_by(user)
    ).select_related("item_kind", "student")


def pledges_visible_to(user: User):
    from donations.models import Pledge

    if not is_active_account(user):
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
    if not is_active_account(user):
        return False
    if pledge.donor.user_id is not None and pledge.donor.user_id == user.pk:
        return True
    return administers_district(user, pledge.donor.district)


def projects_visible_to(user: User):
    """Projects carry no personal data: anyone with a role in the district, or its donors, reads."""
    if not is_active_account(user):
        return AidProject.objects.none()
    if user.is_superuser:
        projects = AidProject.objects.all()
    else:
        projects = AidProject.objects.filter(
            Q(district__schools__memberships__user=user) | Q(district__donors__user=user)
        ).distinct()
    return projects.select_related("district").prefetch_related(
        Prefetch(
            "funding",
            queryset=ProjectFunding.objects.select_related("term")
            .annotate(received_fen=Coalesce(Sum("entries__amount_fen"), 0))
            .order_by("term__start_date", "source"),
        ),
        Prefetch("standards", queryset=ProjectStandard.objects.all()),
        Prefetch("quotas", queryset=ProjectQuota.objects.select_related("term", "school")),
        "tier_shares",
        Prefetch(
            "committee_quotas",
            queryset=CommitteeQuota.objects.select_related("term", "committee"),
        ),
    )
