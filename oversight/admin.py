"""Supervision and complaints in the Django admin: read-only, for platform administrators.

Every record is written by `oversight.services` (the one home of its rules),
so the admin only reads them; who may use it is in `core.admin`.
"""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from oversight.models import Complaint, Suggestion, SupervisionMeeting, SupervisionMember


@admin.register(SupervisionMember)
class SupervisionMemberAdmin(ReadOnlyAdmin):
    list_display = ["name", "affiliation", "district", "school", "joined_on", "left_on"]
    list_filter = ["affiliation", "district"]
    search_fields = ["name", "organisation"]


@admin.register(SupervisionMeeting)
class SupervisionMeetingAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "topic", "district", "school"]
    list_filter = ["district"]
    search_fields = ["topic"]


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "rating", "district", "school", "answered_at"]
    list_filter = ["kind", "district"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["received_on", "subject", "status", "answer_due_on", "district", "school"]
    list_filter = ["status", "channel", "district"]
    search_fields = ["subject"]
