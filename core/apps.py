from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    # Named as the default: this module also holds the admin's AppConfig below.
    default = True
    name = "core"
    verbose_name = _("Bangfu core")

    def ready(self):
        from core.admin import platform_admin_pages
        from core.append_only import register_sqlite_function

        # Every app's admin module has run by now (the admin app comes first
        # in INSTALLED_APPS), so third-party pages can be swapped here.
        platform_admin_pages()
        connection_created.connect(register_sqlite_function, dispatch_uid="core.append_only")


class PlatformAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Bangfu's own site as `admin.site` (core.admin).

    https://docs.djangoproject.com/en/5.2/ref/contrib/admin/#overriding-the-default-admin-site
    """

    default = False
    default_site = "core.admin.PlatformAdminSite"
