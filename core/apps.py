from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Bangfu core"

    def ready(self):
        from core.append_only import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="core.append_only")
