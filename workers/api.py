import django_filters
from rest_framework import viewsets

from workers.models import Job, JobKind, JobStatus
from workers.selectors import jobs_visible_to
from workers.serializers import JobSerializer


class JobFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=JobKind.choices)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Job
        fields = ["kind", "status"]


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Background jobs: status, progress, result and error. Read-only."""

    queryset = Job.objects.none()  # for the schema; get_queryset scopes every request
    serializer_class = JobSerializer
    filterset_class = JobFilter

    def get_queryset(self):
        return jobs_visible_to(self.request.user)
