"""The Django admin: every record with search, filters and its history.

School administrators may use it too (they need no is_staff flag): they see
only the records of the schools they administer, cannot delete anything
(records are ended or deactivated, never lost), and only platform
administrators change accounts, districts and schools.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from mentoring.models import (
    Assessment,
    AssessmentEvent,
    District,
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
)
from mentoring.selectors.accounts import schools_administered_by, user_is_administrator


def may_use_admin(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user_is_administrator(user)))


class SchoolAdministratorLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not may_use_admin(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


admin.site.login_form = SchoolAdministratorLoginForm
admin.site.has_permission = lambda request: may_use_admin(request.user)
admin.site.site_header = _("Bangfu administration")
admin.site.site_title = _("Bangfu")


class ScopedAdmin(SimpleHistoryAdmin):
    """Rows limited to the schools the user administers, through `school_path`.

    `school_path` is the lookup from the model to its school; foreign-key
    choices in forms are limited the same way.
    """

    school_path: str = "school"
    # Foreign keys whose choices are scoped, with the lookup from that model to its school.
    scoped_choices: dict[str, str] = {}
    superuser_only_writes = False

    def _schools(self, request):
        return schools_administered_by(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.school_path}__in": self._schools(request)}).distinct()

    def _scope_choices(self, db_field, request, kwargs) -> dict:
        path = self.scoped_choices.get(db_field.name)
        if path is not None and not request.user.is_superuser:
            model = db_field.remote_field.model
            lookup = {f"{path}__in": self._schools(request)} if path else {}
            kwargs["queryset"] = model.objects.filter(**lookup).distinct()
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request.user)

    def has_add_permission(self, request):
        if self.superuser_only_writes:
            return request.user.is_superuser
        return may_use_admin(request.user)

    def has_change_permission(self, request, obj=None):
        if self.superuser_only_writes:
            return request.user.is_superuser
        return may_use_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedAdmin):
    school_path = "memberships__school"
    superuser_only_writes = True
    inlines = [MembershipInline]
    list_filter = ["is_active", "is_superuser", "memberships__role", "memberships__school"]


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    school_path = "schools"
    superuser_only_writes = True
    list_display = ["code", "name", "notice_working_days"]
    search_fields = ["code", "name"]


@admin.register(School)
class SchoolAdmin(ScopedAdmin):
    school_path = "pk"
    superuser_only_writes = True
    list_display = ["code", "name", "level", "district"]
    list_filter = ["level", "district"]
    search_fields = ["code", "name"]


@admin.register(Term)
class TermAdmin(ScopedAdmin):
    school_path = "district__schools"
    superuser_only_writes = True
    list_display = ["code", "district", "school_year", "start_date", "end_date"]
    list_filter = ["district", "school_year"]
    search_fields = ["code"]


class StudentRecordInline(admin.TabularInline):
    model = StudentRecord
    extra = 0
    fields = ["term", "level", "grade", "class_name", "boarding", "struggling", "weak_subjects"]


class HardshipIndicatorInline(admin.TabularInline):
    model = HardshipIndicator
    extra = 0


@admin.register(Student)
class StudentAdmin(ScopedAdmin):
    list_display = ["student_number", "name", "school", "gender", "id_masked"]
    list_filter = ["school", "gender", "records__term", "records__struggling"]
    search_fields = ["student_number", "name"]
    # The ID number is set through the API or the roster import, which check it;
    # here only its masked form shows and the hash is never editable.
    exclude = ["id_hash"]
    readonly_fields = ["id_masked", "school"]
    inlines = [StudentRecordInline, HardshipIndicatorInline]

    def has_add_permission(self, request):
        return False


class SubjectScoreInline(admin.TabularInline):
    model = SubjectScore
    extra = 0


@admin.register(StudentRecord)
class StudentRecordAdmin(ScopedAdmin):
    school_path = "student__school"
    scoped_choices = {"student": "school"}
    list_display = ["student", "term", "level", "grade", "class_name", "struggling"]
    list_filter = ["term", "level", "grade", "struggling", "boarding"]
    search_fields = ["student__name", "student__student_number"]
    inlines = [SubjectScoreInline]


@admin.register(HardshipIndicator)
class HardshipIndicatorAdmin(ScopedAdmin):
    school_path = "student__school"
    scoped_choices = {"student": "school"}
    list_display = ["student", "kind", "source", "recorded_on"]
    list_filter = ["kind", "source"]
    search_fields = ["student__name", "student__student_number"]


class AssessmentEventInline(admin.TabularInline):
    model = AssessmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "by", "at", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class ObjectionInline(admin.TabularInline):
    model = Objection
    extra = 0
    can_delete = False
    readonly_fields = ["text", "filed_by", "filed_at", "answer", "answered_by", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
    """Read-only here: the workflow's rules apply only through the API's actions."""

    school_path = "student__school"
    superuser_only_writes = True
    list_display = ["student", "term", "route", "status", "tier", "notice_ends_on"]
    list_filter = ["term", "route", "status", "tier"]
    search_fields = ["student__name", "student__student_number"]
    inlines = [AssessmentEventInline, ObjectionInline]


@admin.register(Mentor)
class MentorAdmin(ScopedAdmin):
    school_path = "schools"
    scoped_choices = {"schools": "pk", "conflicts": "school"}
    list_display = ["user", "kind", "capacity", "min_mentees", "party_branch", "active"]
    list_filter = ["kind", "active", "schools"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "party_branch"]


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    school_path = "student__school"
    scoped_choices = {"student": "school", "mentor": "schools"}
    list_display = ["student", "mentor", "term", "kind", "status", "started_on", "ended_on"]
    list_filter = ["term", "kind", "status"]
    search_fields = ["student__name", "mentor__user__username"]


@admin.register(TutoringSession)
class TutoringSessionAdmin(ScopedAdmin):
    school_path = "pairing__student__school"
    scoped_choices = {"pairing": "student__school"}
    list_display = ["date", "pairing", "kind", "subject", "minutes"]
    list_filter = ["kind", "subject", "pairing__term"]
    search_fields = ["pairing__student__name", "content"]
    date_hierarchy = "date"
