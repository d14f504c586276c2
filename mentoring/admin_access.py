"""The Django admin's side of the access log of students' records (mentoring.services.access_log).

`RecordsStudentAccessAdmin` goes ahead of `admin.ModelAdmin` in the bases of
every admin class whose pages show a student's record; it records, on GET,
the rows of a change list page and the one record of a change, view,
history or delete page. Views that are not a ModelAdmin's own (an
autocomplete answer, a custom page) call `admin_access_record`.
"""

from django.contrib.admin.utils import unquote

from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request


def admin_access_record(request, *, model, lookup: str, pks, action: str):
    """Record that the rows `pks` of `model` were shown; `lookup` leads from `model` to a student.

    One query reads the students' ids, whatever the number of rows.
    """
    pks = list(pks)
    if not pks:
        return None
    student_ids = model._default_manager.filter(pk__in=pks).values_list(lookup, flat=True)
    return access_record_request(
        request,
        action=action,
        kind=model._meta.model_name,
        student_ids=list(student_ids),
        object_id=pks[0] if action == AccessAction.READ else None,
    )


class RecordsStudentAccessAdmin:
    """For a ModelAdmin whose pages show students' records.

    `access_student_lookup` is the ORM path from the model to its student:
    `"student"` (the default: records, assessments, pairings, awards, …),
    `"pk"` on Student itself, `"pairing__student"` on sessions and weekly
    compliance, `"record__student"` on scores, `"assessment__student"` on
    objections, `"award__student"` on disbursements.
    """

    access_student_lookup = "student"

    def _access_one(self, request, response, object_id):
        if request.method == "GET" and response.status_code == 200:
            admin_access_record(
                request,
                model=self.model,
                lookup=self.access_student_lookup,
                pks=[self.model._meta.pk.to_python(unquote(object_id))],
                action=AccessAction.READ,
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", None) or {}
        changelist = changelist.get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            admin_access_record(
                request,
                model=self.model,
                lookup=self.access_student_lookup,
                pks=[row.pk for row in changelist.result_list],
                action=AccessAction.LIST,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._access_one(request, response, object_id)

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        return self._access_one(request, response, object_id)

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        return self._access_one(request, response, object_id)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """simple_history's page of one past version (SimpleHistoryAdmin only)."""
        response = super().history_form_view(request, object_id, version_id, extra_context)
        return self._access_one(request, response, object_id)
