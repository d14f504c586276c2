# Load the Celery app with Django so that shared tasks bind to it
# (https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html).
from config.celery import app as celery_app

__all__ = ("celery_app",)
