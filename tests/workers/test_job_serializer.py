"""core.serializers.JobSerializer: the one Job of every answer, built on no model, answers
byte for byte what the model serializer it replaced answered."""

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from core.serializers import JobSerializer
from workers.factories import JobFactory, SchoolFactory
from workers.models import Job, JobStatus

pytestmark = pytest.mark.django_db


class JobModelSerializer(serializers.ModelSerializer):
    """The Job serializer as workers.serializers had it, on the model."""

    started_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    school = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "parameters",
            "result",
            "error",
            "attempts",
            "worker",
            "school",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


def test_a_job_with_school_starter_and_result_answers_as_before(district):
    job = JobFactory(
        school=SchoolFactory(district=district),
        status=JobStatus.SUCCEEDED,
        progress=100,
        parameters={"term": "2026-autumn", "schools": ["A", "B"]},
        result={"accounts": 3, "schools": [{"school": "A", "roles": {"teacher": 2}}]},
        attempts=2,
        worker="celery@host",
    )
    job = Job.objects.select_related("school", "started_by").get(pk=job.pk)

    new = JSONRenderer().render(JobSerializer(job).data)

    assert new == JSONRenderer().render(JobModelSerializer(job).data)
    assert b'"school":"' in new and b'"started_by":"' in new


def test_a_job_of_no_school_that_no_one_started_answers_as_before():
    job = JobFactory(started_by=None, school=None, error="Boom")

    new = JSONRenderer().render(JobSerializer(job).data)

    assert new == JSONRenderer().render(JobModelSerializer(job).data)
    assert b'"school":null,"started_by":null' in new
