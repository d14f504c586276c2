"""/api/v1/scores/: a student's score per subject at the term's opening and closing exams.

Read by whoever sees the student (`scores_visible_to`, the student detail's
scope: administrators of the student's school, the student's mentors);
entered and changed by administrators and active mentors
(`mentoring.services.scores`). A POST for a subject that has a score in that
term already changes the exams it gives (200) instead of adding a row (201).
A student id outside the user's scope answers 400 naming `student`, exactly
like one that does not exist; a score outside it answers 404.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.errors import validated_data
from core.filters import NumberFilter
from core.serializers import StrictSerializer
from mentoring.apis.access_log import RecordsStudentAccess
from mentoring.apis.codes import school_filter, term_field, term_filter
from mentoring.apis.pairings import ReadsMentoringRecords
from mentoring.models import Subject, SubjectScore
from mentoring.selectors.scoping import scores_visible_to
from mentoring.services import scores as services


class SubjectScoreDetailSerializer(serializers.ModelSerializer):
    student = serializers.IntegerField(source="record.student_id", read_only=True)
    student_name = serializers.CharField(source="record.student.name", read_only=True)
    school = serializers.IntegerField(source="record.student.school_id", read_only=True)
    term = serializers.IntegerField(source="record.term_id", read_only=True)
    term_code = serializers.CharField(source="record.term.code", read_only=True)
    school_year = serializers.CharField(source="record.term.school_year", read_only=True)

    class Meta:
        model = SubjectScore
        fields = [
            "id",
            "student",
            "student_name",
            "school",
            "term",
            "term_code",
            "school_year",
            "subject",
            "start_score",
            "end_score",
        ]
        read_only_fields = fields


def _score_field():
    return serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=services.SCORE_MIN,
        max_value=services.SCORE_MAX,
        required=False,
        allow_null=True,
        help_text=_("0-150, one decimal at most; null clears the exam's score."),
    )


class SubjectScoreChangeSerializer(StrictSerializer):
    start_score = _score_field()
    end_score = _score_field()


class SubjectScoreCreateSerializer(SubjectScoreChangeSerializer):
    student = serializers.IntegerField(min_value=1)
    term = term_field()
    subject = serializers.ChoiceField(choices=Subject.choices)


def _exams(fields: dict) -> dict:
    return {exam: fields[exam] for exam in services.EXAMS if exam in fields}


class SubjectScoreFilter(django_filters.FilterSet):
    student = NumberFilter(field_name="record__student")
    term = term_filter(field_name="record__term")
    school = school_filter(field_name="record__student__school")
    school_year = django_filters.CharFilter(field_name="record__term__school_year")
    subject = django_filters.ChoiceFilter(choices=Subject.choices)

    class Meta:
        model = SubjectScore
        fields = ["student", "term", "school", "school_year", "subject"]


class SubjectScoreViewSet(
    RecordsStudentAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Scores in the viewer's scope, by term (oldest first) and subject.

    Filters: `student`, `term`, `school`, `school_year` (e.g. `2026-2027`), `subject`.
    """

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ReadsMentoringRecords]
    queryset = SubjectScore.objects.none()  # for the schema; get_queryset scopes each request
    serializer_class = SubjectScoreDetailSerializer
    filterset_class = SubjectScoreFilter
    access_student = "record.student_id"

    def get_queryset(self):
        return (
            scores_visible_to(self.request.user)
            .select_related("record__student", "record__term")
            .order_by("record__student_id", "record__term__start_date", "subject", "pk")
        )

    @extend_schema(
        request=SubjectScoreCreateSerializer,
        responses={201: SubjectScoreDetailSerializer, 200: SubjectScoreDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = validated_data(
            SubjectScoreCreateSerializer(data=request.data),
            lambda errors, fields: services.score_save_problems(
                errors,
                by=request.user,
                student_id=fields.get("student"),
                term_id=fields.get("term"),
                subject=fields.get("subject"),
                scores=_exams(fields),
            ),
        )
        score, created = services.score_save(
            by=request.user,
            student_id=data["student"],
            term_id=data["term"],
            subject=data["subject"],
            scores=_exams(data),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(SubjectScoreDetailSerializer(score).data, status=code)

    @extend_schema(request=SubjectScoreChangeSerializer, responses=SubjectScoreDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        score = self.get_object()
        data = validated_data(
            SubjectScoreChangeSerializer(data=request.data, partial=True),
            lambda errors, fields: services.score_change_problems(
                errors, by=request.user, score=score, scores=_exams(fields)
            ),
        )
        services.score_change(by=request.user, score=score, scores=_exams(data))
        return Response(SubjectScoreDetailSerializer(score).data)
