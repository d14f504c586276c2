"""Students and their archive.

Administrators of a student's school see the whole archive (never the whole
ID number: only its masked form), and record the guardian's bank account at
`students/{id}/guardian-account/` (never shown whole either). A mentor sees
its own mentees with what tutoring and home visits need: no ID number, birth
date, income, hardship indicators or bank account. Donors and supervisors see
no student.
"""

import django_filters
from django.core.validators import EMPTY_VALUES
from django.db.models import Prefetch, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.filters import NumberFilter
from core.serializers import ReadsFieldsDirectly, StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_field, school_filter, term_filter
from mentoring.models import (
    Gender,
    HardshipIndicator,
    SchoolLevel,
    Student,
    StudentRecord,
    SubjectScore,
)
from mentoring.selectors.accounts import schools_administered_by
from mentoring.selectors.scoping import students_visible_to
from mentoring.services import students as services


class SubjectScoreSerializer(ReadsFieldsDirectly, serializers.ModelSerializer):
    class Meta:
        model = SubjectScore
        fields = ["subject", "start_score", "end_score"]


def mentor_fields_optional(result, generator, request, public):
    """drf-spectacular hook: a mentor's student leaves out the administrators' fields.

    StudentSerializer.to_representation keeps only MENTOR_FIELDS (and
    MENTOR_RECORD_FIELDS of each record) for a reader who does not administer
    the student's school, so the schema may require only those.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for name, kept in (("Student", MENTOR_FIELDS), ("StudentRecord", MENTOR_RECORD_FIELDS)):
        if name in schemas and "required" in schemas[name]:
            schemas[name]["required"] = [f for f in schemas[name]["required"] if f in kept]
    return result


class StudentRecordSerializer(ReadsFieldsDirectly, serializers.ModelSerializer):
    term = serializers.CharField(source="term.code", read_only=True)
    # Prefetched into a list by StudentViewSet.get_queryset (RECORDS).
    scores = SubjectScoreSerializer(source="listed_scores", many=True, read_only=True)
    income_per_capita = serializers.SerializerMethodField()

    class Meta:
        model = StudentRecord
        fields = [
            "term",
            "level",
            "grade",
            "class_name",
            "boarding",
            "household_size",
            "income_per_capita",
            "disabled",
            "struggling",
            "weak_subjects",
            "scores",
        ]

    def get_income_per_capita(self, record) -> str | None:
        if record.income_per_capita_fen is None:
            return None
        yuan, fen = divmod(record.income_per_capita_fen, 100)
        return f"{yuan}.{fen:02d}"


class HardshipIndicatorSerializer(ReadsFieldsDirectly, serializers.ModelSerializer):
    class Meta:
        model = HardshipIndicator
        fields = ["kind", "source", "recorded_on", "note"]


# What a mentor may see of its mentee; everything else is for administrators.
MENTOR_FIELDS = {
    "id",
    "school",
    "student_number",
    "name",
    "gender",
    "village",
    "guardian_name",
    "guardian_phone",
    "records",
}
MENTOR_RECORD_FIELDS = {
    "term",
    "level",
    "grade",
    "class_name",
    "boarding",
    "struggling",
    "weak_subjects",
    "scores",
}


class StudentSerializer(ReadsFieldsDirectly, serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Prefetched into lists by StudentViewSet.get_queryset (RECORDS, INDICATORS).
    records = StudentRecordSerializer(source="listed_records", many=True, read_only=True)
    indicators = HardshipIndicatorSerializer(source="listed_indicators", many=True, read_only=True)
    guardian_account_masked = serializers.SerializerMethodField()

    class Meta:
        model = Student
        fields = [
            "id",
            "school",
            "student_number",
            "name",
            "gender",
            "birth_date",
            "id_masked",
            "village",
            "committee",
            "guardian_name",
            "guardian_phone",
            "guardian_consents_to_name",
            "guardian_account_masked",
            "records",
            "indicators",
            "created_at",
        ]

    def get_guardian_account_masked(self, student) -> str | None:
        """The masked number of the guardian's account (select_related by the view), or None."""
        account = getattr(student, "guardian_account", None)
        return account.number_masked if account else None

    def to_representation(self, student):
        if student.school_id in self.context["administered_school_ids"]:
            return super().to_representation(student)
        return self.mentee_view.to_representation(student)

    @cached_property
    def mentee_view(self) -> "MenteeSerializer":
        # One per list, like this serializer itself (a list's child serves every row).
        return MenteeSerializer(context=self.context)


class MenteeRecordSerializer(StudentRecordSerializer):
    """A term record as its student's mentor sees it: MENTOR_RECORD_FIELDS only."""

    class Meta(StudentRecordSerializer.Meta):
        fields = [f for f in StudentRecordSerializer.Meta.fields if f in MENTOR_RECORD_FIELDS]


class MenteeSerializer(ReadsFieldsDirectly, serializers.ModelSerializer):
    """A student as a mentor who does not administer its school sees it: MENTOR_FIELDS only.

    The fields left out are never read, so nothing an administrator alone may
    see is computed for a mentor (nor its indicators fetched: StudentViewSet).
    """

    school = serializers.SlugRelatedField(slug_field="code", read_only=True)
    records = MenteeRecordSerializer(source="listed_records", many=True, read_only=True)

    class Meta:
        model = Student
        fields = [f for f in StudentSerializer.Meta.fields if f in MENTOR_FIELDS]


class StudentWriteSerializer(StrictSerializer):
    school = school_field()
    student_number = serializers.RegexField(r"^[0-9A-Za-z]{1,32}$", max_length=32)
    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices)
    birth_date = serializers.DateField()
    id_number = serializers.CharField(max_length=30, write_only=True)
    village = serializers.CharField(max_length=100, required=False, allow_blank=True)
    committee = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("The village committee of the family's residence (village-committees/)."),
    )
    guardian_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    guardian_phone = serializers.RegexField(
        r"^[0-9+\- ]{5,20}$", max_length=20, required=False, allow_blank=True
    )
    guardian_consents_to_name = serializers.BooleanField(required=False)


class StudentUpdateSerializer(StudentWriteSerializer):
    school = None

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class StudentFilter(django_filters.FilterSet):
    school = school_filter(field_name="school")
    term = term_filter(field_name="records__term")
    level = django_filters.ChoiceFilter(choices=SchoolLevel.choices, field_name="records__level")
    grade = NumberFilter(field_name="records__grade")
    class_name = django_filters.CharFilter(field_name="records__class_name")
    struggling = django_filters.BooleanFilter(field_name="records__struggling")
    boarding = django_filters.BooleanFilter(field_name="records__boarding")
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    search = django_filters.CharFilter(method="search_name_or_number")

    class Meta:
        model = Student
        fields = ["school", "term", "level", "grade", "class_name", "struggling", "boarding"]

    def search_name_or_number(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value) | Q(student_number__startswith=value))

    def filter_queryset(self, queryset):
        # The conditions on term records must hold for one and the same
        # record: `term=…&grade=4` means grade 4 in that term, not grade 4 in
        # some term. Filtering each one separately would join the records once
        # per filter (and repeat a student once per matching record), so they
        # go together into one subquery on StudentRecord.
        record_conditions = {}
        for name, value in self.form.cleaned_data.items():
            field_name = self.filters[name].field_name
            if field_name.startswith("records__"):
                if value not in EMPTY_VALUES:
                    key = field_name.removeprefix("records__")
                    # A term given by code may name several (one per district).
                    if isinstance(value, list):
                        key = f"{key}__in"
                    record_conditions[key] = value
            else:
                queryset = self.filters[name].filter(queryset, value)
        if record_conditions:
            matching = StudentRecord.objects.filter(**record_conditions).values("student")
            queryset = queryset.filter(pk__in=matching)
        return queryset


# What a student's answer nests, each prefetched into a plain list (`to_attr`):
# prefetched into its related manager instead, Django built a queryset for every
# student and record of the page to hold them, about a fifth of the page's cost in
# Python (bench/README.md, `api.py`). Indicators are ordered by their own
# columns: their model's default order joined the students and schools again.
RECORDS = Prefetch(
    "records",
    queryset=StudentRecord.objects.select_related("term")
    .prefetch_related(Prefetch("scores", to_attr="listed_scores"))
    .order_by("term__start_date"),
    to_attr="listed_records",
)
INDICATORS = Prefetch(
    "indicators",
    queryset=HardshipIndicator.objects.order_by("-recorded_on", "-pk"),
    to_attr="listed_indicators",
)


class StudentViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Student.objects.none()
    serializer_class = StudentSerializer
    filterset_class = StudentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_student = "pk"

    @cached_property
    def administered_school_ids(self) -> set[int]:
        """The schools whose students the reader sees whole; read once per request."""
        return set(schools_administered_by(self.request.user).values_list("pk", flat=True))

    def get_queryset(self):
        # A reader who administers no school sees mentees only, whose answer has
        # no indicators (MenteeSerializer): those are not fetched at all.
        nested = [RECORDS, INDICATORS] if self.administered_school_ids else [RECORDS]
        return (
            students_visible_to(self.request.user)
            .select_related("school", "guardian_account")
            .prefetch_related(*nested)
            .order_by("school__code", "student_number")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["administered_school_ids"] = self.administered_school_ids
        return context

    def _answer(self, student, code=status.HTTP_200_OK):
        student = self.get_queryset().get(pk=student.pk)
        return Response(self.get_serializer(student).data, status=code)

    @extend_schema(request=StudentWriteSerializer, responses={201: StudentSerializer})
    def create(self, request, *args, **kwargs):
        payload = StudentWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        student = services.student_create(by=request.user, school_id=data.pop("school"), **data)
        return self._answer(student, status.HTTP_201_CREATED)

    @extend_schema(request=StudentUpdateSerializer, responses=StudentSerializer)
    def partial_update(self, request, *args, **kwargs):
        student = self.get_object()
        payload = StudentUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.student_update(by=request.user, student=student, **payload.validated_data)
        return self._answer(student)
