from rest_framework.permissions import BasePermission

from mentoring.selectors.accounts import user_is_administrator


class IsAdministrator(BasePermission):
    """A school or district administrator, or a platform administrator."""

    def has_permission(self, request, view):
        return user_is_administrator(request.user)
