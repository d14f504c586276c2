"""The Celery app. `celery -A config worker` and `celery -A config beat` load it."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# DjangoTask adds delay_on_commit / apply_async_on_commit, so a task that reads
# rows written in the same request is sent only once they are committed.
app = Celery("bangfu", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
