"""Reads with the visibility rules of each role."""

from django.db.models import Count, Prefetch, QuerySet

from core.permissions import is_active_account
from mentoring.models import District, Membership, Role, School, User


def schools_administered_by(user: User) -> QuerySet[School]:
    """The schools a user administers: all of them for a platform administrator."""
    if not is_active_account(user):
        return School.objects.none()
    if user.is_superuser:
        return School.objects.all()
    return School.objects.filter(
        memberships__user=user, memberships__role=Role.ADMINISTRATOR
    ).distinct()


def districts_administered_by(user: User) -> QuerySet[District]:
    """Districts each of whose schools the user administers (all for a platform administrator)."""
    if not is_active_account(user):
        return District.objects.none()
    if user.is_superuser:
        return District.objects.all()
    administered = schools_administered_by(user)
    return (
        District.objects.filter(schools__in=administered)
        .exclude(schools__in=School.objects.exclude(pk__in=administered))
        .distinct()
    )


def user_is_administrator(user: User) -> bool:
    return is_active_account(user) and user.is_administrator


def users_visible_to(viewer: User) -> QuerySet[User]:
    """Accounts an administrator may see: those with a role in a school they administer.

    Each account's memberships are prefetched, limited to those same schools,
    so that an account shared with another school does not reveal that school.
    """
    if not is_active_account(viewer):
        return User.objects.none()
    if viewer.is_superuser:
        memberships = Membership.objects.select_related("school")
        users = User.objects.all()
    else:
        school_ids = list(schools_administered_by(viewer).values_list("pk", flat=True))
        memberships = Membership.objects.filter(school_id__in=school_ids).select_related("school")
        users = User.objects.filter(memberships__school_id__in=school_ids).distinct()
    return users.prefetch_related(
        Prefetch("memberships", queryset=memberships, to_attr="visible_memberships")
    ).order_by("username")


def memberships_visible_to(viewer: User) -> QuerySet[Membership]:
    """Memberships in the schools `viewer` administers (all of them for a platform admin)."""
    if viewer.is_superuser:
        return Membership.objects.all()
    return Membership.objects.filter(school__in=schools_administered_by(viewer))


def memberships_of(user: User) -> list[Membership]:
    return list(user.memberships.select_related("school__district").order_by("school__code"))


def account_census(*, school: School) -> dict[str, int]:
    """How many active accounts hold each role in one school (every role listed)."""
    counts = dict(
        Membership.objects.filter(school=school, user__is_active=True)
        .values_list("role")
        .annotate(n=Count("user", distinct=True))
        .values_list("role", "n")
    )
    return {role: counts.get(role, 0) for role in Role.values}


def active_accounts_in(*, schools: list[School]) -> int:
    """Active accounts with any role in any of `schools`, each counted once."""
    return User.objects.filter(is_active=True, memberships__school__in=schools).distinct().count()
