from django.contrib import admin

from mentoring.admin import ScopedAdmin
from workers.models import Job


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    """Jobs are written by their tasks only; here they are read."""

    superuser_only_writes = True
    list_display = ["id", "kind", "status", "progress", "school", "started_by", "created_at"]
    list_filter = ["kind", "status", "school"]
    search_fields = ["error"]
    readonly_fields = [field.name for field in Job._meta.fields]
