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
  else: a wrong password with the usual "invalid login" message, a right one
  with what the admin is for and a link to the console; an authenticated account that
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
- Money is read and written in yuan (`MoneyInYuan`): a column of integer fen
  (a model field named `*_fen`) is shown as "1,200.00 元" under "amount (yuan)",
  never as 120000 under "amount (fen)", in lists, filters, change and history
  pages and inlines; a form that writes one takes yuan (two decimals at most,
  nothing below what the model's check constraints allow) and stores fen. People
  (a link to an account) are listed by name, not by username.
"""

import math
import re
from functools import update_wrapper

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.money import fen, yuan_amount, yuan_grouped
from core.money_text import yuan_text
from core.permissions import is_active_account

SAFE_METHODS = ("GET", "HEAD")


def is_platform_admin(user) -> bool:
    return is_active_account(user) and user.is_superuser


class PlatformLoginForm(AdminAuthenticationForm):
    """Refuses every account but a platform administrator's, and says why.

    `confirm_login_allowed` runs only once the password is right, so saying that
    the account is not a platform administrator's tells nothing to someone who
    guesses; "wrong password" sent school administrators hunting for a password
    that was right all along. The page then leads to the console (login.html).
    """

    not_platform_admin = False

    def confirm_login_allowed(self, user):
        if not is_platform_admin(user):
            self.not_platform_admin = True
            raise forms.ValidationError(
                _(
                    "This account may not use the platform administration, which is for the "
                    "platform's staff. School and district administrators work in the console."
                ),
                code="not_platform_admin",
            )


class PlatformAdminSite(admin.AdminSite):
    """`admin.site` (through core.apps.PlatformAdminConfig): for platform administrators only."""

    site_header = _("Bangfu administration")
    site_title = _("Bangfu")
    login_form = PlatformLoginForm
    login_template = "core/admin_login.html"

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


FEN_SUFFIX = "_fen"


def is_fen_field(field) -> bool:
    """An integer column of money in fen: by Bangfu's convention, named `*_fen`."""
    return isinstance(field, models.IntegerField) and field.name.endswith(FEN_SUFFIX)


def yuan_label(field):
    """'amount' → 'amount (yuan)' ("金额（元）"): a fen field's verbose name names no unit."""
    return format_lazy(_("{name} (yuan)"), name=field.verbose_name)


def yuan_display_name(field) -> str:
    return field.name.removesuffix(FEN_SUFFIX) + "_yuan"


def yuan_display(field):
    """The admin's column (and read-only field) for a fen field: '1,200.00', sorted by the fen."""

    def display(obj):
        value = getattr(obj, field.attname)
        return None if value is None else yuan_text(value)

    display.short_description = yuan_label(field)
    display.admin_order_field = field.name
    display.__name__ = yuan_display_name(field)
    return display


def person_display(field):
    """The admin's column for a link to an account: the person's name, else the username."""

    def display(obj):
        user = getattr(obj, field.name)
        return None if user is None else user.get_full_name() or user.get_username()

    display.short_description = field.verbose_name
    display.admin_order_field = field.name
    # Not the field's own name: Django would show the field (a username) first.
    display.__name__ = f"{field.name}_name"
    return display


def floor_in(condition, name: str) -> float | None:
    """The least value a check constraint's condition allows in column `name`; None if any.

    Only what the condition holds every time counts: `Q(amount_fen__gt=0)` gives 1,
    `Q(kind="in", amount_fen__gt=0) | Q(kind="out", amount_fen__lt=0)` gives None,
    and `Q(income_fen__isnull=True) | Q(income_fen__gte=0)` gives 0 (a null is no number).
    """
    if isinstance(condition, tuple):
        lookup, value = condition
        return {
            f"{name}__gte": value,
            f"{name}__gt": value + 1 if isinstance(value, int) else None,
            f"{name}__isnull": math.inf if value is True else None,
        }.get(lookup)
    if not isinstance(condition, Q) or condition.negated:
        return None
    floors = [floor_in(child, name) for child in condition.children]
    if condition.connector == Q.OR:
        return None if None in floors else min(floors)
    bounded = [floor for floor in floors if floor is not None]
    return max(bounded) if bounded else None


def fen_floor(field) -> int | None:
    """The least fen the model's check constraints allow in the field, or None if unbounded.

    `amount_fen__gt=0` gives 1 (a positive amount), `balance_fen__gte=0` gives 0.
    Bangfu's money columns bound themselves this way, so the admin's form refuses
    what the database would, with a message instead of an IntegrityError.
    """
    floors = [
        floor_in(getattr(constraint, "condition", None), field.name)
        for constraint in field.model._meta.constraints
    ]
    bounded = [floor for floor in floors if floor is not None and floor != math.inf]
    return max(bounded) if bounded else None


class YuanInput(forms.NumberInput):
    """A number of yuan (in steps of one fen: DecimalField's step), followed by its unit."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("{} {}", super().render(name, value, attrs, renderer), _("yuan"))


# "1,200.50": yuan grouped by thousands as the admin shows them, typed back.
GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$")


class YuanFormField(forms.DecimalField):
    """A fen field in an admin form: typed and shown in yuan (two places), cleaned to fen.

    The conversion is core.money's, exact both ways (no float). More than two
    decimals, or an amount below `floor_fen` (from the model's constraints), is
    refused with a message saying what to type.
    """

    widget = YuanInput

    def __init__(self, *, floor_fen: int | None = None, **kwargs):
        messages = {
            "invalid": _("Enter an amount in yuan, e.g. 1200.50."),
            "max_decimal_places": _("Enter yuan with at most two decimals (fen), e.g. 1200.50."),
            "max_digits": _("This amount is too large."),
            "max_whole_digits": _("This amount is too large."),
        }
        if floor_fen == 0:
            messages["min_value"] = _("Enter an amount of zero or more yuan.")
        elif floor_fen == 1:
            messages["min_value"] = _("Enter an amount above zero, at least 0.01 yuan.")
        super().__init__(
            max_digits=14,
            decimal_places=2,
            min_value=None if floor_fen is None else yuan_amount(floor_fen),
            error_messages={**messages, **kwargs.pop("error_messages", {})},
            **kwargs,
        )

    def prepare_value(self, value):
        # The stored fen; what was typed (a string) is shown back as typed.
        return yuan_amount(value) if isinstance(value, int) else value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("元").removesuffix("yuan").strip()
            if GROUPED.match(value):
                value = value.replace(",", "")
        return super().to_python(value)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else fen(amount)

    def has_changed(self, initial, data):
        return super().has_changed(self.prepare_value(initial), data)


class YuanValuesFilter(admin.AllValuesFieldListFilter):
    """The filter of a fen field: titled and listed in yuan, filtering on the fen."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = yuan_label(field)

    def choices(self, changelist):
        amounts = {str(value) for value in self.lookup_choices if value is not None}
        for choice in super().choices(changelist):
            if choice["display"] in amounts:
                choice["display"] = yuan_grouped(int(choice["display"]))
            yield choice


class MoneyInYuan:
    """Every Bangfu admin page (ModelAdmin and inline): money in yuan, accounts by name.

    Fen fields of the model are swapped for their yuan display wherever they
    are only shown (list columns, read-only and view-only fields, history
    pages); where one is edited, its form field takes yuan. A list column of a
    link to an account shows the person's name.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.model._meta.concrete_fields
        self.yuan_displays = {f.name: yuan_display(f) for f in fields if is_fen_field(f)}
        self.person_displays = {
            f.name: person_display(f)
            for f in fields
            if f.is_relation and f.related_model is get_user_model()
        }
        for display in [*self.yuan_displays.values(), *self.person_displays.values()]:
            setattr(self, display.__name__, display)

    def in_yuan(self, names):
        """Field names (nested in tuples for one line) with the fen fields shown in yuan."""
        return [
            self.in_yuan(name)
            if isinstance(name, list | tuple)
            else self.yuan_displays[name].__name__
            if isinstance(name, str) and name in self.yuan_displays
            else name
            for name in names
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.in_yuan(super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            # Edited fen fields stay (their form field is in yuan); read-only ones
            # are already swapped by get_readonly_fields.
            return fieldsets
        return [
            (title, {**options, "fields": self.in_yuan(options["fields"])})
            for title, options in fieldsets
        ]

    def form_fields(self, request, obj, kwargs):
        """The form's fields: the fieldsets' but their yuan displays, which are no form fields.

        `fields=None` (Django asking for every field of the model) is left as it is.
        """
        if "fields" in kwargs and kwargs["fields"] is None:
            return kwargs
        fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
        shown = {display.__name__ for display in self.yuan_displays.values()}
        return {**kwargs, "fields": [name for name in fields if name not in shown]}

    def get_form(self, request, obj=None, **kwargs):
        return super().get_form(request, obj, **self.form_fields(request, obj, kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, **self.form_fields(request, obj, kwargs))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.yuan_displays:
            return YuanFormField(
                label=yuan_label(db_field),
                required=not db_field.blank,
                help_text=db_field.help_text,
                floor_fen=fen_floor(db_field),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class MoneyInYuanList(MoneyInYuan):
    """MoneyInYuan for a ModelAdmin: its list columns and filters too."""

    def get_list_display(self, request):
        displays = {**self.yuan_displays, **self.person_displays}
        return [
            displays[name].__name__ if isinstance(name, str) and name in displays else name
            for name in super().get_list_display(request)
        ]

    def get_list_select_related(self, request):
        # Django joins every foreign key when a list column is one; the swapped
        # columns (accounts) are not seen as such, so ask for it here.
        selected = super().get_list_select_related(request)
        if selected is False and any(
            name in self.person_displays for name in super().get_list_display(request)
        ):
            return True
        return selected

    def get_list_filter(self, request):
        return [
            (name, YuanValuesFilter)
            if isinstance(name, str) and name in self.yuan_displays
            else name
            for name in super().get_list_filter(request)
        ]


class RecordAdmin(MoneyInYuanList, SimpleHistoryAdmin):
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


class ReadOnlyInline(MoneyInYuan):
    """Mixin for an inline shown with its parent and never edited there (money in yuan)."""

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
    django-axes names its columns in English only ("IP Address", "Failed
    Logins"), so they are named here, in words the platform translates.
    """

    list_display = ["username", "ip", "failures", "at"]
    search_fields = ["username", "ip_address"]
    fields = [*list_display, "path", "browser"]
    readonly_fields = fields

    @admin.display(description=_("IP address"), ordering="ip_address")
    def ip(self, attempt):
        return attempt.ip_address

    @admin.display(description=_("attempts"), ordering="failures_since_start")
    def failures(self, attempt):
        return attempt.failures_since_start

    @admin.display(description=_("at"), ordering="attempt_time")
    def at(self, attempt):
        return attempt.attempt_time

    @admin.display(description=_("path"))
    def path(self, attempt):
        return attempt.path_info

    @admin.display(description=_("browser"))
    def browser(self, attempt):
        return attempt.user_agent

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
      axes has no Chinese, so its app and model are named here in words the
      platform translates (only `_meta`'s display names: migrations read
      `original_attrs`, which stay axes's own).
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.apps import apps
    from django.contrib.auth.models import Group
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    for model in [Group, OutstandingToken, BlacklistedToken, AccessLog, AccessFailureLog]:
        if admin.site.is_registered(model):
            admin.site.unregister(model)
    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LockoutAdmin)
    apps.get_app_config("axes").verbose_name = _("Logins")
    AccessAttempt._meta.verbose_name = _("login lockout")
    AccessAttempt._meta.verbose_name_plural = _("login lockouts")
