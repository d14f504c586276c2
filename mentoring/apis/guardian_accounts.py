"""/api/v1/students/{id}/guardian-account/: the bank account a student's subsidies are paid into.

For administrators of the student's school only (district administrators
hold the role in each school of their district); to anyone else the student
answers 404 like one that does not exist. The number goes in whole (PUT) and
comes back masked, here and everywhere else; each read is written to the
access log.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import BIGINT_MAX
from core.errors import validated_data
from core.serializers import StrictSerializer
from mentoring.models import AccessAction, GuardianAccount, Student
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import students_visible_to
from mentoring.services import guardian_accounts as services
from mentoring.services.access_log import access_record_request


class GuardianAccountSerializer(serializers.ModelSerializer):
    same_account_students = serializers.SerializerMethodField()

    class Meta:
        model = GuardianAccount
        fields = [
            "student",
            "holder_name",
            "bank_name",
            "number_masked",
            "same_account_students",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields

    def get_same_account_students(self, account) -> list[int]:
        """Other students of the reader's schools paid into the same account (siblings, a slip)."""
        return self.context["same_account_students"]


class GuardianAccountWriteSerializer(StrictSerializer):
    holder_name = serializers.CharField(max_length=50)
    bank_name = serializers.CharField(max_length=100)
    account_number = serializers.CharField(
        max_length=60, help_text=_("12 to 30 digits; spaces and dashes are left out.")
    )


def administered_student_or_404(user, pk) -> Student:
    """The student by a path id if `user` administers its school; 404 otherwise (too large too)."""
    try:
        student_id = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    student = None
    if 0 < student_id <= BIGINT_MAX:
        student = (
            students_visible_to(user)
            .filter(pk=student_id, school__in=schools_administered_by(user))
            .select_related("guardian_account")
            .first()
        )
    if student is None:
        raise NotFound()
    return student


STUDENT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The student's id.")


class GuardianAccountView(APIView):
    """The guardian's bank account of a student: read it masked, or record it (PUT)."""

    permission_classes = [IsAuthenticated]

    def _answer(self, request, account: GuardianAccount) -> Response:
        same = services.students_sharing_account(account, seen_by=request.user)
        return Response(
            GuardianAccountSerializer(account, context={"same_account_students": same}).data
        )

    @extend_schema(
        responses=GuardianAccountSerializer,
        operation_id="students_guardian_account_retrieve",
        parameters=[STUDENT_ID],
    )
    def get(self, request, pk):
        student = administered_student_or_404(request.user, pk)
        account = getattr(student, "guardian_account", None)
        if account is None:
            raise NotFound(_("No guardian's account is on record for this student."))
        access_record_request(
            request,
            action=AccessAction.READ,
            kind=GuardianAccount._meta.model_name,
            student_ids=[student.pk],
            object_id=account.pk,
        )
        return self._answer(request, account)

    @extend_schema(
        request=GuardianAccountWriteSerializer,
        responses=GuardianAccountSerializer,
        operation_id="students_guardian_account_update",
        parameters=[STUDENT_ID],
    )
    def put(self, request, pk):
        student = administered_student_or_404(request.user, pk)
        payload = GuardianAccountWriteSerializer(data=request.data)
        data = validated_data(
            payload, lambda errors, fields: services.guardian_account_problems(errors, **fields)
        )
        account = services.guardian_account_set(by=request.user, student=student, **data)
        return self._answer(request, account)
