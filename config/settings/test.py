"""Settings for the test suite: the base settings with fast hashing.

Tasks stay eager even when REDIS_URL is set, so a test exercises Redis or a
real worker only when it asks for one (tests/conftest.py).
"""

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# The API reads JSON (core.parsers); APIClient sends JSON unless a test says otherwise.
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}  # noqa: F405
# Django's own records (request warnings) go to the root logger like every other, so
# that a test run's log file (pytest --log-file, .ci/run) and caplog hold them too.
LOGGING["loggers"]["django"] = {"level": "INFO", "handlers": [], "propagate": True}  # noqa: F405
