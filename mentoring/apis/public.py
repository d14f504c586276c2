"""/api/v1/public/notices/: the public notice (公示) of identification, no login needed.

What the notice may show is fixed by DESIGN §2.2: the masked name, school,
grade, class and tier, and the day the notice ends; and the district's
complaint line, where anyone may object or report. The serializer lists
those fields and reads nothing else, so no other field can appear; an entry
disappears the day after its notice period ends.
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from mentoring.models import Assessment
from mentoring.names import mask_name
from mentoring.selectors import identification as selectors
from mentoring.services.identification import tier_name


class PublicNoticeSerializer(serializers.Serializer):
    masked_name = serializers.SerializerMethodField()
    school_name = serializers.CharField(source="student.school.name")
    grade = serializers.IntegerField(allow_null=True)
    class_name = serializers.CharField(allow_null=True)
    tier_name = serializers.SerializerMethodField()
    notice_ends_on = serializers.DateField()
    # The district's complaint line (举报电话), printed on every public notice.
    complaint_line = serializers.CharField(source="student.school.district.complaint_phone")

    def get_masked_name(self, assessment) -> str:
        return mask_name(assessment.student.name)

    def get_tier_name(self, assessment) -> str:
        return tier_name(assessment.student.school.district, assessment.tier)


class PublicNoticeFilter(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="student__school__code", label=_("School code"))

    class Meta:
        model = Assessment
        fields = ["school"]


class PublicNoticeList(generics.ListAPIView):
    """Students under public notice today: masked name, school, grade, class and tier."""

    # No authentication at all: a stale or foreign token must not turn a
    # public page into a 401.
    authentication_classes = []
    permission_classes = [AllowAny]
    queryset = Assessment.objects.none()  # for the schema; get_queryset reads today's notices
    serializer_class = PublicNoticeSerializer
    filterset_class = PublicNoticeFilter

    def get_queryset(self):
        return selectors.public_notices(today=timezone.localdate())
