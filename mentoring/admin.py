"""The Django admin of accounts, schools, students and mentoring: for platform administrators.

Who may use the admin, and why it is not offered to school administrators,
is in `core.admin`. Here: every record is read with its history; districts
are added and edited through `mentoring.services.districts`; an account's name, e-mail and
active flag are changed through `user_update` and its password through
Django's password form. Roles, schools, staff and superuser flags, groups
and permissions are never set here: superusers come from
`manage.py createsuperuser` and roles from the API's account service.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponseRedirect

from core.admin import ReadOnlyAdmin, ReadOnlyInline, RecordAdmin
from core.errors import DomainError
from mentoring.admin_access import RecordsStudentAccessAdmin
from mentoring.models import (
    Assessment,
    AssessmentEvent,
    District,
    GuardianAccount,
    HardshipIndicator,
    Membership,
    Mentor,
    Objection,
    Pairing,
    School,
    Student,
    StudentRecord,
    SubjectScore,
    Term,
    TutoringSession,
    User,
    VillageCommittee,
)
from mentoring.services.accounts import user_update
from mentoring.services.districts import district_create, district_update


class MembershipInline(ReadOnlyInline, admin.TabularInline):
    model = Membership
    fields = ["school", "role", "created_at"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(DjangoUserAdmin, RecordAdmin):
    """Accounts: name, e-mail, active flag and password change here; nothing else does.

    Accounts are created through the API (with their roles) or, for platform
    administrators, with `manage.py createsuperuser`.
    """

    # The fields `user_update` lets a platform administrator change.
    editable_fields = ("first_name", "last_name", "email", "is_active")
    # Django's fieldsets (name, personal info, permissions, dates): all of
    # them read-only but `editable_fields` (and the password, which has its
    # own form).
    readonly_fields = [
        "username",
        "is_staff",
        "is_superuser",
        "groups",
        "user_permissions",
        "last_login",
        "date_joined",
    ]
    inlines = [MembershipInline]
    list_filter = ["is_active", "is_superuser", "memberships__role", "memberships__school"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        changed = [name for name in form.changed_data if name in self.editable_fields]
        fields = {name: form.cleaned_data[name] for name in changed}
        user_update(by=request.user, user=obj, **fields)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The service refuses, say, a platform administrator deactivating
        # their own account; nothing is saved and the refusal is shown.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(District)
class DistrictAdmin(RecordAdmin):
    """Districts are added and changed here as through the API: `mentoring.services.districts`."""

    list_display = ["code", "name", "notice_working_days"]
    search_fields = ["code", "name"]
    fields = [
        "code",
        "name",
        "tiers",
        "notice_working_days",
        "same_gender_from_age",
        "complaint_phone",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A district's code is set when it is added (district_update refuses a new one).
        return ["code"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            values = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = district_update(by=request.user, district=obj, **values)
        else:
            values = {name: form.cleaned_data[name] for name in self.fields}
            saved = district_create(by=request.user, **values)
        obj.pk = saved.pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A refusal of the service (a tier still in use) is shown; nothing is saved.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# The models below are written by the services of `mentoring.services` (and
# the match run's in `mentoring.services.match_runs`), the one home of their rules; the
# admin reads them.


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "district"]
    list_filter = ["level", "district"]
    search_fields = ["code", "name"]


@admin.register(VillageCommittee)
class VillageCommitteeAdmin(ReadOnlyAdmin):
    """Read only: committees are added and changed through the API (`village-committees/`)."""

    list_display = ["code", "name", "kind", "district"]
    list_filter = ["kind", "district"]
    search_fields = ["code", "name"]


@admin.register(Term)
class TermAdmin(ReadOnlyAdmin):
    list_display = ["code", "district", "school_year", "start_date", "end_date"]
    list_filter = ["district", "school_year"]
    search_fields = ["code"]


class StudentRecordInline(ReadOnlyInline, admin.TabularInline):
    model = StudentRecord
    fields = ["term", "level", "grade", "class_name", "boarding", "struggling", "weak_subjects"]


class HardshipIndicatorInline(ReadOnlyInline, admin.TabularInline):
    model = HardshipIndicator


@admin.register(Student)
class StudentAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    access_student_lookup = "pk"
    list_display = ["student_number", "name", "school", "gender", "id_masked"]
    list_filter = ["school", "gender", "records__term", "records__struggling"]
    search_fields = ["student_number", "name"]
    # Only the masked ID number shows; its keyed hash never does.
    exclude = ["id_hash"]
    inlines = [StudentRecordInline, HardshipIndicatorInline]


@admin.register(GuardianAccount)
class GuardianAccountAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    """Read only: accounts are recorded through the API (mentoring.services.guardian_accounts)."""

    list_display = ["student", "holder_name", "bank_name", "number_masked", "updated_at"]
    search_fields = ["student__name", "student__student_number", "holder_name"]
    # Only the masked number shows; the encrypted one and its keyed hash never do.
    exclude = ["number_encrypted", "number_hash"]
    history_list_display = ["holder_name", "bank_name", "number_masked"]


class SubjectScoreInline(ReadOnlyInline, admin.TabularInline):
    model = SubjectScore


@admin.register(StudentRecord)
class StudentRecordAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["student", "term", "level", "grade", "class_name", "struggling"]
    list_filter = ["term", "level", "grade", "struggling", "boarding"]
    search_fields = ["student__name", "student__student_number"]
    inlines = [SubjectScoreInline]


@admin.register(HardshipIndicator)
class HardshipIndicatorAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["student", "kind", "source", "recorded_on"]
    list_filter = ["kind", "source"]
    search_fields = ["student__name", "student__student_number"]


class AssessmentEventInline(ReadOnlyInline, admin.TabularInline):
    model = AssessmentEvent
    readonly_fields = ["action", "from_status", "to_status", "by", "at", "note"]


class ObjectionInline(ReadOnlyInline, admin.TabularInline):
    model = Objection
    readonly_fields = ["text", "filed_by", "filed_at", "answer", "answered_by", "answered_at"]


@admin.register(Assessment)
class AssessmentAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["student", "term", "route", "status", "tier", "notice_ends_on"]
    list_filter = ["term", "route", "status", "tier"]
    search_fields = ["student__name", "student__student_number"]
    inlines = [AssessmentEventInline, ObjectionInline]


@admin.register(Mentor)
class MentorAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "capacity", "min_mentees", "party_branch", "active"]
    list_filter = ["kind", "active", "schools"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "party_branch"]


@admin.register(Pairing)
class PairingAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    list_display = ["student", "mentor", "term", "kind", "status", "started_on", "ended_on"]
    list_filter = ["term", "kind", "status"]
    search_fields = ["student__name", "mentor__user__username"]


@admin.register(TutoringSession)
class TutoringSessionAdmin(RecordsStudentAccessAdmin, ReadOnlyAdmin):
    access_student_lookup = "pairing__student"
    list_display = ["date", "pairing", "kind", "subject", "minutes"]
    list_filter = ["kind", "subject", "pairing__term"]
    search_fields = ["pairing__student__name", "content"]
    date_hierarchy = "date"
