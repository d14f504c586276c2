"""Families' applications and the codes that open the families' page.

- `GET applications/`, `GET applications/{id}/`: applications (phone masked);
  `POST applications/`: the class teacher records a family's application,
  which submits the student's assessment; `POST applications/{id}/confirm/`
  (`{"student"}`) and `.../decline/` (`{"reason"}`) settle one typed by the
  family on the public page (`/apply/`);
- `GET application-codes/`, `POST application-codes/` (`{"school", "term"}`;
  an open code of that term is closed: rotation), `POST application-codes/{id}/close/`.

The review committees and the steps resting on them are in
`mentoring.apis.review_committees`, the upward roster in `mentoring.apis.upward_roster`.
The rules live in `mentoring.services.applications`; this module validates
and serialises.
"""

import django_filters
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.permissions import IsAdministrator
from core.serializers import NoBody, StrictSerializer, YuanField
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.assessments import ProposesStudents
from mentoring.apis.codes import school_field, school_filter, term_field, term_filter
from mentoring.models import (
    ApplicantRelation,
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    HardshipKind,
)
from mentoring.selectors import applications as selectors
from mentoring.services import applications as services

TEXT = services.MAX_TEXT_LENGTH


# Applications


class ApplicationSerializer(serializers.ModelSerializer):
    """An application as the school's staff see it; the applicant's phone masked."""

    school_name = serializers.CharField(source="school.name", read_only=True)
    term_code = serializers.CharField(source="term.code", read_only=True)
    student = serializers.IntegerField(
        source="assessment.student_id", read_only=True, allow_null=True, default=None
    )
    student_name = serializers.CharField(
        source="assessment.student.name", read_only=True, allow_null=True, default=None
    )
    guardian_phone_masked = serializers.SerializerMethodField()
    income_per_capita = YuanField(source="income_per_capita_fen", read_only=True, allow_null=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "school",
            "school_name",
            "term",
            "term_code",
            "source",
            "status",
            "assessment",
            "student",
            "student_name",
            "child_name",
            "grade",
            "class_name",
            "guardian_name",
            "guardian_relation",
            "guardian_phone_masked",
            "hardship_kinds",
            "income_per_capita",
            "circumstances",
            "commitment",
            "submitted_at",
            "recorded_by",
            "decided_by",
            "decided_at",
            "declined_reason",
        ]
        read_only_fields = fields

    def get_guardian_phone_masked(self, application) -> str:
        return services.mask_phone(application.guardian_phone)


class ApplicationRecordSerializer(StrictSerializer):
    student = serializers.IntegerField(min_value=1)
    term = term_field()
    guardian_name = serializers.CharField(max_length=50)
    guardian_relation = serializers.ChoiceField(choices=ApplicantRelation.choices)
    guardian_phone = serializers.RegexField(r"^[0-9+\- ]{7,20}$", max_length=20)
    hardship_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=HardshipKind.choices), max_length=20
    )
    income_per_capita = YuanField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=10_000_000,
        help_text=gettext_lazy("Yearly income per person in the household, in yuan."),
    )
    circumstances = serializers.CharField(max_length=TEXT)
    commitment = serializers.CharField(
        max_length=TEXT,
        help_text=gettext_lazy("The family's written commitment (承诺书)."),
    )


class ApplicationConfirmSerializer(StrictSerializer):
    student = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("The student on the roster the application is for.")
    )


class ApplicationDeclineSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=TEXT)


class ApplicationFilter(django_filters.FilterSet):
    school = school_filter()
    term = term_filter()
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    source = django_filters.ChoiceFilter(choices=ApplicationSource.choices)

    class Meta:
        model = Application
        fields = ["school", "term", "status", "source"]


class ApplicationViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Families' applications: recorded by the class teacher, or typed on the public page.

    Filters: `school`, `term`, `status`, `source`.
    """

    access_student = "student_id_or_none"
    permission_classes = [IsAuthenticated, ProposesStudents]
    queryset = Application.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter

    def get_queryset(self):
        return selectors.application_list(
            selectors.applications_visible_to(self.request.user)
        ).order_by("-submitted_at", "-pk")

    def _fresh(self, application, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(ApplicationSerializer(fresh).data, status=code)

    @extend_schema(request=ApplicationRecordSerializer, responses={201: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        def problems(errors, fields):
            services.application_record_problems(
                errors,
                by=request.user,
                student_id=fields.get("student"),
                term_id=fields.get("term"),
                guardian_name=fields.get("guardian_name"),
                guardian_phone=fields.get("guardian_phone"),
                hardship_kinds=fields.get("hardship_kinds"),
                circumstances=fields.get("circumstances"),
                commitment=fields.get("commitment"),
            )

        data = validated_data(ApplicationRecordSerializer(data=request.data), problems)
        application = services.application_record(
            by=request.user,
            student_id=data["student"],
            term_id=data["term"],
            guardian_name=data["guardian_name"],
            guardian_relation=data["guardian_relation"],
            guardian_phone=data["guardian_phone"],
            hardship_kinds=data["hardship_kinds"],
            income_per_capita_fen=data["income_per_capita"],
            circumstances=data["circumstances"],
            commitment=data["commitment"],
        )
        return self._fresh(application, status.HTTP_201_CREATED)

    @extend_schema(request=ApplicationConfirmSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        application = self.get_object()
        data = validated_data(
            ApplicationConfirmSerializer(data=request.data),
            lambda errors, fields: services.application_confirm_problems(
                errors, by=request.user, application=application, student_id=fields.get("student")
            ),
        )
        application = services.application_confirm(
            by=request.user, application=application, student_id=data["student"]
        )
        return self._fresh(application)

    @extend_schema(request=ApplicationDeclineSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        application = self.get_object()
        payload = ApplicationDeclineSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        application = services.application_decline(
            by=request.user, application=application, reason=payload.validated_data["reason"]
        )
        return self._fresh(application)


# Application codes


class ApplicationCodeSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    term_code = serializers.CharField(source="term.code", read_only=True)
    is_open = serializers.SerializerMethodField()
    link = serializers.SerializerMethodField(
        help_text=gettext_lazy("The public page's address, to print with the code.")
    )

    class Meta:
        model = ApplicationCode
        fields = [
            "id",
            "school",
            "school_name",
            "term",
            "term_code",
            "code",
            "is_open",
            "link",
            "created_by",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_is_open(self, code) -> bool:
        return code.closed_at is None

    def get_link(self, code) -> str:
        path = reverse("apply:form", kwargs={"code": code.code})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ApplicationCodeOpenSerializer(StrictSerializer):
    school = school_field()
    term = term_field()


class ApplicationCodeFilter(django_filters.FilterSet):
    school = school_filter()
    term = term_filter()

    class Meta:
        model = ApplicationCode
        fields = ["school", "term"]


class ApplicationCodeViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The codes schools print for families to apply online; administrators only.

    `POST` opens a code for a school's term, closing the open one (rotation).
    Filters: `school`, `term`.
    """

    permission_classes = [IsAuthenticated, IsAdministrator]
    queryset = ApplicationCode.objects.none()  # for the schema
    serializer_class = ApplicationCodeSerializer
    filterset_class = ApplicationCodeFilter

    def get_queryset(self):
        return (
            selectors.application_codes_visible_to(self.request.user)
            .select_related("school", "term")
            .order_by("-created_at", "-pk")
        )

    @extend_schema(
        request=ApplicationCodeOpenSerializer, responses={201: ApplicationCodeSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ApplicationCodeOpenSerializer(data=request.data),
            lambda errors, fields: services.application_code_problems(
                errors, by=request.user, school_id=fields.get("school"), term_id=fields.get("term")
            ),
        )
        code = services.application_code_open(
            by=request.user, school_id=data["school"], term_id=data["term"]
        )
        fresh = self.get_queryset().get(pk=code.pk)
        body = ApplicationCodeSerializer(fresh, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoBody, responses=ApplicationCodeSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        code = self.get_object()
        NoBody(data=request.data).is_valid(raise_exception=True)
        code = services.application_code_close(by=request.user, code=code)
        fresh = self.get_queryset().get(pk=code.pk)
        return Response(ApplicationCodeSerializer(fresh, context={"request": request}).data)
