"""Who may call an endpoint at all; what they then see is scoped in each queryset.

core knows no role: the permission classes ask the user object (the user
model's `is_administrator`), so that every app
shares one class per rule without core importing the app that defines roles.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_active_account(user) -> bool:
    """Signed in, with an account that is not deactivated: where every role check starts."""
    return bool(user and user.is_authenticated and user.is_active)


class IsAdministrator(BasePermission):
    """A school or district administrator, or a platform administrator (`User.is_administrator`).

    One query for an administrator, none for a platform administrator.
    """

    def has_permission(self, request, view):
        return is_active_account(request.user) and request.user.is_administrator


class AdministratorsWrite(BasePermission):
    """Anyone signed in reads (the queryset scopes what); only administrators write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return is_active_account(request.user) and request.user.is_administrator
