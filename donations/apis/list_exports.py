"""`GET awards/export/?project=` and `GET disbursements/export/?project=`: a project's awards
and payments per school, as XLSX or PDF (issue 16, item 6).

`project` is the project's id or its code; `term` (its id or code) keeps one term,
`school` one school. Administrators only, of the schools listed; every export
is written to the access log with the students it names
(`mentoring.apis.list_exports`).
"""

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from donations.apis.codes import project_field
from donations.selectors import lists as donation_lists
from mentoring.apis.codes import term_field
from mentoring.apis.list_exports import (
    FILE_RESPONSES,
    ListQuerySerializer,
    exports_list,
    file_response,
    language_of,
    query_of,
    schools_in,
)
from mentoring.apis.roster import IgnoreFormatNegotiation
from mentoring.models import Term
from mentoring.selectors import lists


class ProjectListQuerySerializer(ListQuerySerializer):
    project = project_field(to=None)
    term = term_field(required=False)


class ProjectListExport(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = IgnoreFormatNegotiation
    kind = ""
    name = ""

    def build(self, **kwargs):
        raise NotImplementedError

    def get(self, request):
        data, errors = query_of(ProjectListQuerySerializer, request)
        # The project by id or code, among the reader's (core.codes); absent when refused.
        project = data.get("project")
        term = None
        if "term" in data:
            term = Term.objects.filter(
                pk=data["term"], district_id=project.district_id if project else None
            ).first()
            if term is None:
                errors.add("term", _("No such term in the project's district."))
        schools = schools_in(
            errors,
            user=request.user,
            kind=self.kind,
            district_id=project.district_id if project else None,
            school_id=data.get("school"),
        )
        errors.raise_if_any()
        language = language_of(data)
        with translation.override(language):
            document = self.build(user=request.user, project=project, schools=schools, term=term)
        period = f"-{term.code}" if term else ""
        return file_response(
            request,
            document,
            kind=data["format"],
            name=f"{self.name}-{project.code}{period}",
            language=language,
        )


@extend_schema(parameters=[ProjectListQuerySerializer], responses=FILE_RESPONSES)
class AwardListExportView(ProjectListExport):
    """A project's awards per school: awarded and paid, with totals per school."""

    permission_classes = [IsAuthenticated, exports_list(lists.AWARDS)]
    kind, name = lists.AWARDS, "awards"

    def build(self, **kwargs):
        return donation_lists.awards_list(**kwargs)


@extend_schema(parameters=[ProjectListQuerySerializer], responses=FILE_RESPONSES)
class PaymentListExportView(ProjectListExport):
    """A project's payments per school, with totals per school; a reversed one is marked."""

    permission_classes = [IsAuthenticated, exports_list(lists.PAYMENTS)]
    kind, name = lists.PAYMENTS, "payments"

    def build(self, **kwargs):
        return donation_lists.payments_list(**kwargs)
