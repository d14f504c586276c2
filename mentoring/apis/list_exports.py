"""The lists as files: `…/export/?format=xlsx|pdf` (issue 16, item 6).

- `GET assessments/approved/export/?term=` the approved list (认定名单);
- `GET assessments/notice/export/` the public-notice sheet to post on the board;
- `GET students/export/?term=` the roster;
- (`awards/export/`, `disbursements/export/` in `donations.apis.list_exports`).

Who may export which list, and whose names are whole, is the rule of
`mentoring.selectors.lists`; a role without any such list answers 403 before
anything is read. `school` narrows a list to one school; one the reader may
not list answers 400 like one that does not exist. Every export is written
to the access log with the students it names, like the upward roster.
"""

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from core.documents import FORMATS, PDF_CONTENT_TYPE, ListDocument, list_pdf, list_xlsx
from core.errors import ValidationErrors
from core.http import XLSX_CONTENT_TYPE
from core.serializers import QuerySerializer, valid_fields
from mentoring.apis.codes import district_field, school_field, term_field
from mentoring.apis.roster import IgnoreFormatNegotiation
from mentoring.models import AccessAction, District, School, Term
from mentoring.selectors import lists
from mentoring.selectors.scoping import districts_visible_to
from mentoring.services.access_log import access_record_request

FILE_RESPONSES = {
    (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
    (200, PDF_CONTENT_TYPE): OpenApiTypes.BINARY,
}


class ListQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=FORMATS, default="xlsx")
    lang = serializers.ChoiceField(choices=["zh-hans", "en"], required=False)
    school = school_field(required=False)


class TermListQuerySerializer(ListQuerySerializer):
    term = term_field()


class NoticeQuerySerializer(ListQuerySerializer):
    district = district_field(required=False)


def exports_list(kind: str):
    """A permission: the user may export the list of `kind` of some school (else 403)."""

    class MayExport(BasePermission):
        def has_permission(self, request, view):
            return lists.may_export(request.user, kind)

    return MayExport


def query_of(serializer_class, request) -> tuple[dict, ValidationErrors]:
    """The query's valid fields, and the errors so far, for the view's own checks to add to."""
    query = serializer_class(data=request.query_params)
    if query.is_valid():
        return query.validated_data, ValidationErrors()
    return valid_fields(query), ValidationErrors(query.errors)


def schools_in(
    errors: ValidationErrors, *, user, kind: str, district_id: int | None, school_id: int | None
) -> list[School]:
    """The schools of the district the list covers: one (`school`) or all the reader may list.

    A school the reader may not list answers like a missing one (400 on `school`).
    """
    schools = lists.list_schools(user, kind).select_related("district").order_by("code")
    if district_id is not None:
        schools = schools.filter(district_id=district_id)
    if school_id is not None:
        found = list(schools.filter(pk=school_id))
        if not found:
            errors.add("school", _("No such school among those whose lists you may export."))
        return found
    return list(schools)


def file_response(
    request, document: ListDocument, *, kind: str, name: str, language: str
) -> HttpResponse:
    """The list as a file, after recording who exported which students."""
    access_record_request(
        request, action=AccessAction.EXPORT, kind=name, student_ids=document.student_ids
    )
    with translation.override(language):
        if kind == "pdf":
            body, content_type = list_pdf(document, language=language), PDF_CONTENT_TYPE
        else:
            body, content_type = list_xlsx(document), XLSX_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def language_of(data: dict) -> str:
    return data.get("lang") or translation.get_language() or "zh-hans"


class TermListExport(APIView):
    """A list of one term: `term` (an id), `school` to narrow it to one school."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = IgnoreFormatNegotiation
    kind = ""
    name = ""

    def build(self, *, user, term: Term, schools: list[School]) -> ListDocument:
        raise NotImplementedError

    def get(self, request):
        data, errors = query_of(TermListQuerySerializer, request)
        term = None
        if "term" in data:
            term = (
                Term.objects.filter(
                    pk=data["term"], district__in=districts_visible_to(request.user)
                )
                .select_related("district")
                .first()
            )
            if term is None:
                errors.add("term", _("No such term in your districts."))
        schools = schools_in(
            errors,
            user=request.user,
            kind=self.kind,
            district_id=term.district_id if term else None,
            school_id=data.get("school"),
        )
        errors.raise_if_any()
        language = language_of(data)
        with translation.override(language):
            document = self.build(user=request.user, term=term, schools=schools)
        return file_response(
            request,
            document,
            kind=data["format"],
            name=f"{self.name}-{term.code}",
            language=language,
        )


@extend_schema(parameters=[TermListQuerySerializer], responses=FILE_RESPONSES)
class ApprovedListExportView(TermListExport):
    """The approved list (认定名单) of a term, as XLSX or PDF; names as the reader may see them."""

    permission_classes = [IsAuthenticated, exports_list(lists.APPROVED)]
    kind, name = lists.APPROVED, "approved-list"

    def build(self, *, user, term, schools):
        return lists.approved_list(user=user, term=term, schools=schools)


@extend_schema(parameters=[TermListQuerySerializer], responses=FILE_RESPONSES)
class RosterExportView(TermListExport):
    """The roster of a term as the reader may read it, as XLSX or PDF; ID and phone masked."""

    permission_classes = [IsAuthenticated, exports_list(lists.ROSTER)]
    kind, name = lists.ROSTER, "roster"

    def build(self, *, user, term, schools):
        return lists.roster(user=user, term=term, schools=schools)


class NoticeSheetExportView(APIView):
    """Today's public notice as a sheet to post on the school's board, names masked.

    Anyone with a role in a school exports its notice; `school` narrows it to
    one school, `district` chooses the district of a reader in several.
    """

    permission_classes = [IsAuthenticated, exports_list(lists.NOTICE)]
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(parameters=[NoticeQuerySerializer], responses=FILE_RESPONSES)
    def get(self, request):
        data, errors = query_of(NoticeQuerySerializer, request)
        schools = schools_in(
            errors,
            user=request.user,
            kind=lists.NOTICE,
            district_id=data.get("district"),
            school_id=data.get("school"),
        )
        districts = {school.district_id for school in schools}
        if not errors.has("school") and len(districts) != 1:
            errors.add(
                "district",
                _("Give the district whose notice you want.")
                if districts
                else _("No such district among yours."),
            )
        errors.raise_if_any()
        district: District = schools[0].district
        language = language_of(data)
        with translation.override(language):
            document = lists.notice_sheet(user=request.user, district=district, schools=schools)
        return file_response(
            request,
            document,
            kind=data["format"],
            name=f"public-notice-{district.code}",
            language=language,
        )
