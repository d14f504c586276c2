"""Settings for the test suite: the base settings with fast hashing.

Tasks stay eager even when REDIS_URL is set, so a test exercises Redis or a
real worker only when it asks for one (tests/conftest.py).
"""

import os
from urllib.parse import urlsplit, urlunsplit

# pytest-xdist runs the suite in several processes (`make test`). Each gets a Redis
# database of its own, counting down from the one REDIS_URL names, so that one
# process's Celery worker never takes another's task and a cache.clear() stays in
# its own process. (Each already gets its own test database: pytest-django adds
# the worker's name to it.)
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw") and os.environ.get("REDIS_URL"):
    _url = urlsplit(os.environ["REDIS_URL"])
    _base = int(_url.path.strip("/") or 0)
    _db = (_base - int(_XDIST_WORKER[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_url._replace(path=f"/{_db}"))

from config.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The API reads JSON (core.parsers); APIClient sends JSON unless a test says otherwise.
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}  # noqa: F405
# Django's own records (request warnings) go to the root logger like every other, so
# that a test run's log file (pytest --log-file, .ci/run) and caplog hold them too.
LOGGING["loggers"]["django"] = {"level": "INFO", "handlers": [], "propagate": True}  # noqa: F405
