import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()

# The web sends tasks too: it refuses to start with the same settings the
# worker would refuse (config.celery).
from config.celery import check_visibility_timeout  # noqa: E402

check_visibility_timeout()
