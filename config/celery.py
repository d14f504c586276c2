"""The Celery app. `celery -A config worker` and `celery -A config beat` load it."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# DjangoTask adds delay_on_commit / apply_async_on_commit, so a task that reads
# rows written in the same request is sent only once they are committed.
app = Celery("bangfu", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def visibility_timeout_problem(celery_app: Celery) -> str | None:
    """Why the broker's visibility timeout is too short for the longest task, or None.

    Redis hands an unacknowledged task to another worker after the visibility
    timeout: shorter than a task's hard time limit, a long job would run twice
    at once. The settings check the default limit; a task may declare its own.
    """
    conf = celery_app.conf
    if not conf.broker_url.startswith(("redis://", "rediss://")):
        return None
    celery_app.loader.import_default_modules()
    limits = [conf.task_time_limit or 0]
    limits += [task.time_limit or 0 for task in celery_app.tasks.values()]
    longest = max(limits)
    visibility = (conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    if visibility > longest:
        return None
    return (
        f"The broker's visibility timeout ({visibility} s) must exceed the longest "
        f"task time limit ({longest} s); set CELERY_VISIBILITY_TIMEOUT."
    )


def check_visibility_timeout(celery_app: Celery = app) -> None:
    """Refuse to start (web or worker) with a visibility timeout shorter than a job."""
    from django.core.exceptions import ImproperlyConfigured

    problem = visibility_timeout_problem(celery_app)
    if problem:
        raise ImproperlyConfigured(problem)


@worker_init.connect
def _check_worker_settings(sender=None, **kwargs):
    check_visibility_timeout(sender.app if sender is not None else app)
