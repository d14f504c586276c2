"""Families' applications, the investigation, the review committees and the upward roster.

- `GET applications/`, `GET applications/{id}/`: applications (phone masked);
  `POST applications/`: the class teacher records a family's application,
  which submits the student's assessment; `POST applications/{id}/confirm/`
  (`{"student"}`) and `.../decline/` (`{"reason"}`) settle one typed by the
  family on the public page (`/apply/`);
- `GET application-codes/`, `POST application-codes/` (`{"school", "term"}`;
  an open code of that term is closed: rotation), `POST application-codes/{id}/close/`;
- `GET review-committees/`, `GET review-committees/{id}/`, `POST review-committees/`
  with its members;
- `POST assessments/{id}/investigate/`: the investigation with its home visit
  (`submitted → investigated`); `POST assessments/{id}/committee-decision/`:
  the class or school committee's decision, which takes the review step;
- `GET rosters/upward/?term=&school=|district=&format=xlsx|csv`: the upward
  roster (名册上报), for administrators, recorded in the access log.

The rules live in `mentoring.services.applications`, `.committees` and
`.upward_roster`; this module validates and serialises.
"""

import django_filters
from django.db.models import Count
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError, validated_data
from core.filters import NumberFilter
from core.http import XLSX_CONTENT_TYPE
from core.permissions import IsAdministrator
from core.serializers import NoBody, QuerySerializer, StrictSerializer, YuanField
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.assessments import AssessmentDetailSerializer, ProposesStudents
from mentoring.apis.roster import IgnoreFormatNegotiation
from mentoring.models import (
    AccessAction,
    ApplicantRelation,
    Application,
    ApplicationCode,
    ApplicationSource,
    ApplicationStatus,
    Assessment,
    CommitteeDecision,
    CommitteeOutcome,
    CommitteeRole,
    HardshipKind,
    Investigation,
    ReviewCommittee,
    ReviewStage,
    School,
    Term,
)
from mentoring.selectors import applications as selectors
from mentoring.selectors import identification as assessment_selectors
from mentoring.selectors.accounts import districts_administered_by, schools_administered_by
from mentoring.services import applications as services
from mentoring.services import committees as committee_services
from mentoring.services import upward_roster
from mentoring.services.access_log import access_record_request

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
    term = serializers.IntegerField(min_value=1)
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
    school = NumberFilter()
    term = NumberFilter()
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
    school = serializers.IntegerField(min_value=1)
    term = serializers.IntegerField(min_value=1)


class ApplicationCodeFilter(django_filters.FilterSet):
    school = NumberFilter()
    term = NumberFilter()

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


# Review committees


class CommitteeMemberSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(choices=CommitteeRole.choices)


class ReviewCommitteeSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    term_code = serializers.CharField(source="term.code", read_only=True)
    members = CommitteeMemberSerializer(many=True, read_only=True)
    decisions = serializers.IntegerField(read_only=True, source="decision_count")

    class Meta:
        model = ReviewCommittee
        fields = [
            "id",
            "school",
            "school_name",
            "term",
            "term_code",
            "stage",
            "class_name",
            "name",
            "members",
            "decisions",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReviewCommitteeCreateSerializer(StrictSerializer):
    school = serializers.IntegerField(min_value=1)
    term = serializers.IntegerField(min_value=1)
    stage = serializers.ChoiceField(choices=ReviewStage.choices)
    class_name = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The class a class review group reviews; blank: the whole school."),
    )
    name = serializers.CharField(max_length=100)
    members = CommitteeMemberSerializer(many=True, max_length=committee_services.MAX_MEMBERS)


class ReviewCommitteeFilter(django_filters.FilterSet):
    school = NumberFilter()
    term = NumberFilter()
    stage = django_filters.ChoiceFilter(choices=ReviewStage.choices)

    class Meta:
        model = ReviewCommittee
        fields = ["school", "term", "stage"]


class ReviewCommitteeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The schools' review committees with their members; administrators only.

    Filters: `school`, `term`, `stage`.
    """

    permission_classes = [IsAuthenticated, IsAdministrator]
    queryset = ReviewCommittee.objects.none()  # for the schema
    serializer_class = ReviewCommitteeSerializer
    filterset_class = ReviewCommitteeFilter

    def get_queryset(self):
        return (
            selectors.committees_visible_to(self.request.user)
            .select_related("school", "term")
            .prefetch_related("members")
            .annotate(decision_count=Count("decisions", distinct=True))
            .order_by("-term__start_date", "school__code", "stage", "class_name", "pk")
        )

    @extend_schema(
        request=ReviewCommitteeCreateSerializer, responses={201: ReviewCommitteeSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            ReviewCommitteeCreateSerializer(data=request.data),
            lambda errors, fields: committee_services.committee_create_problems(
                errors,
                by=request.user,
                school_id=fields.get("school"),
                term_id=fields.get("term"),
                stage=fields.get("stage"),
                class_name=fields.get("class_name"),
                name=fields.get("name"),
                members=fields.get("members"),
            ),
        )
        committee = committee_services.committee_create(
            by=request.user,
            school_id=data["school"],
            term_id=data["term"],
            stage=data["stage"],
            class_name=data["class_name"],
            name=data["name"],
            members=data["members"],
        )
        fresh = self.get_queryset().get(pk=committee.pk)
        return Response(ReviewCommitteeSerializer(fresh).data, status=status.HTTP_201_CREATED)


# The steps of an assessment that rest on these records


class InvestigateSerializer(StrictSerializer):
    investigated_on = serializers.DateField()
    investigators = serializers.CharField(
        max_length=200, help_text=gettext_lazy("Who investigated, e.g. the class teacher's name.")
    )
    findings = serializers.CharField(max_length=TEXT)
    visited_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The day of the home visit, when it is not a logged session."),
    )
    visit_session = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("A logged home-visit session of one of the student's pairings."),
    )


class InvestigationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Investigation
        fields = [
            "id",
            "assessment",
            "investigated_on",
            "investigators",
            "findings",
            "visited_on",
            "visit_session",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CommitteeDecisionRequestSerializer(StrictSerializer):
    committee = serializers.IntegerField(min_value=1)
    decided_on = serializers.DateField()
    members_present = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=60
    )
    outcome = serializers.ChoiceField(choices=CommitteeOutcome.choices)
    votes_for = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    votes_against = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    votes_abstaining = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None
    )
    tier = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("At the school stage, when agreed: the tier proposed."),
    )
    note = serializers.CharField(max_length=TEXT)


class CommitteeDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitteeDecision
        fields = [
            "id",
            "committee",
            "assessment",
            "stage",
            "decided_on",
            "outcome",
            "members_present",
            "votes_for",
            "votes_against",
            "votes_abstaining",
            "tier",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class AssessmentStepResultSerializer(serializers.Serializer):
    record = serializers.DictField(help_text=gettext_lazy("The investigation or the decision."))
    assessment = AssessmentDetailSerializer()


class AssessmentStepViewSet(viewsets.GenericViewSet):
    """An assessment's steps that rest on a record: the investigation, the committees' decisions.

    A foreign assessment answers 404; a step out of order 409; a teacher at a
    committee's stage 403.
    """

    permission_classes = [IsAuthenticated, ProposesStudents]
    queryset = Assessment.objects.none()  # for the schema

    def get_queryset(self):
        return assessment_selectors.assessments_visible_to(self.request.user).select_related(
            "student__school", "term__district"
        )

    def _answer(self, record_body: dict, assessment, code: int):
        visible = assessment_selectors.assessment_detail(
            assessment_selectors.assessments_visible_to(self.request.user)
        )
        fresh = visible.get(pk=assessment.pk)
        user = self.request.user
        context = {
            "roles": assessment_selectors.roles_by_school(user),
            "is_platform_admin": bool(user.is_platform_admin),
            "today": timezone.localdate(),
        }
        body = {
            "record": record_body,
            "assessment": AssessmentDetailSerializer(fresh, context=context).data,
        }
        return Response(body, status=code)

    @extend_schema(request=InvestigateSerializer, responses={201: AssessmentStepResultSerializer})
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        """Record the class teacher's investigation with its home visit; the assessment is then
        `investigated`. An investigation without a visit is refused."""
        assessment = self.get_object()
        services.check_may_investigate(by=request.user, assessment=assessment)
        data = validated_data(
            InvestigateSerializer(data=request.data),
            lambda errors, fields: services.investigation_problems(
                errors,
                assessment=assessment,
                investigated_on=fields.get("investigated_on"),
                investigators=fields.get("investigators"),
                findings=fields.get("findings"),
                visited_on=fields.get("visited_on"),
                visit_session_id=fields.get("visit_session"),
            ),
        )
        investigation = services.investigation_record(
            by=request.user,
            assessment=assessment,
            investigated_on=data["investigated_on"],
            investigators=data["investigators"],
            findings=data["findings"],
            visited_on=data["visited_on"],
            visit_session_id=data["visit_session"],
        )
        return self._answer(
            InvestigationSerializer(investigation).data, assessment, status.HTTP_201_CREATED
        )

    @extend_schema(
        request=CommitteeDecisionRequestSerializer,
        responses={201: AssessmentStepResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="committee-decision")
    def committee_decision(self, request, pk=None):
        """Record the class or school committee's decision: agreed takes the review step,
        not agreed rejects the application with the note as its reason."""
        assessment = self.get_object()
        stage = committee_services.check_may_decide(by=request.user, assessment=assessment)

        def problems(errors, fields):
            committee_services.committee_decision_problems(
                errors,
                assessment=assessment,
                stage=stage,
                committee_id=fields.get("committee"),
                decided_on=fields.get("decided_on"),
                members_present=fields.get("members_present"),
                outcome=fields.get("outcome"),
                votes=(
                    fields.get("votes_for"),
                    fields.get("votes_against"),
                    fields.get("votes_abstaining"),
                ),
                tier=fields.get("tier"),
                note=fields.get("note"),
            )

        data = validated_data(CommitteeDecisionRequestSerializer(data=request.data), problems)
        decision = committee_services.committee_decide(
            by=request.user,
            assessment=assessment,
            committee_id=data["committee"],
            decided_on=data["decided_on"],
            members_present=data["members_present"],
            outcome=data["outcome"],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            votes_abstaining=data["votes_abstaining"],
            tier=data["tier"],
            note=data["note"],
        )
        return self._answer(
            CommitteeDecisionSerializer(decision).data, assessment, status.HTTP_201_CREATED
        )


# The upward roster


class UpwardRosterQuerySerializer(QuerySerializer):
    term = serializers.IntegerField(min_value=1)
    school = serializers.IntegerField(min_value=1, required=False)
    district = serializers.IntegerField(min_value=1, required=False)
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
            OpenApiParameter("term", OpenApiTypes.INT, required=True),
            OpenApiParameter("school", OpenApiTypes.INT, required=False),
            OpenApiParameter("district", OpenApiTypes.INT, required=False),
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
