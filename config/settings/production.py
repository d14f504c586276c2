"""Settings for a public deployment (docker-compose.yml).

Everything that makes `manage.py check --deploy` silent is here, and nothing
has a default that would be unsafe on the internet.
"""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import EMBEDDED_ACCOUNT_KEY, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 varied characters.")
ID_HASH_KEY = env.str("BANGFU_ID_HASH_KEY").encode()
if len(ID_HASH_KEY) < 32:
    raise ImproperlyConfigured("BANGFU_ID_HASH_KEY must be at least 32 characters.")
GUARDIAN_ACCOUNT_KEYS = env.list("BANGFU_ACCOUNT_KEYS")
try:
    [Fernet(key.encode()) for key in GUARDIAN_ACCOUNT_KEYS]
except ValueError:
    raise ImproperlyConfigured(
        "BANGFU_ACCOUNT_KEYS must be Fernet keys (32 bytes, url-safe base64), comma-separated."
    ) from None
if GUARDIAN_ACCOUNT_KEYS[0] == EMBEDDED_ACCOUNT_KEY:
    raise ImproperlyConfigured("BANGFU_ACCOUNT_KEYS must not start with the embedded default key.")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# TLS ends at the reverse proxy, which sets X-Forwarded-Proto
# (https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Container health checks call /healthz over plain HTTP from inside the host.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# Reminders go out through the SMTP server set by EMAIL_HOST and the other
# EMAIL_* variables (base.py), unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    # No browsable API in public: JSON only.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
