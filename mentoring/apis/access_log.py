"""/api/v1/access-log/: who read or exported which students' records; and the API's side of it.

`RecordsStudentAccess` makes a viewset record each list page and detail it
serves with GET (mentoring.services.access_log). The log itself is read by
district and platform administrators; reading it is not recorded, since its
answers hold ids only, no student's record (and recording them would fill
the log with its own reviews).
"""

from operator import attrgetter

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated

from core.filters import NumberFilter
from mentoring.models import AccessAction, AccessLogEntry
from mentoring.selectors import access_log as selectors
from mentoring.services.access_log import access_record_request

RECORDED_ACTIONS = {"list": AccessAction.LIST, "retrieve": AccessAction.READ}


class RecordsStudentAccess:
    """For a viewset whose answers name students: each GET list page and detail is recorded.

    `access_student` is the attribute path from a served object to its
    student's id (`"student_id"`, `"pairing.student_id"`, `"pk"` for a
    student); the queryset should load it (select_related) so that reading
    it costs nothing. Recording a page costs one statement on PostgreSQL (two
    INSERTs on SQLite) however long it is.
    Custom actions that serve students call `access_record_request` themselves.
    """

    access_student = "student_id"
    _access_served = None

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._access_served = page
        return page

    def get_object(self):
        served = super().get_object()
        self._access_served = [served]
        return served

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        action = RECORDED_ACTIONS.get(getattr(self, "action", None))
        if request.method == "GET" and action and response.status_code == 200:
            served = self._access_served or []
            if served:
                student_of = attrgetter(self.access_student)
                access_record_request(
                    request,
                    action=action,
                    kind=served[0]._meta.model_name,
                    student_ids=[student_of(item) for item in served],
                    object_id=served[0].pk if action == AccessAction.READ else None,
                )
        return response


class ReadsAccessLog(BasePermission):
    """District administrators (of every school of a district) and platform administrators."""

    def has_permission(self, request, view):
        return selectors.may_read_access_log(request.user)


class AccessLogEntrySerializer(serializers.ModelSerializer):
    username = serializers.SerializerMethodField()
    students = serializers.SerializerMethodField()

    class Meta:
        model = AccessLogEntry
        fields = [
            "id",
            "at",
            "user",
            "username",
            "action",
            "object_kind",
            "object_id",
            "path",
            "address",
            "students",
        ]
        read_only_fields = fields

    def get_username(self, entry) -> str | None:
        # An account deleted since is still named by its id.
        return entry.user.username if entry.user else None

    def get_students(self, entry) -> list[int]:
        """The students of the entry the reader may audit (those of the reader's districts)."""
        return [row.student_id for row in entry.visible_students]


class AccessLogFilter(django_filters.FilterSet):
    student = NumberFilter(method="filter_student", help_text=_("A student's id."))
    user = NumberFilter(field_name="user_id")
    action = django_filters.ChoiceFilter(choices=AccessAction.choices)
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AccessLogEntry
        fields = ["student", "user", "action", "since", "until"]

    def filter_student(self, queryset, name, value):
        visible = selectors.access_log_students_visible_to(self.request.user)
        return queryset.filter(pk__in=visible.filter(student_id=value).values("entry"))


class AccessLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Who read or exported which students' records, newest first.

    Filters: `student`, `user`, `action` (`list`, `read`, `export`), `since`
    and `until` (ISO date-times; `until` is exclusive). Each entry lists only
    the students of the reader's districts.
    """

    permission_classes = [IsAuthenticated, ReadsAccessLog]
    queryset = AccessLogEntry.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = AccessLogEntrySerializer
    filterset_class = AccessLogFilter

    def get_queryset(self):
        return selectors.access_log_visible_to(self.request.user).order_by("-at", "-pk")
