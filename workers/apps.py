import logging

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("workers")


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = _("Background jobs")

    def ready(self):
        # Background work that the domain apps announce, wired here so that
        # they never import workers.
        from workers import receivers  # noqa: F401

        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("No REDIS_URL: Celery tasks run in-process, in the calling thread.")
