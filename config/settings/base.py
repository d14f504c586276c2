"""Settings for Bangfu.

This module is the embedded default: with no environment at all it runs on a
SQLite file under `var/` with Celery tasks executed in-process. Deployments set
`DATABASE_URL` (PostgreSQL) and `REDIS_URL` (Celery broker and cache); see
`production.py` for what a public deployment must add.
"""

import logging
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import Env

env = Env()
logger = logging.getLogger("config")

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# The fallback key only ever signs sessions of a local, embedded run;
# production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="embedded-default-not-for-deployment-" + "x" * 20)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The key of the ID-number hash (mentoring.idnumbers). It is not SECRET_KEY, so
# that rotating SECRET_KEY does not break matching against stored hashes.
ID_HASH_KEY = env.str("BANGFU_ID_HASH_KEY", default="embedded-default-id-hash-key").encode()
# The keys that encrypt guardians' bank account numbers (mentoring.bank_accounts),
# Fernet keys (`Fernet.generate_key()` of cryptography.fernet),
# comma-separated: the first encrypts, every one decrypts, so a new key goes first
# and the old one stays until the numbers are written again
# (https://cryptography.io/en/latest/fernet/#cryptography.fernet.MultiFernet).
# The embedded default only serves local runs; production.py requires the variable.
EMBEDDED_ACCOUNT_KEY = "ZW1iZWRkZWQtZGVmYXVsdC1hY2NvdW50LWtleS0wMDA="
GUARDIAN_ACCOUNT_KEYS = env.list("BANGFU_ACCOUNT_KEYS", default=[EMBEDDED_ACCOUNT_KEY])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# How many reverse proxies stand before the app, each appending to
# X-Forwarded-For (core.http.client_ip). 0 trusts only the socket address, so
# a client reaching the app directly cannot choose its own address.
NUM_PROXIES = env.int("NUM_PROXIES", default=0, minimum=0, maximum=5)

INSTALLED_APPS = [
    # django.contrib.admin, for platform administrators only (core.admin).
    "core.apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Refresh tokens used once are kept here until they expire (SIMPLE_JWT below).
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    # Failed logins and lockouts (core.logins).
    "axes",
    # Dependencies point one way: workers -> donations -> mentoring -> core.
    "core",
    "mentoring",
    "donations",
    "oversight",
    "workers",
    # The pages of supervisors (and, to come, administrators): over every app above.
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A view that fails because the database or Redis is down answers JSON 503
    # with Retry-After (core.unavailable); the API's views do so through
    # core.exception_handler, errors outside any view through handler500.
    "core.unavailable.ServiceUnavailableMiddleware",
    # The Content-Security-Policy header on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (which may hold the chosen language), before
    # CommonMiddleware (https://docs.djangoproject.com/en/5.2/topics/i18n/translation/).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records who made each change in the audit history. DRF sets the
    # authenticated user on the underlying request, so token users count too.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A code in a request (`"term": "2026-autumn"`) is looked up among what
    # the user can reach (core.codes).
    "core.codes.CurrentRequestMiddleware",
    # Last, as django-axes asks: turns a login refused for a lockout into a 429
    # (core.logins.lockout_response).
    "axes.middleware.AxesMiddleware",
]

# django-axes's backend comes first so that it refuses a locked-out login
# before any password is checked
# (https://django-axes.readthedocs.io/en/latest/2_installation.html).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# What a page may load and run (https://django-csp.readthedocs.io/en/latest/configuration.html):
# only this site's own scripts, styles, images and fonts, and no inline script at all.
# An inline <style> runs only with the request's nonce (the report's page and Swagger
# UI carry one); style attributes in markup are refused. Images may also be data: URIs
# (Swagger UI's icons, the report's empty favicon). No page may be framed, post a form
# elsewhere, change its base URL or embed a plugin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "config.urls"
# A refused CSRF check answers JSON on API paths (config.api.csrf_failure).
CSRF_FAILURE_VIEW = "config.api.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "mentoring.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, else a SQLite file in the project.
# https://github.com/jazzband/dj-database-url
DATABASE_URL = env.url(
    "DATABASE_URL", default=None, schemes=("postgres", "postgresql", "pgsql", "sqlite")
)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env.int("DB_CONN_MAX_AGE", default=60, minimum=0),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A database that does not answer refuses a new connection after this many
        # seconds instead of hanging the request (libpq's connect_timeout; 2 at least).
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
            "DB_CONNECT_TIMEOUT", default=5, minimum=2, maximum=60
        )
        # No JIT compilation. PostgreSQL compiles a query whose estimated cost
        # passes jit_above_cost, and the correlated subqueries of the reports are
        # estimated far above what they cost: on the county bench the report's
        # award-by-category query took 1.14 s with JIT, 0.47 s of it compiling,
        # and 0.42 s without; the report's whole collection 3.9 s and 2.9 s.
        # Sent at connection start, so it holds for every query; a PgBouncer in
        # front needs `ignore_startup_parameters = options` (docs/scaling.md).
        options = DATABASES["default"]["OPTIONS"]
        options["options"] = " ".join(filter(None, [options.get("options"), "-c jit=off"]))
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "bangfu.sqlite3",
            # IMMEDIATE transactions take the write lock up front, so two
            # writers queue instead of failing with "database is locked"
            # (https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker and cache when REDIS_URL is set; otherwise tasks run in-process
# and the cache is per process.
REDIS_URL = env.url("REDIS_URL", default=None, schemes=("redis", "rediss"))
# Seconds a Redis command (and a new connection) may take before it fails: a
# frozen Redis must fail a request or a publish, not hang it
# (https://redis.readthedocs.io/en/stable/connections.html).
REDIS_SOCKET_TIMEOUT = env.int("REDIS_SOCKET_TIMEOUT", default=3, minimum=1)
REDIS_CONNECT_TIMEOUT = env.int("REDIS_CONNECT_TIMEOUT", default=2, minimum=1)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bangfu",
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language on every page (`config/formats/`): 2026年12月3日, 3 Dec 2026.
# https://docs.djangoproject.com/en/5.2/ref/settings/#format-module-path
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app directories without collectstatic in the
# embedded run (https://whitenoise.readthedocs.io/en/stable/django.html).
WHITENOISE_USE_FINDERS = True
if WHITENOISE_USE_FINDERS:
    # Whitenoise warns at every start when the root is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Files served at the site's root: browsers ask every page for /favicon.ico,
# the admin's included (https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_ROOT).
WHITENOISE_ROOT = BASE_DIR / "config" / "root"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Listed first so that an anonymous request is answered 401 with a
        # WWW-Authenticate header, not 403. It refuses revoked tokens too.
        "mentoring.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    # django-filter that answers 400 for a query parameter no filter reads,
    # instead of ignoring it and answering the whole list (core/filters.py).
    "DEFAULT_FILTER_BACKENDS": ["core.filters.StrictFilterBackend"],
    # JSON only, with size and depth limits (core.parsers); the views that take
    # a file upload (roster import, government list) add the bounded multipart parser.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exception_handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Bangfu has no DRF throttle; should one be added, it reads client
    # addresses by the same rule as core.http.client_ip
    # (https://www.django-rest-framework.org/api-guide/throttling/#how-clients-are-identified).
    "NUM_PROXIES": NUM_PROXIES,
}

# https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=env.int("JWT_ACCESS_MINUTES", default=30, minimum=1, maximum=24 * 60)
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        days=env.int("JWT_REFRESH_DAYS", default=1, minimum=1, maximum=90)
    ),
    # A refresh answers a new refresh token and the one used is refused from
    # then on (mentoring.apis.tokens.RefreshSerializer).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # The login view sends `user_logged_in` instead, which records the time
    # (mentoring.apis.tokens.LoginSerializer).
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Failed logins and lockouts: one count for every login (core.logins), kept in
# the database that every process shares, so that it holds across gunicorn
# workers and machines and while Redis restarts
# (https://django-axes.readthedocs.io/en/latest/4_configuration.html).
# The teachers of a school often share one public address, so an address
# takes many more failures than an account before it is locked.
AXES_HANDLER = "core.logins.LoginFailures"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5, minimum=1, maximum=100)
LOGIN_FAILURES_PER_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_ADDRESS", default=50, minimum=1, maximum=100_000
)
if LOGIN_FAILURES_PER_ADDRESS < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "LOGIN_FAILURES_PER_ADDRESS must be at least LOGIN_FAILURES_PER_ACCOUNT: the people "
        "behind one address would otherwise be locked out before any account is."
    )
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1, maximum=7 * 24 * 60)
)
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_USERNAME_CALLABLE = "core.logins.login_name"
AXES_LOCKOUT_CALLABLE = "core.logins.lockout_response"
# Attempts refused during a lockout are not counted, so that the lock ends
# when Retry-After says, however often the owner tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No table of every successful login (it would only grow); failures and
# lockouts are kept until they expire.
AXES_DISABLE_ACCESS_LOG = True

SPECTACULAR_SETTINGS = {
    "TITLE": "Bangfu API",
    "DESCRIPTION": "Student support for schools and district education bureaus (帮扶).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations tagged by resource (students, sessions, pledges…), not all
    # under "v1"; config.docs.group_by_area then gathers the resources by area.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Only the bearer token is documented: Swagger's Authorize dialog listed the
    # session cookie's box first, and a token pasted there was sent as a cookie,
    # so the call went out anonymous. The browsable API keeps its session login.
    "AUTHENTICATION_WHITELIST": ["mentoring.authentication.BearerAuthentication"],
    # The enums' own hook, the fields a mentor's view of a student leaves out,
    # and Swagger's sections by area of work (accounts, mentoring, aid & money…).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mentoring.apis.students.mentor_fields_optional",
        "config.docs.group_by_area",
    ],
    # Several models have a field named `kind` (or `subject`) with their own
    # choices; name each enum after its model's choices so the schema has no
    # generated names (https://drf-spectacular.readthedocs.io/en/latest/settings.html).
    "ENUM_NAME_OVERRIDES": {
        "MentorKindEnum": "mentoring.models.MentorKind",
        "PairingKindEnum": "mentoring.models.PairingKind",
        "SessionKindEnum": "mentoring.models.SessionKind",
        "SubjectEnum": "mentoring.models.Subject",
        "AssessmentStatusEnum": "mentoring.models.AssessmentStatus",
        "PairingStatusEnum": "mentoring.models.PairingStatus",
        "AwardStatusEnum": "donations.models.AwardStatus",
        "HardshipKindEnum": "mentoring.models.HardshipKind",
        "PledgeKindEnum": "donations.models.PledgeKind",
        "LedgerKindEnum": "donations.models.LedgerKind",
        "FundSourceEnum": "donations.models.FundSource",
        "DonorKindEnum": "donations.models.DonorKind",
        "IndicatorSourceEnum": "mentoring.models.IndicatorSource",
        "SchoolLevelEnum": "mentoring.models.SchoolLevel",
        "SuggestionKindEnum": "oversight.models.SuggestionKind",
        "ComplaintChannelEnum": "oversight.models.ComplaintChannel",
        "ComplaintStatusEnum": "oversight.models.ComplaintStatus",
        "AffiliationEnum": "oversight.models.Affiliation",
        "CommitteeKindEnum": "mentoring.models.CommitteeKind",
        "CommitteeRoleEnum": "mentoring.models.CommitteeRole",
        "RoleEnum": "mentoring.models.Role",
    },
}

# How far ahead a pledge (each of its instalments) may fall due (donations.services.pledges).
PLEDGE_MAX_YEARS_AHEAD = env.int("PLEDGE_MAX_YEARS_AHEAD", default=5, minimum=1)

# How long an `Idempotency-Key` is remembered (core.idempotency); an older
# key is ignored and its stored answer replaced.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24, minimum=1)
# A request that finds its key claimed by one still running waits this long for
# that one's answer before answering 409 "in progress" with Retry-After
# (IDEMPOTENCY_RETRY_AFTER seconds). The wait holds one of a gunicorn worker's
# threads, so it is short; on PostgreSQL it also bounds the wait for a lapsed
# claim's row lock (core.idempotency).
IDEMPOTENCY_WAIT_MS = env.int("IDEMPOTENCY_WAIT_MS", default=3000, minimum=0, maximum=20_000)
IDEMPOTENCY_RETRY_AFTER = env.int("IDEMPOTENCY_RETRY_AFTER", default=2, minimum=1, maximum=60)
# A claimed key that was never answered (its request died with its process) is
# free again after this many seconds; longer than any request may run.
IDEMPOTENCY_CLAIM_SECONDS = env.int(
    "IDEMPOTENCY_CLAIM_SECONDS", default=60, minimum=10, maximum=24 * 60 * 60
)

# How long a client is told to wait (Retry-After, seconds) when the database or
# Redis is down and the request answered 503 (core.unavailable).
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int(
    "SERVICE_UNAVAILABLE_RETRY_AFTER", default=5, minimum=1, maximum=3600
)
# /healthz answers within this many milliseconds whatever hangs (config.api.healthz).
HEALTH_CHECK_TIMEOUT_MS = env.int(
    "HEALTH_CHECK_TIMEOUT_MS", default=500, minimum=50, maximum=10_000
)

# Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html).
# Without a broker, tasks run in-process and eagerly, which is what the
# embedded default and most tests want.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Job progress and results live in workers.Job, not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it has finished, and re-queued when its
# worker dies; tasks are therefore written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Processes of one worker (its prefork pool); more workers come from more
# containers (`docker compose up --scale worker=N`). A province's job runs one
# county per process at a time. https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-concurrency
CELERY_WORKER_CONCURRENCY = env.int("WORKER_CONCURRENCY", default=2, minimum=1, maximum=64)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_SOFT_TIME_LIMIT", default=25 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TIME_LIMIT", default=30 * 60, minimum=1)
# Redis re-delivers an unacknowledged task after the visibility timeout; it
# must exceed the longest hard time limit or a long task would run twice at
# once (checked below, and at start by config.celery). A whole worker lost is
# found sooner by the reaper (JOB_HEARTBEAT_TIMEOUT), not by this timeout.
# The socket timeouts make a publish to a frozen Redis fail instead of hanging
# (https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 10 * 60, minimum=1
    ),
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish tries twice, briefly: a job whose task cannot be sent stays
# pending, and the reaper sends it later (workers.services.job_send).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# The reaper (workers.services.jobs_reap): a running job writes its heartbeat
# every JOB_HEARTBEAT_EVERY seconds and has lost its worker when none came for
# JOB_HEARTBEAT_TIMEOUT; a pending job is sent again after JOB_RESEND_AFTER;
# a job whose worker was lost is sent again JOB_MAX_RESENDS times, then failed.
JOB_HEARTBEAT_EVERY = env.int("JOB_HEARTBEAT_EVERY", default=10, minimum=1)
JOB_HEARTBEAT_TIMEOUT = env.int("JOB_HEARTBEAT_TIMEOUT", default=60, minimum=2)
JOB_RESEND_AFTER = env.int("JOB_RESEND_AFTER", default=5 * 60, minimum=1)
JOB_MAX_RESENDS = env.int("JOB_MAX_RESENDS", default=1, minimum=0)
JOB_REAP_EVERY = env.int("JOB_REAP_EVERY", default=60, minimum=1)
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs, in CELERY_TIMEZONE (Asia/Shanghai).
CELERY_BEAT_SCHEDULE = {
    "pledges-daily-check": {
        "task": "workers.pledges_daily_check",
        "schedule": crontab(hour=6, minute=0),
    },
    # Monday morning: last week's tutoring, reminders and escalations (workers.tasks).
    "weekly-tutoring-check": {
        "task": "workers.weekly_check",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    # Pending jobs sent again, jobs of a lost worker ended (workers.services.jobs_reap).
    "reap-jobs": {"task": "workers.reap_jobs", "schedule": JOB_REAP_EVERY},
    # Expired refresh tokens recorded by the token blacklist (workers.tasks).
    "flush-expired-tokens": {
        "task": "workers.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=30),
    },
}

if not CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_SOFT_TIME_LIMIT must be below CELERY_TIME_LIMIT.")
if not CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TIME_LIMIT.")
if not JOB_HEARTBEAT_TIMEOUT >= 2 * JOB_HEARTBEAT_EVERY:
    raise ImproperlyConfigured("JOB_HEARTBEAT_TIMEOUT must be at least twice JOB_HEARTBEAT_EVERY.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # A refused request (403) is logged in one line, without the traceback Django adds.
    "filters": {"refusal_without_traceback": {"()": "core.logs.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "django.request": {"filters": ["refusal_without_traceback"]},
    },
}

# Where the embedded run sends e-mail: nowhere. Reminders name children, so outside
# DEBUG only their number is logged (core.mail); with DJANGO_DEBUG=true the console
# backend prints them whole.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "core.mail.CountOnlyEmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="bangfu@localhost")
# The SMTP server of a deployment, for the weekly check's reminders
# (https://docs.djangoproject.com/en/5.2/topics/email/#smtp-backend).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30, minimum=1)

# The largest roster file (CSV or XLSX) the import accepts, in bytes (mentoring.services.roster).
ROSTER_MAX_BYTES = env.int("ROSTER_MAX_BYTES", default=10 * 1024 * 1024, minimum=1)

# Request limits: every oversized or overfull request is refused before it is
# read, with a JSON error on API paths naming the limit (core.parsers,
# core.exceptions). A request body without its files (every JSON body) is at
# most REQUEST_MAX_BYTES; the largest one the API takes is a government list
# of 20,000 rows, about 1.5 MB.
# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_MAX_BYTES", default=2_621_440, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("REQUEST_MAX_FIELDS", default=1000, minimum=10)
# How deeply lists and objects may nest in a JSON body; the API's deepest body
# (a pledge's instalments) needs three levels.
API_JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32, minimum=4)
# A whole file upload (multipart) body: the largest roster file and its form fields.
API_UPLOAD_MAX_BYTES = env.int(
    "UPLOAD_MAX_BYTES", default=ROSTER_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE, minimum=1
)
if API_UPLOAD_MAX_BYTES < ROSTER_MAX_BYTES:
    raise ImproperlyConfigured("UPLOAD_MAX_BYTES must be at least ROSTER_MAX_BYTES.")
