"""/api/v1/notifications/: a user's own reminders and notices; marked read one by one."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.serializers import NoBody
from mentoring.models import Notification, NotificationKind
from mentoring.services.notifications import notification_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()
    resolved = serializers.SerializerMethodField(
        help_text=_("The records no longer bear the reminder out: its week was met after all.")
    )
    unread = serializers.BooleanField(read_only=True, help_text=_("Neither read nor resolved."))

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "subject",
            "body",
            "data",
            "school",
            "read",
            "read_at",
            "resolved",
            "resolved_at",
            "unread",
            "emailed_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_read(self, notification) -> bool:
        return notification.read_at is not None

    def get_resolved(self, notification) -> bool:
        return notification.resolved_at is not None


class NotificationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_unread"
    )

    class Meta:
        model = Notification
        fields = ["kind", "unread"]

    def filter_unread(self, queryset, name, value):
        if value == "true":
            return queryset.filter(Notification.UNREAD)
        return queryset.exclude(Notification.UNREAD)


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The user's own notifications, newest first; anyone else's answers 404.

    Filters: `kind`, `unread` (`true` or `false`). A reminder whose week was
    met after all (a session logged late) is resolved, and not unread.
    """

    queryset = Notification.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-pk"
        )

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notification read; marking it again keeps the first time. No body."""
        notification = self.get_object()
        NoBody(data=request.data).is_valid(raise_exception=True)
        notification_mark_read(by=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)
