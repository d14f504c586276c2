import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.codes import CodeOrIdField
from core.errors import validated_data
from core.serializers import StrictModelSerializer
from mentoring.apis.codes import district_filter
from mentoring.models import District, School, SchoolLevel, Term
from mentoring.selectors.scoping import schools_visible_to, terms_visible_to
from mentoring.services import schools as services


class SchoolSerializer(StrictModelSerializer):
    district = CodeOrIdField(scope=District.objects.all(), to=None)
    district_name = serializers.CharField(source="district.name", read_only=True)
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = School
        fields = ["id", "code", "name", "level", "district", "district_id", "district_name"]


class SchoolFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=SchoolLevel.choices)
    district = district_filter()

    class Meta:
        model = School
        fields = ["level", "district"]


class SchoolViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The schools a user has a role in; platform administrators add schools."""

    queryset = School.objects.none()
    serializer_class = SchoolSerializer
    filterset_class = SchoolFilter

    def get_queryset(self):
        return schools_visible_to(self.request.user).select_related("district").order_by("code")

    def create(self, request, *args, **kwargs):
        payload = SchoolSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        school = services.school_create(by=request.user, **payload.validated_data)
        return Response(SchoolSerializer(school).data, status=status.HTTP_201_CREATED)


class TermSerializer(StrictModelSerializer):
    district = CodeOrIdField(scope=District.objects.all(), to=None)
    holiday_weeks = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=30
    )
    # The district's id beside its code: what POST reports/ and districts/{id}/ take.
    district_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Term
        fields = [
            "id",
            "district",
            "district_id",
            "code",
            "school_year",
            "start_date",
            "end_date",
            "holiday_weeks",
        ]
        # The generated unique-together check would answer under
        # `non_field_errors`; term_create and term_update refuse a taken code
        # under `code`, the field the user has to change.
        validators = []


class TermUpdateSerializer(TermSerializer):
    # Declared fields ignore Meta.read_only_fields, so the district is made
    # read-only here; a term never moves to another district.
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    refused_messages = {"district": _("A term cannot move to another district.")}


class TermFilter(django_filters.FilterSet):
    district = district_filter()
    code = django_filters.CharFilter()
    school_year = django_filters.CharFilter()

    class Meta:
        model = Term
        fields = ["district", "code", "school_year"]


class TermViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Terms of the districts of the user's schools; district administrators set them."""

    queryset = Term.objects.none()
    serializer_class = TermSerializer
    filterset_class = TermFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return terms_visible_to(self.request.user)

    def create(self, request, *args, **kwargs):
        data = validated_data(
            TermSerializer(data=request.data),
            lambda errors, fields: services.term_create_problems(
                errors,
                by=request.user,
                district=fields.get("district"),
                code=fields.get("code"),
                school_year=fields.get("school_year"),
                start_date=fields.get("start_date"),
                end_date=fields.get("end_date"),
                holiday_weeks=fields.get("holiday_weeks"),
            ),
        )
        term = services.term_create(by=request.user, **data)
        return Response(TermSerializer(term).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TermUpdateSerializer, responses=TermSerializer)
    def partial_update(self, request, *args, **kwargs):
        term = self.get_object()
        payload = TermUpdateSerializer(term, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        term = services.term_update(by=request.user, term=term, **payload.validated_data)
        return Response(TermSerializer(term).data)
