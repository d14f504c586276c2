import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()

# The web sends tasks too: it refuses to start with the same settings the
# worker would refuse (config.celery).
from config.celery import check_visibility_timeout  # noqa: E402

check_visibility_timeout()

# The URLconf, and every view with it, is imported here rather than on the
# first request, so that it is loaded before the freeze below (about a
# quarter of the long-lived objects) and no first request waits for it.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Everything loaded so far (Django, the apps, SciPy and OR-Tools through the
# tasks: about 190,000 objects) lives as long as the process. Frozen, the
# garbage collector stops walking them: each full collection, which came
# every few dozen requests of a student list, took 110-140 ms of CPU while
# holding the GIL, and so stalled every thread of the worker
# (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.collect()
gc.freeze()
