"""`GET rosters/upward/`: the upward roster (名册上报); built in `mentoring.services.upward_roster`.

IDs and phones masked, for administrators only, recorded in the access log.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from core.codes import SCHEMA as CODE_OR_ID
from core.errors import DomainError
from core.http import XLSX_CONTENT_TYPE
from core.permissions import IsAdministrator
from core.serializers import QuerySerializer
from mentoring.apis.codes import district_field, school_field, term_field
from mentoring.apis.roster import IgnoreFormatNegotiation
from mentoring.models import (
    AccessAction,
    School,
    Term,
)
from mentoring.selectors.accounts import districts_administered_by, schools_administered_by
from mentoring.services import upward_roster
from mentoring.services.access_log import access_record_request

# The upward roster


class UpwardRosterQuerySerializer(QuerySerializer):
    term = term_field()
    school = school_field(required=False)
    district = district_field(required=False)
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")

    def validate(self, attrs):
        if ("school" in attrs) == ("district" in attrs):
            raise serializers.ValidationError(
                {"school": [_("Give either a school or a district, not both or neither.")]}
            )
        return attrs


class UpwardRosterView(APIView):
    """The upward roster (名册上报) of a school or a district for a term, in the county's columns.

    ID numbers and phones are masked. Administrators only: a school's
    administrators for their school, a district's for the district. Every
    export is recorded in the access log with the students it names.
    """

    permission_classes = [IsAuthenticated, IsAdministrator]
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter("term", CODE_OR_ID, required=True),
            OpenApiParameter("school", CODE_OR_ID, required=False),
            OpenApiParameter("district", CODE_OR_ID, required=False),
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["xlsx", "csv"], default="xlsx", required=False
            ),
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        query = UpwardRosterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        user = request.user
        if "school" in data:
            schools = schools_administered_by(user).filter(pk=data["school"])
            place = schools.first()
            if place is None:
                raise DomainError(_("No such school among those you administer."), field="school")
            district_id = place.district_id
        else:
            place = districts_administered_by(user).filter(pk=data["district"]).first()
            if place is None:
                raise DomainError(
                    _("No such district among those you administer."), field="district"
                )
            schools = School.objects.filter(district=place)
            district_id = place.pk
        term = Term.objects.filter(pk=data["term"], district_id=district_id).first()
        if term is None:
            raise DomainError(_("No such term in that district."), field="term")
        title = f"{place.name} {term.school_year} {term.code} 家庭经济困难学生名册"
        roster = upward_roster.upward_roster(term=term, schools=schools, title=title)
        access_record_request(
            request, action=AccessAction.EXPORT, kind="assessment", student_ids=roster.student_ids
        )
        if data["format"] == "csv":
            body, content_type = upward_roster.to_csv(roster), upward_roster.CSV_CONTENT_TYPE
        else:
            body, content_type = upward_roster.to_xlsx(roster), XLSX_CONTENT_TYPE
        response = HttpResponse(body, content_type=content_type)
        kind = "school" if isinstance(place, School) else "district"
        filename = f"upward-roster-{kind}-{place.pk}-{term.code}.{data['format']}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
