"""/api/v1/public/donations/: the published donation notice, no login."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.money import yuan
from donations.selectors.totals import public_donation_notice


class PublicDonationNotice(APIView):
    """The published donation notice (捐赠公示) of a district: totals only, no login.

    `?district=<code>` is required. Anonymous donors appear as anonymous;
    no student is named.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("district", str, OpenApiParameter.QUERY, required=True)],
        responses=dict,
    )
    def get(self, request):
        code = request.query_params.get("district", "").strip()
        notice = public_donation_notice(district_code=code)

        return Response(
            {
                "district": code,
                # The complaint line (举报电话) on every notice the district publishes.
                "complaint_line": notice["complaint_line"],
                "donors": [
                    {
                        "donor": row["donor"] or _("Anonymous"),
                        "money": yuan(row["money_fen"]),
                        "items": [
                            {
                                "item": i["item_kind__name"],
                                "unit": i["item_kind__unit"],
                                "quantity": i["quantity"],
                                "value": yuan(i["value"]),
                            }
                            for i in row["items"]
                        ],
                    }
                    for row in notice["donors"]
                ],
                "projects_received": [
                    {
                        "project": p["code"],
                        "name": p["name"],
                        "received": yuan(p["received"]),
                    }
                    for p in notice["projects_received"]
                ],
                "paid_out": [
                    {
                        "project": p["award__project__code"],
                        "name": p["award__project__name"],
                        "paid": yuan(p["paid"]),
                        "payments": p["payments"],
                    }
                    for p in notice["paid_out"]
                ],
                "items_given": [
                    {
                        "item": i["item_kind__name"],
                        "unit": i["item_kind__unit"],
                        "quantity": i["quantity"],
                    }
                    for i in notice["items_given"]
                ],
            }
        )
