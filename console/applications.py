"""`/console/identification/start/`: identification started from the console.

Four sections, each calling the service the API calls, for the term chosen
as on every console page:

1. a government list (低保, 特困…) uploaded as CSV: read by
   `government_list_rows_from_csv` and imported by `government_list_import`,
   as by the API's `assessments/government-list/`. Every row error is listed
   at once and nothing is written; the result (proposals created, students
   already assessed, rows matching no student, by row and masked ID number)
   is the notice. Importing the same list again creates nothing;
2. a family's application recorded on its behalf (`application_record`, the
   API's `POST applications/`): the student is found by name, student
   number or the last digits of the ID number among the administrator's
   schools (`students_visible_to`), and every bad field is named at once
   (the form's checks with `application_record_problems`);
3. the applications families sent on the public page, still pending:
   confirmed as a student of the roster (`application_confirm`) or declined
   with a reason (`application_decline`). The students offered are those of
   the school named as the family typed the child's name, and those found by
   the search;
4. the open application codes of the schools in the term, opened
   (`application_code_open`, which closes the school's open one) and closed
   (`application_code_close`).

Every write is POST with its CSRF token, then a redirect with a notice; each
form that the service would not take twice carries a key and runs under it
(core.idempotency.once), so a double click replays the first answer. Phones
are masked (`mask_phone`) and ID numbers shown by their last four digits, as
the API serves them to an administrator; the students each read names are
recorded in the access log.
"""

import uuid

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.response import Response

from console.applications_forms import (
    CodeCloseForm,
    CodeOpenForm,
    ConfirmForm,
    DeclineForm,
    GovernmentListForm,
    RecordForm,
    named,
)
from console.pages import TEMPLATES, admin_page, chosen_term, terms_of
from core.errors import DomainError, FieldErrors, ValidationErrors
from core.idempotency import once, request_fingerprint
from core.money import fen
from mentoring.apis.government_list import MAX_LIST_FILE_BYTES
from mentoring.models import AccessAction, ApplicationStatus, HardshipKind, StudentRecord
from mentoring.selectors.applications import (
    application_codes_visible_to,
    application_list,
    applications_visible_to,
)
from mentoring.selectors.scoping import students_visible_to
from mentoring.services import applications as services
from mentoring.services import government_list
from mentoring.services.access_log import access_record_request

PENDING_ROWS = 100
FOUND_ROWS = 30
UNMATCHED_SHOWN = 20
KINDS = dict(HardshipKind.choices)


# Reading


def _search(request, schools, term, query: str) -> list[StudentRecord]:
    """The term's records of the students found by name, student number or ID number's end."""
    if not query or term is None:
        return []
    found = (
        students_visible_to(request.user)
        .filter(school__in=schools)
        .filter(
            Q(name__contains=query)
            | Q(student_number__startswith=query)
            | Q(id_masked__endswith=query.upper())
        )
    )
    records = list(
        StudentRecord.objects.filter(term=term, student__in=found)
        .select_related("student__school")
        .order_by("student__school__code", "grade", "class_name", "student__name")[:FOUND_ROWS]
    )
    if records:
        access_record_request(
            request,
            action=AccessAction.LIST,
            kind="student",
            student_ids=[record.student_id for record in records],
        )
    return records


def _pending(request, schools, term, found) -> list:
    """The term's pending applications, each with the students it may be confirmed as."""
    if term is None:
        return []
    rows = list(
        application_list(
            applications_visible_to(request.user).filter(
                school__in=schools, term=term, status=ApplicationStatus.PENDING
            )
        ).order_by("submitted_at", "pk")[:PENDING_ROWS]
    )
    # One query for every row's namesakes on the roster of the term.
    namesakes = StudentRecord.objects.filter(
        term=term,
        student__in=students_visible_to(request.user).filter(
            school__in={row.school_id for row in rows},
            name__in={row.child_name for row in rows},
        ),
    ).select_related("student")
    by_name: dict[tuple, list] = {}
    for record in namesakes.order_by("grade", "class_name", "student__student_number"):
        by_name.setdefault((record.student.school_id, record.student.name), []).append(record)
    offered = set()
    for row in rows:
        same = by_name.get((row.school_id, row.child_name), [])
        # Exact grade and class first: the family's typing is usually right.
        same = sorted(same, key=lambda r: (r.grade != row.grade, r.class_name != row.class_name))
        seen = {record.student_id for record in same}
        more = [
            r for r in found if r.student.school_id == row.school_id and r.student_id not in seen
        ]
        row.candidates = same + more
        offered.update(record.student_id for record in same)
        row.phone_masked = services.mask_phone(row.guardian_phone)
        row.kind_names = [KINDS.get(kind, kind) for kind in row.hardship_kinds]
    if offered:
        # The roster's students named to the reader beside the families' typing.
        access_record_request(
            request, action=AccessAction.LIST, kind="application", student_ids=offered
        )
    return rows


def _codes(request, schools, term) -> list:
    if term is None:
        return []
    codes = list(
        application_codes_visible_to(request.user)
        .filter(school__in=schools, term=term, closed_at__isnull=True)
        .select_related("school")
        .order_by("school__code", "-created_at")
    )
    for code in codes:
        code.link = request.build_absolute_uri(reverse("apply:form", kwargs={"code": code.code}))
    return codes


def _page(request, schools, *, term=None, status: int = 200, **bound):
    """The page, with the form a refused POST sent back (`bound`) and its problems."""
    terms = terms_of(schools)
    if term is None:
        term = chosen_term(request, terms)
    query = (request.POST.get("q") or request.GET.get("q", "")).strip()
    found = _search(request, schools, term, query)
    pending = _pending(request, schools, term, found)
    forms = {
        "list_form": GovernmentListForm(),
        "record_form": RecordForm(),
        "code_form": CodeOpenForm(),
    } | {name: form for name, form in bound.items() if name.endswith("_form")}
    for row in pending:
        row.confirm_key, row.decline_key = uuid.uuid4().hex, uuid.uuid4().hex
    return render(
        request,
        TEMPLATES + "identification_start.html",
        {
            "schools": schools,
            "terms": terms,
            "term": term,
            "tiers": term.district.tier_labels if term is not None else [],
            "query": query,
            "found": found,
            "pending": pending,
            "pending_truncated": len(pending) == PENDING_ROWS,
            "codes": _codes(request, schools, term),
            "close_key": uuid.uuid4().hex,
            "keep": [("q", query)] if query else [],
            "list_categories": government_list.category_choices(),
            **forms,
            **{name: value for name, value in bound.items() if not name.endswith("_form")},
        },
        status=status,
    )


@require_GET
@admin_page
def start(request, schools):
    return _page(request, schools)


# Writing


def _term_of(request, schools):
    """The term the POST names among the schools' terms (the page's term when it names none)."""
    terms = terms_of(schools)
    chosen = request.POST.get("term", "")
    return next((t for t in terms if str(t.pk) == chosen), chosen_term(request, terms))


def _back(term, anchor: str):
    url = reverse("console:identification-start")
    return redirect(f"{url}?term={term.pk}#{anchor}" if term else f"{url}#{anchor}")


def _once(request, scope: str, key: str, run) -> dict:
    """Run `run()` (answering the notice) once per form shown; a repeat replays the notice."""
    body = request.POST.copy()
    body.pop("csrfmiddlewaretoken", None)
    answer = once(
        user=request.user,
        scope=f"console-start-{scope}",
        key=key,
        fingerprint=request_fingerprint(body),
        run=lambda: Response({"notice": str(run())}, status=201),
    )
    return answer.data


def _take(errors: ValidationErrors, error: DomainError) -> int:
    """A service's refusal onto the form: the status to answer."""
    if isinstance(error, FieldErrors):
        errors.add_error(error)
        return 400
    errors.add(error.field or "__all__", error.message)
    return error.status_code


def _onto(form, errors: ValidationErrors) -> None:
    for field, found in errors.errors.items():
        for message in found:
            form.add_error(form.field_for_error(field), str(message))


@require_POST
@admin_page
def government_list_upload(request, schools):
    term = _term_of(request, schools)
    form = GovernmentListForm(request.POST, request.FILES)
    valid = form.is_valid()
    data = form.cleaned_data
    errors, status, rows = ValidationErrors(), 400, None
    upload = data.get("file")
    if upload is not None and upload.size > MAX_LIST_FILE_BYTES:
        errors.add("file", _("The file is larger than 5 MB."))
        upload = None
    try:
        if upload is not None:
            rows = government_list.government_list_rows_from_csv(upload.read())
    except DomainError as error:
        errors.add(error.field or "file", error.message)
    try:
        if valid and rows is not None and not errors:
            result = government_list.government_list_import(
                by=request.user, term_id=data["term"], rows=rows, tier=data["tier"]
            )
        else:
            government_list.government_list_import_problems(
                errors,
                by=request.user,
                term_id=data.get("term"),
                rows=rows,
                tier=data.get("tier"),
            )
    except DomainError as error:
        status = _take(errors, error)
    if not valid or errors:
        # The bad rows by number, field and message; what is about the whole list, above.
        about_rows = errors.errors.pop("rows", [])
        # Each named by its column's Chinese header, as the roster import names its columns.
        row_errors = [
            m | {"column": government_list.COLUMN_HEADERS.get(m["field"], m["field"])}
            for m in about_rows
            if isinstance(m, dict)
        ]
        for message in about_rows:
            if not isinstance(message, dict):
                form.add_error(None, str(message))
        _onto(form, errors)
        return _page(
            request,
            schools,
            term=term,
            status=status,
            list_form=form,
            list_problems=named(form),
            row_errors=row_errors,
        )
    messages.success(
        request,
        _(
            "Government list imported: %(rows)s rows, %(created)s students proposed, "
            "%(already)s already assessed, %(unmatched)s not on your roster this term."
        )
        % {
            "rows": result.rows,
            "created": result.created,
            "already": result.already_assessed,
            "unmatched": len(result.unmatched),
        },
    )
    if result.unmatched:
        shown = ", ".join(
            _("row %(row)s (%(id)s)") % {"row": u["row"], "id": u["id_masked"]}
            for u in result.unmatched[:UNMATCHED_SHOWN]
        )
        more = len(result.unmatched) - UNMATCHED_SHOWN
        messages.warning(
            request,
            _("Rows matching no student: %(rows)s") % {"rows": shown}
            + (_(" and %(n)s more.") % {"n": more} if more > 0 else ""),
        )
    return _back(term, "government-list")


@require_POST
@admin_page
def record(request, schools):
    term = _term_of(request, schools)
    form = RecordForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    income = data.get("income_per_capita")
    fields = {
        "student_id": data.get("student"),
        "term_id": data.get("term"),
        "guardian_name": data.get("guardian_name"),
        "guardian_phone": data.get("guardian_phone"),
        "hardship_kinds": data.get("hardship_kinds"),
        "circumstances": data.get("circumstances"),
        "commitment": data.get("commitment"),
    }
    errors, status, answer = ValidationErrors(), 400, None

    def run():
        application = services.application_record(
            by=request.user,
            guardian_relation=data["guardian_relation"],
            income_per_capita_fen=fen(income) if income is not None else None,
            **fields,
        )
        return _("%(student)s: application recorded and submitted.") % {
            "student": application.assessment.student.name
        }

    try:
        if valid:
            answer = _once(request, "record", data["key"], run)
        else:
            services.application_record_problems(errors, by=request.user, **fields)
    except DomainError as error:
        status = _take(errors, error)
    if answer is None:
        _onto(form, errors)
        return _page(
            request,
            schools,
            term=term,
            status=status,
            record_form=form,
            record_problems=named(form),
        )
    messages.success(request, answer["notice"])
    return _back(term, "record")


def _pending_application(request, schools, application_id: int):
    # Another school's application and one that does not exist look the same (404).
    visible = applications_visible_to(request.user).filter(school__in=schools)
    return get_object_or_404(application_list(visible), pk=application_id)


def _settle(request, schools, application, form, perform, scope: str):
    """Confirm or decline `application` with `form`; the page again with problems if refused."""
    valid = form.is_valid()
    data = form.cleaned_data
    errors, status, answer = ValidationErrors(), 400, None
    try:
        if valid:
            answer = _once(request, scope, data["key"], lambda: perform(data))
        elif scope == "confirm" and data.get("student") is not None:
            services.application_confirm_problems(
                errors, by=request.user, application=application, student_id=data["student"]
            )
    except DomainError as error:
        status = _take(errors, error)
    if answer is None:
        _onto(form, errors)
        return _page(
            request,
            schools,
            term=application.term,
            status=status,
            pending_problems=named(form),
            refused_row=application.pk,
        )
    messages.success(request, answer["notice"])
    return _back(application.term, "pending")


@require_POST
@admin_page
def confirm(request, schools, application_id: int):
    application = _pending_application(request, schools, application_id)

    def perform(data):
        done = services.application_confirm(
            by=request.user, application=application, student_id=data["student"]
        )
        return _("%(child)s: application confirmed as %(student)s’s and submitted.") % {
            "child": application.child_name,
            "student": done.assessment.student.name,
        }

    return _settle(request, schools, application, ConfirmForm(request.POST), perform, "confirm")


@require_POST
@admin_page
def decline(request, schools, application_id: int):
    application = _pending_application(request, schools, application_id)

    def perform(data):
        services.application_decline(
            by=request.user, application=application, reason=data["reason"]
        )
        return _("%(child)s: application declined.") % {"child": application.child_name}

    return _settle(request, schools, application, DeclineForm(request.POST), perform, "decline")


@require_POST
@admin_page
def code_open(request, schools):
    term = _term_of(request, schools)
    form = CodeOpenForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    errors, status, answer = ValidationErrors(), 400, None

    def run():
        code = services.application_code_open(
            by=request.user, school_id=data["school"], term_id=data["term"]
        )
        return _("Code %(code)s opened for %(school)s; the school's earlier code is closed.") % {
            "code": code.code,
            "school": code.school.name,
        }

    try:
        if valid:
            answer = _once(request, "code-open", data["key"], run)
        else:
            services.application_code_problems(
                errors, by=request.user, school_id=data.get("school"), term_id=data.get("term")
            )
    except DomainError as error:
        status = _take(errors, error)
    if answer is None:
        _onto(form, errors)
        return _page(
            request, schools, term=term, status=status, code_form=form, code_problems=named(form)
        )
    messages.success(request, answer["notice"])
    return _back(term, "codes")


@require_POST
@admin_page
def code_close(request, schools, code_id: int):
    code = get_object_or_404(
        application_codes_visible_to(request.user)
        .filter(school__in=schools)
        .select_related("school", "term"),
        pk=code_id,
    )
    form = CodeCloseForm(request.POST)
    status, answer = 400, None

    def run():
        services.application_code_close(by=request.user, code=code)
        return _("Code %(code)s closed: families can no longer apply with it.") % {
            "code": code.code
        }

    try:
        if form.is_valid():
            answer = _once(request, "code-close", form.cleaned_data["key"], run)
    except DomainError as error:
        form.add_error(None, str(error.message))
        status = error.status_code
    if answer is None:
        return _page(request, schools, term=code.term, status=status, code_problems=named(form))
    messages.success(request, answer["notice"])
    return _back(code.term, "codes")
