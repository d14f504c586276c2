"""What every donations endpoint shares: amounts in yuan, who may write, the 201 answer."""

from decimal import Decimal

from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from core.serializers import StrictSerializer
from donations.selectors.scoping import administers_any_school

FEN = Decimal("0.01")


class YuanField(serializers.DecimalField):
    """An amount kept in fen, shown as yuan with two decimal places."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, read_only=True, **kwargs)

    def to_representation(self, fen):
        return super().to_representation((Decimal(fen) * FEN).quantize(FEN))


class IsAdministrator(BasePermission):
    def has_permission(self, request, view):
        return administers_any_school(request.user)


class AdministratorsWrite(BasePermission):
    """Anyone signed in reads (the queryset scopes what); only administrators write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return administers_any_school(request.user)


def created(view, obj) -> Response:
    """201 with the new record as the view's own list shows it (scoped, with its joins)."""
    fresh = view.get_queryset().get(pk=obj.pk)
    return Response(view.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class CorrectionSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200)
