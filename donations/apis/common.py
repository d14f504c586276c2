"""What every donations endpoint shares: the 201 answer, a correction's reason."""

from rest_framework import serializers, status
from rest_framework.response import Response

from core.serializers import StrictSerializer


def created(view, obj) -> Response:
    """201 with the new record as the view's own list shows it (scoped, with its joins)."""
    fresh = view.get_queryset().get(pk=obj.pk)
    return Response(view.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class CorrectionSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200)
