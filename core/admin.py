"""The Django admin is the platform administrators' window, and only theirs.

Only an active superuser (a platform administrator) uses `/admin/`. School
and district administrators work through the API (and the console, when it
exists), where every write goes through the service that holds its rules and
every read through the selector that scopes it.

Why not a scoped admin for school administrators: the admin writes model rows
directly through ModelAdmin forms, so every domain rule would need a second
home there, and every admin view (history, revert, changelist, change and add
forms, autocomplete, filters, related lookups, actions) would have to be
scoped again. That is exactly where the leak was: django-simple-history's
revert page loaded any record from the history table and saved it on POST,
which let a school administrator make any account a superuser and read or
change any school's children.

So, here:

- The site lets in active superusers only. Its login form refuses everyone
  else with the usual "invalid login" message; an authenticated account that
  is not a platform administrator gets 403 on every admin page (the login
  page excepted, where it may sign in as another account); anonymous users
  are sent to the login page.
- History pages (the list and each past version) are readable; a revert is
  refused for everyone, platform administrators included, because it writes
  a row past every service's rules. simple_history's
  `SIMPLE_HISTORY_REVERT_DISABLED` only hides the button (3.13
  `SimpleHistoryAdmin.history_form_view` still saves on POST), so the POST
  itself is refused here.
- Records whose rules live in a service are read-only (`ReadOnlyAdmin`): the
  API's service is the one home of their rules. Reference data that no
  service writes may be edited, through the model's own validation.
- Nothing is deleted here: records are ended or deactivated, never lost.
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.permissions import is_active_account

SAFE_METHODS = ("GET", "HEAD")


def is_platform_admin(user) -> bool:
    return is_active_account(user) and user.is_superuser


class PlatformLoginForm(AdminAuthenticationForm):
    """Refuses every account but a platform administrator's, as if the password were wrong."""

    def confirm_login_allowed(self, user):
        if not is_platform_admin(user):
            raise self.get_invalid_login_error()


class PlatformAdminSite(admin.AdminSite):
    """`admin.site` (through core.apps.PlatformAdminConfig): for platform administrators only."""

    site_header = _("Bangfu administration")
    site_title = _("Bangfu")
    login_form = PlatformLoginForm

    def has_permission(self, request):
        return is_platform_admin(request.user)

    def admin_view(self, view, cacheable=False):
        # Django sends everyone without permission to the login page; an account
        # that is signed in but not a platform administrator would land on the
        # login form again and again, so it is told no instead.
        checked = super().admin_view(view, cacheable)

        def refuse_other_accounts(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return checked(request, *args, **kwargs)

        return update_wrapper(refuse_other_accounts, checked)


def has_history(model) -> bool:
    """Whether the model keeps django-simple-history rows (`history = HistoricalRecords()`)."""
    return hasattr(model._meta, "simple_history_manager_attribute")


class RecordAdmin(SimpleHistoryAdmin):
    """What every Bangfu ModelAdmin shares: platform administrators, history read, no revert.

    A model without simple-history rows gets Django's own history page (the
    admin's log) instead of one that would fail for want of its history table.
    """

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if not has_history(model):
            self.object_history_template = None

    def get_urls(self):
        if has_history(self.model):
            return super().get_urls()
        return admin.ModelAdmin.get_urls(self)

    def history_view(self, request, object_id, extra_context=None):
        if has_history(self.model):
            return super().history_view(request, object_id, extra_context)
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version is shown, never restored: simple_history would save it
        # on POST (whatever SIMPLE_HISTORY_REVERT_DISABLED says), past every rule.
        if request.method not in SAFE_METHODS:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def render_history_view(self, request, template, context, **kwargs):
        adminform = context.get("adminform")
        if adminform is not None:
            # Every field of a past version is shown as text, not as an input.
            fieldsets = self.get_fieldsets(request, context["original"])
            context["adminform"] = helpers.AdminForm(
                adminform.form,
                fieldsets,
                {},
                readonly_fields=flatten_fieldsets(fieldsets),
                model_admin=self,
            )
        return super().render_history_view(request, template, context, **kwargs)

    def has_module_permission(self, request):
        return is_platform_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_platform_admin(request.user)

    def has_add_permission(self, request):
        return is_platform_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_platform_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(RecordAdmin):
    """A record whose rules live in a service: read here, written only through the API."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline:
    """Mixin for an inline shown with its parent and never edited there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LockoutAdmin(ReadOnlyAdmin):
    """Login lockouts (core.logins): read, and deleted to unlock before the cool-off ends.

    A row is a count of failed logins, not a record of the domain, so deleting
    it loses nothing; administrators of schools unlock through the API.
    """

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    search_fields = ["username", "ip_address"]
    fields = [*list_display, "path_info", "user_agent"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return is_platform_admin(request.user)


def platform_admin_pages() -> None:
    """Pages of other apps that the platform admin shows differently, or not at all.

    - Groups and permissions: roles are memberships; Django's groups grant nothing in Bangfu.
    - simplejwt's token tables: their admin shows whole refresh tokens, which
      would let whoever reads them sign in as the account; tokens are revoked
      per account (`User.revoke_tokens`), not one by one.
    - axes: the lockouts are shown (and cleared) by `LockoutAdmin`; its logs
      of every login and every failure are off (settings), so their pages go.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    for model in [Group, OutstandingToken, BlacklistedToken, AccessLog, AccessFailureLog]:
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LockoutAdmin)
