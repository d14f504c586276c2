"""The printable page of a student's growth archive (成长档案), for the class teacher's file.

The same archive as `students/{id}/archive/` (donations.selectors.archive),
for whoever may read the student's detail: administrators of the student's
school and the student's mentors. Anyone else, and a student that does not
exist, gets the same 404 page. Each view is written to the access log.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from donations.selectors import archive as selectors
from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request
from mentoring.web.start import page_for

LOGIN_URL = "teacher:login"


@require_GET
@login_required(login_url=LOGIN_URL)
def student_archive(request, student_id: int):
    student = selectors.archive_student(request.user, student_id)
    if student is None:
        return render(request, "mentoring/teacher/not_found.html", status=404)
    archive = selectors.growth_archive(user=request.user, student=student)
    access_record_request(
        request,
        action=AccessAction.READ,
        kind="student",
        student_ids=[student.pk],
        object_id=student.pk,
    )
    # Back to the reader's own page, as `/` would send them: a mentor's, or the console;
    # and back to the list the link was followed from (the console's roster search).
    context = {
        "archive": archive,
        "back_url": page_for(request.user),
        "came_from": _came_from(request),
    }
    return render(request, "donations/archive.html", context)


def _came_from(request) -> str:
    """`?back=`, the page of this site that linked here, or "" (none, or another site's)."""
    back = request.GET.get("back", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return ""
