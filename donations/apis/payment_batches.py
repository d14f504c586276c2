"""/api/v1/payment-batches/: the bank's payment list out, its result in, and the cash sign-off
sheet (签领表) printed and recorded as signed; each payment posted once.

Administrators of the batch's school only (district administrators hold the
role in each school of their district); to anyone else a batch answers 404
like one that does not exist. Account numbers are masked in every answer;
the whole number is only in the bank file, whose every export is written to
the access log, as are the detail (students' names) and the sign-off sheet.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.documents import PDF_CONTENT_TYPE
from core.errors import Conflict, validated_data
from core.parsers import JSONParser, MultiPartParser
from core.permissions import IsAdministrator
from core.serializers import QuerySerializer, StrictSerializer, YuanField
from donations.apis.codes import project_field
from donations.apis.common import created
from donations.models import PaymentBatch, PaymentBatchRow, PaymentMethod
from donations.selectors.payment_batches import payment_batches_visible_to
from donations.services import payment_documents, payment_files
from donations.services.payment_batches import (
    payment_batch_columns_problems,
    payment_batch_columns_set,
    payment_batch_create,
    payment_batch_create_problems,
    payment_batch_export,
    payment_batch_results,
    payment_batch_signed,
)
from mentoring.apis.codes import school_field, term_field
from mentoring.models import AccessAction
from mentoring.services.access_log import access_record_request
from mentoring.services.roster_files import read_upload


class PaymentBatchRowSerializer(serializers.ModelSerializer):
    student = serializers.IntegerField(source="award.student_id", read_only=True)
    student_name = serializers.CharField(source="award.student.name", read_only=True)
    amount = YuanField(source="amount_fen", read_only=True)

    class Meta:
        model = PaymentBatchRow
        fields = [
            "number",
            "award",
            "instalment",
            "student",
            "student_name",
            "amount",
            "holder_name",
            "bank_name",
            "number_masked",
            "status",
            "reason",
            "disbursement",
        ]
        read_only_fields = fields


class PaymentBatchSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    term_label = serializers.CharField(source="term.label", read_only=True)
    row_count = serializers.IntegerField(read_only=True)
    due_count = serializers.IntegerField(read_only=True)
    paid_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)
    total = YuanField(source="total_fen", read_only=True)
    paid = YuanField(source="paid_fen", read_only=True)

    class Meta:
        model = PaymentBatch
        fields = [
            "id",
            "school",
            "project",
            "term",
            "term_label",
            "method",
            "columns",
            "left_out",
            "row_count",
            "due_count",
            "paid_count",
            "failed_count",
            "total",
            "paid",
            "created_by",
            "created_at",
            "exported_at",
        ]
        read_only_fields = fields


class PaymentBatchDetailSerializer(PaymentBatchSerializer):
    rows = PaymentBatchRowSerializer(many=True, read_only=True)

    class Meta(PaymentBatchSerializer.Meta):
        fields = [*PaymentBatchSerializer.Meta.fields, "rows"]
        read_only_fields = fields


class PaymentBatchCreateSerializer(StrictSerializer):
    school = school_field()
    project = project_field()
    term = term_field()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    columns = serializers.JSONField(
        required=False,
        help_text=_(
            "The bank file's columns in order, as [field, header] pairs; by default the "
            "district's last ones, or 序号/姓名/账号/开户行/金额/备注."
        ),
    )


class PaymentBatchColumnsSerializer(StrictSerializer):
    columns = serializers.JSONField(
        help_text=_(
            "The bank file's columns in order, as [field, header] pairs; they change until "
            "the bank's list is first exported."
        ),
    )


class ExportQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")


class SheetQuerySerializer(QuerySerializer):
    format = serializers.ChoiceField(choices=["pdf", "xlsx"], default="pdf")


class ResultsSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text=_("The bank's result, .xlsx or .csv: 序号, 结果 (成功/失败), 失败原因, …")
    )
    paid_on = serializers.DateField(
        required=False, help_text=_("The day the bank paid, where a row gives none; today.")
    )


class SignedSerializer(StrictSerializer):
    rows = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=10_000
    )
    file = serializers.FileField(
        required=False,
        help_text=_(
            "The sheet's XLSX twin with 学生签名 and 家长签名 marked 是 on the signed rows."
        ),
    )
    signed_on = serializers.DateField(required=False)

    def validate(self, attrs):
        if ("rows" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(
                {"rows": [_("Give either the signed rows or the signed sheet's file.")]}
            )
        return attrs


class OutcomeSerializer(serializers.Serializer):
    paid = serializers.IntegerField()
    failed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    batch = PaymentBatchDetailSerializer()


class FileNegotiation(DefaultContentNegotiation):
    """`?format=` names the file to answer; the body's parser follows its content type."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


FORMAT = OpenApiParameter("format", OpenApiTypes.STR, required=False)


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PaymentBatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payment batches of a school's awards of a project in a term, by transfer or in cash.

    Creating one lists every instalment due; a transfer without a guardian's
    account on record is named in `left_out`, never dropped silently.
    """

    queryset = PaymentBatch.objects.none()
    serializer_class = PaymentBatchSerializer
    permission_classes = [IsAuthenticated, IsAdministrator]
    content_negotiation_class = FileNegotiation
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return payment_batches_visible_to(self.request.user, with_rows=self.action != "list")

    def get_serializer_class(self):
        if self.action == "list":
            return PaymentBatchSerializer
        return PaymentBatchDetailSerializer

    def _students(self, batch) -> list[int]:
        return [row.award.student_id for row in batch.rows.all()]

    def retrieve(self, request, *args, **kwargs):
        batch = self.get_object()
        access_record_request(
            request,
            action=AccessAction.READ,
            kind=PaymentBatch._meta.model_name,
            student_ids=self._students(batch),
            object_id=batch.pk,
        )
        return Response(self.get_serializer(batch).data)

    @extend_schema(
        request=PaymentBatchCreateSerializer, responses={201: PaymentBatchDetailSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            PaymentBatchCreateSerializer(data=request.data),
            lambda errors, fields: payment_batch_create_problems(
                errors,
                by=request.user,
                school_id=fields.get("school"),
                project_id=fields.get("project"),
                term_id=fields.get("term"),
                method=fields.get("method"),
                columns=fields.get("columns"),
            ),
        )
        batch = payment_batch_create(
            by=request.user,
            school_id=data["school"],
            project_id=data["project"],
            term_id=data["term"],
            method=data["method"],
            columns=data.get("columns"),
        )
        return created(self, batch)

    @extend_schema(
        request=PaymentBatchColumnsSerializer, responses={200: PaymentBatchDetailSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        """Map the bank list's columns; 409 once the list has been exported, or for cash."""
        batch = self.get_object()
        data = validated_data(
            PaymentBatchColumnsSerializer(data=request.data),
            lambda errors, fields: (
                payment_batch_columns_problems(errors, columns=fields["columns"])
                if "columns" in fields
                else None
            ),
        )
        payment_batch_columns_set(by=request.user, batch_id=batch.pk, columns=data["columns"])
        return self.retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=[FORMAT],
        responses={
            (200, payment_files.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The bank's payment list of the rows still due, with whole account numbers (logged)."""
        batch = self.get_object()
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data["format"]
        batch, rows = payment_batch_export(batch=batch)
        access_record_request(
            request,
            action=AccessAction.EXPORT,
            kind=PaymentBatch._meta.model_name,
            student_ids=[row["student_id"] for row in rows],
            object_id=batch.pk,
        )
        filename = f"payment-list-{batch.term.code}-{batch.school.code}-{batch.pk}.{kind}"
        if kind == "csv":
            body = payment_files.bank_list_csv(rows, batch.columns)
            return _file(body, payment_files.CSV_CONTENT_TYPE, filename)
        body = payment_files.bank_list_xlsx(rows, batch.columns, title=batch.project.code)
        return _file(body, payment_files.XLSX_CONTENT_TYPE, filename)

    def _outcome(self, request, batch_id: int, outcome: dict) -> Response:
        batch = self.get_queryset().get(pk=batch_id)
        access_record_request(
            request,
            action=AccessAction.READ,
            kind=PaymentBatch._meta.model_name,
            student_ids=self._students(batch),
            object_id=batch.pk,
        )
        return Response(
            OutcomeSerializer(
                {**outcome, "batch": batch}, context=self.get_serializer_context()
            ).data
        )

    @extend_schema(request={"multipart/form-data": ResultsSerializer}, responses=OutcomeSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def results(self, request, pk=None):
        """The bank's result: each paid row posts its payment once, each failed row stays due."""
        batch = self.get_object()
        payload = ResultsSerializer(data=request.data)
        data = validated_data(payload, lambda errors, fields: None)
        upload = data["file"]
        outcome = payment_batch_results(
            by=request.user,
            batch_id=batch.pk,
            data=read_upload(upload, upload.size),
            filename=upload.name,
            paid_on=data.get("paid_on") or timezone.localdate(),
        )
        return self._outcome(request, batch.pk, outcome)

    @extend_schema(
        parameters=[FORMAT],
        responses={
            (200, PDF_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, payment_files.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], url_path="sign-off-sheet")
    def sign_off_sheet(self, request, pk=None):
        """The cash sign-off sheet (签领表) to print (PDF), or its XLSX twin to mark and upload."""
        batch = self.get_object()
        query = SheetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data["format"]
        if batch.method != PaymentMethod.CASH:
            raise Conflict(gettext("A transfer batch has a bank list, not a sign-off sheet."))
        rows = payment_documents.sign_off_rows(batch)
        access_record_request(
            request,
            action=AccessAction.EXPORT,
            kind=PaymentBatch._meta.model_name,
            student_ids=[row["student_id"] for row in rows],
            object_id=batch.pk,
        )
        filename = f"sign-off-{batch.term.code}-{batch.school.code}-{batch.pk}.{kind}"
        if kind == "xlsx":
            body = payment_documents.sign_off_sheet_xlsx(batch, rows)
            return _file(body, payment_files.XLSX_CONTENT_TYPE, filename)
        body = payment_documents.sign_off_sheet_pdf(batch, rows)
        return _file(body, PDF_CONTENT_TYPE, filename)

    @extend_schema(request=SignedSerializer, responses=OutcomeSerializer)
    @action(detail=True, methods=["post"])
    def signed(self, request, pk=None):
        """Record the signed rows of the cash sheet: their payments posted, signatures recorded."""
        batch = self.get_object()
        data = validated_data(SignedSerializer(data=request.data), lambda errors, fields: None)
        upload = data.get("file")
        outcome = payment_batch_signed(
            by=request.user,
            batch_id=batch.pk,
            signed_on=data.get("signed_on") or timezone.localdate(),
            rows=data.get("rows"),
            data=read_upload(upload, upload.size) if upload else None,
            filename=upload.name if upload else "",
        )
        return self._outcome(request, batch.pk, outcome)
