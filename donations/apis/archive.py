"""/api/v1/students/{id}/archive/: a student's growth archive (成长档案), term by term.

Read by whoever may read the student's detail (`students_visible_to`); a
student outside that scope answers 404 like one that does not exist. Each
section is scoped by its own records' selector (donations.selectors.archive):
a section the reader may not see is null. Each read is written to the access
log, as a read of the student.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import BIGINT_MAX
from core.serializers import YuanField
from donations.models import Award, Disbursement
from donations.selectors import archive as selectors
from mentoring.models import (
    AccessAction,
    Assessment,
    AssessmentEvent,
    Pairing,
    RecheckChange,
    Student,
    StudentRecord,
    SubjectScore,
    TutoringSession,
)
from mentoring.services.access_log import access_record_request


class ArchiveRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = StudentRecord
        fields = list(selectors.RECORD_FIELDS)


class ArchiveScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubjectScore
        fields = ["id", "subject", "start_score", "end_score"]


class ArchiveEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.display_name", default=None, read_only=True)

    class Meta:
        model = AssessmentEvent
        fields = ["action", "from_status", "to_status", "at", "by", "note"]


class ArchiveAssessmentSerializer(serializers.ModelSerializer):
    events = ArchiveEventSerializer(many=True, read_only=True)
    # Declared: DRF drops `allow_blank` from a read-only model field, and the schema
    # then leaves out the blank of every assessment that is not a re-check.
    change = serializers.ChoiceField(
        choices=RecheckChange.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "route",
            # A spring re-check names the autumn identification it re-checks.
            "carried_from",
            "change",
            "status",
            "tier",
            "government_category",
            "notice_starts_on",
            "notice_ends_on",
            "decided_on",
            "events",
        ]


class ArchivePaymentSerializer(serializers.ModelSerializer):
    amount = YuanField(source="amount_fen", read_only=True)
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = Disbursement
        fields = ["id", "instalment", "amount", "method", "paid_on", "reversed"]

    def get_reversed(self, payment) -> bool:
        return payment.reversal_id is not None


class ArchiveAwardSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    source = serializers.CharField(source="project.source", read_only=True)
    amount = YuanField(source="amount_fen", read_only=True)
    paid = YuanField(source="paid_fen", read_only=True)
    payments = serializers.SerializerMethodField()

    class Meta:
        model = Award
        fields = [
            "id",
            "project",
            "project_name",
            "source",
            "purpose",
            "amount",
            "paid",
            "status",
            "payments",
        ]

    @extend_schema(responses=ArchivePaymentSerializer(many=True))
    def get_payments(self, award) -> list[dict]:
        return ArchivePaymentSerializer(selectors.payments_of(award), many=True).data


class ArchivePairingSerializer(serializers.ModelSerializer):
    mentor_name = serializers.CharField(source="mentor.user.display_name", read_only=True)

    class Meta:
        model = Pairing
        fields = ["id", "kind", "status", "mentor_name", "started_on", "ended_on"]


class ArchiveSessionSerializer(serializers.ModelSerializer):
    mentor_name = serializers.CharField(source="pairing.mentor.user.display_name", read_only=True)

    class Meta:
        model = TutoringSession
        fields = ["id", "date", "minutes", "subject", "kind", "content", "mentor_name"]


class TermArchiveSerializer(serializers.Serializer):
    term = serializers.IntegerField(source="term.pk")
    term_code = serializers.CharField(source="term.code")
    school_year = serializers.CharField(source="term.school_year")
    start_date = serializers.DateField(source="term.start_date")
    end_date = serializers.DateField(source="term.end_date")
    record = ArchiveRecordSerializer(allow_null=True)
    scores = ArchiveScoreSerializer(many=True)
    identification = ArchiveAssessmentSerializer(source="assessments", many=True, allow_null=True)
    aid = ArchiveAwardSerializer(source="awards", many=True, allow_null=True)
    pairings = ArchivePairingSerializer(many=True)
    sessions = ArchiveSessionSerializer(many=True)
    visits = ArchiveSessionSerializer(many=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        archive = self.context["archive"]
        if not archive.shows_identification:
            data["identification"] = None
        if not archive.shows_aid:
            data["aid"] = None
        return data


class YearTotalsSerializer(serializers.Serializer):
    school_year = serializers.CharField()
    awarded = YuanField(source="awarded_fen", allow_null=True)
    paid = YuanField(source="paid_fen", allow_null=True)
    sessions = serializers.IntegerField()
    session_minutes = serializers.IntegerField()
    visits = serializers.IntegerField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context["archive"].shows_aid:
            data["awarded"] = data["paid"] = None
        return data


class ArchiveStudentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    student_number = serializers.CharField()
    gender = serializers.CharField()
    school = serializers.CharField(source="school.code")
    school_name = serializers.CharField(source="school.name")


class GrowthArchiveSerializer(serializers.Serializer):
    student = ArchiveStudentSerializer()
    terms = TermArchiveSerializer(many=True)
    years = YearTotalsSerializer(many=True)


def archive_student_or_404(user, pk) -> Student:
    """The student by a path id if `user` may read the archive; 404 otherwise (too large too)."""
    try:
        student_id = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    student = None
    if 0 < student_id <= BIGINT_MAX:
        student = selectors.archive_student(user, student_id)
    if student is None:
        raise NotFound()
    return student


class StudentArchiveView(APIView):
    """A student's growth archive: identification, aid, pairings, sessions, visits and scores
    per term, with each school year's totals. Sections the reader may not see are null."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=GrowthArchiveSerializer,
        operation_id="students_archive_retrieve",
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The student's id.")
        ],
    )
    def get(self, request, pk):
        student = archive_student_or_404(request.user, pk)
        archive = selectors.growth_archive(user=request.user, student=student)
        body = GrowthArchiveSerializer(archive, context={"archive": archive}).data
        access_record_request(
            request,
            action=AccessAction.READ,
            kind="student",
            student_ids=[student.pk],
            object_id=student.pk,
        )
        return Response(body)
