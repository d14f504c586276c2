from rest_framework import serializers

from workers.models import Job


class JobSerializer(serializers.ModelSerializer):
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    school = serializers.SlugRelatedField(slug_field="code", read_only=True)

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
