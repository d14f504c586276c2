"""`/console/roster/`: import the term's roster with a preview of its row errors, and search it.

The import is `roster_import`, the service behind the API's
`students/import/`: "Preview" is its dry run (every row checked and counted,
nothing written), "Import" writes all or nothing; row errors are listed by
row and column as the service gives them. The term and school offered are
the administrator's own, as the API's serializer allows. The search reads
`students_visible_to` by name or student number (names served: recorded in
the access log), each student linking to their printable growth archive.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError
from mentoring.models import AccessAction
from mentoring.selectors.scoping import students_visible_to
from mentoring.services.access_log import access_record_request
from mentoring.services.roster import RosterInvalid, roster_import

# As the console's other long lists (the identification queue, a project's
# awards) and the public notice: 200 rows a page.
PAGE_ROWS = 200


def _search(request, schools, term):
    """The query and the page of its matches asked for (`?page=`), or None without a query."""
    query = request.GET.get("q", "").strip()
    if not query or term is None:
        return query, None
    matches = (
        students_visible_to(request.user)
        .filter(school__in=schools)
        .filter(Q(name__contains=query) | Q(student_number__startswith=query))
        .select_related("school")
        .order_by("school__code", "student_number", "pk")
    )
    page = Paginator(matches, PAGE_ROWS).get_page(request.GET.get("page"))
    if page.object_list:
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="student",
            student_ids=[student.pk for student in page.object_list],
        )
    return query, page


def _import(request, schools, terms):
    """Run the import (or its preview); answer the problem, the row errors and the counts."""
    term = next((t for t in terms if str(t.pk) == request.POST.get("term", "")), None)
    chosen = request.POST.get("school", "")
    school = next((s for s in schools if str(s.pk) == chosen), None)
    upload = request.FILES.get("file")
    problems = []
    if term is None:
        problems.append(_("Choose a term."))
    if chosen and school is None:
        problems.append(_("Choose one of your schools."))
    if upload is None:
        problems.append(_("Choose the roster file (.xlsx or .csv)."))
    if problems:
        return " ".join(problems), [], None, 400
    try:
        result = roster_import(
            by=request.user,
            term=term,
            school=school,
            file=upload,
            filename=upload.name,
            size=upload.size,
            dry_run="preview" in request.POST,
        )
    except RosterInvalid as error:
        return str(error.message), error.extra["errors"], None, 400
    except DomainError as error:
        return str(error.message), [], None, error.status_code
    return "", [], result, 200


@require_http_methods(["GET", "POST"])
@admin_page
def roster(request, schools):
    terms = terms_of(schools)
    term = chosen_term(request, terms)
    problem, row_errors, result, status = "", [], None, 200
    if request.method == "POST":
        problem, row_errors, result, status = _import(request, schools, terms)
        if result is not None and not result.dry_run:
            messages.success(
                request,
                _("Roster imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("console:roster")
    query, found = _search(request, schools, term)
    return render(
        request,
        TEMPLATES + "roster.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "query": query,
            "found": found,
            # What a link to another page of the matches keeps.
            "paging": urlencode({"q": query, "term": term.pk}) if query and term else "",
            "problem": problem,
            "row_errors": row_errors,
            "preview": result,
            "keep": [("q", query)] if query else [],
        },
        status=status,
    )
