"""Jobsite settings: every value comes from the environment (or `.env`), with safe defaults."""

from importlib.util import find_spec
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# The development key only works with DEBUG on: production must bring its own.
DEVELOPMENT_SECRET_KEY = "django-insecure-jobsite-development-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY or (not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "jobsite",
    "apijobs",
    # After apijobs: its db_worker (django-tasks-db's, kept alive through a database outage)
    # is the one `manage.py db_worker` runs.
    "django_tasks_db",
    "jobs",
    "workorders",
]

MIDDLEWARE = [
    "jobsite.api.middleware.TxIdMiddleware",
    "jobsite.api.middleware.RateLimitHeadersMiddleware",
    "jobsite.api.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The admin in the user's local time (their organization's zone); the API stays in UTC.
    "jobsite.local_time.LocalTimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jobsite.api.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "jobsite.urls"
WSGI_APPLICATION = "jobsite.wsgi.application"
ASGI_APPLICATION = "jobsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker write side by side;
    # IMMEDIATE transactions take the write lock up front instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    # A connection pool per process bounds its connections: persistent connections (one per
    # thread) let runserver's thread-per-request open as many as requests came in at once.
    # DB_POOL_MAX=0 turns the pool off (behind PgBouncer, say); CONN_MAX_AGE then applies.
    DB_POOL_MIN = env.int("DB_POOL_MIN", default=1)
    DB_POOL_MAX = env.int("DB_POOL_MAX", default=10)
    # Seconds a request waits for a free connection (or for the database to come back) before
    # its answer is a 503.
    DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=10.0)
    if DB_POOL_MAX:
        if not 0 <= DB_POOL_MIN <= DB_POOL_MAX or DB_POOL_TIMEOUT <= 0:
            raise ImproperlyConfigured(
                "DB_POOL_MIN must be 0 to DB_POOL_MAX, and DB_POOL_TIMEOUT more than 0."
            )
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            "timeout": DB_POOL_TIMEOUT,
            # The pool retries a lost connection at doubling intervals until it gives up, then
            # the next request asks afresh at once. Giving up after 10 s (psycopg's default is
            # 5 min) keeps the wait after a long outage to seconds, not minutes.
            "reconnect_timeout": 10,
        }
        # A pooled connection keeps what it prepared: jobsite.database.prepared_cursor prepares
        # a hot path's statements once per connection, and PostgreSQL plans them once (generic
        # plans; nothing else is prepared, nor is there any PL/pgSQL, so nothing else is
        # planned so). psycopg prepares nothing by itself: Django's cursors bind on the client,
        # and this count is not reached.
        options = DATABASES["default"]["OPTIONS"]
        options["prepare_threshold"] = 2**31 - 1
        options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
        # Django's pool refuses persistent connections: a closed connection goes back to it.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# The default cache holds the rate-limit counts, so every gunicorn worker must see the same one:
# the database (its table is made by `migrate`) unless CACHE_URL names e.g. Redis.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://jobsite_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Django culls a third of the rows, live counts included, past MAX_ENTRIES (300 by default).
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 20_000)
elif CACHES["default"]["BACKEND"].endswith(".RedisCache") and not find_spec("redis"):
    raise ImproperlyConfigured("CACHE_URL names Redis: install its client (pip install redis).")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "jobsite.User"

# Django's backend, with the user's sales organization loaded alongside (its time zone).
AUTHENTICATION_BACKENDS = ["jobsite.local_time.UserWithOrganizationBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Bulk bodies (up to BULK_MAX_RECORDS work orders) must fit; larger ones get a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
BULK_MAX_RECORDS = env.int("BULK_MAX_RECORDS", default=100_000)
# Records per chunk of a bulk job: one task (any worker claims it) and one transaction each;
# the set-based path pays a fixed cost per chunk, so chunks are large: 10,000 keeps one worker
# above 0.8x the import's rows/s and two workers near 1.6x one (README, "Several workers").
BULK_CHUNK_SIZE = env.int("BULK_CHUNK_SIZE", default=10_000)
# false: every bulk record goes record by record through upsert_work_orders (as before the
# set-based path; for comparison, or should the set-based path ever need to be set aside).
BULK_SET_BASED = env.bool("BULK_SET_BASED", default=True)
# A processing API job whose worker committed no chunk for this long is taken for dead by
# `manage.py requeue_stale_jobs`: queued again (it resumes after its last committed chunk), at
# most API_JOB_MAX_RESUMES times, then failed with a message saying where it stopped.
API_JOB_STALE_SECONDS = env.int("API_JOB_STALE_SECONDS", default=300)
API_JOB_MAX_RESUMES = env.int("API_JOB_MAX_RESUMES", default=3)

# Scheduling (DESIGN "Scheduling"): travel time = great-circle distance / this speed, for the
# proposals and the auto-plan; the auto-plan's solver stops after AUTOPLAN_TIME_LIMIT_SECONDS
# of wall time (model building included) and plans at most AUTOPLAN_MAX_WORK_ORDERS at once.
SCHEDULING_AVERAGE_SPEED_KMH = env.float("SCHEDULING_AVERAGE_SPEED_KMH", default=50.0)
AUTOPLAN_TIME_LIMIT_SECONDS = env.float("AUTOPLAN_TIME_LIMIT_SECONDS", default=30.0)
AUTOPLAN_MAX_WORK_ORDERS = env.int("AUTOPLAN_MAX_WORK_ORDERS", default=2000)

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24 * 30)
# How long a process trusts a token it found active without reading it again: a token revoked
# or a user disabled elsewhere keeps working on this process that long (0: read every time).
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=5)

# A proposal's score is 100 less these points: per km of detour, per day after the first
# moment searched, per hour already planned for the technician that day.
SCHEDULING_PROPOSAL_WEIGHTS = {
    "travel_km": env.float("SCHEDULING_WEIGHT_TRAVEL_KM", default=1.0),
    "days": env.float("SCHEDULING_WEIGHT_DAYS", default=10.0),
    "booked_hours": env.float("SCHEDULING_WEIGHT_BOOKED_HOURS", default=2.0),
}

# Rates as "N/s", "N/min", "N/hour" or "N/day", counted in the default cache.
# Every API request counts for its token (a session's user, else the client address).
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="6000/min")
# Only failed logins count: per account (whatever the address) and per client address.
LOGIN_ACCOUNT_LIMIT = env.str("LOGIN_ACCOUNT_LIMIT", default="10/min")
LOGIN_ADDRESS_LIMIT = env.str("LOGIN_ADDRESS_LIMIT", default="100/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jobsite.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "jobsite.api.parsers.JSONParser",
        "jobsite.api.parsers.TextJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # application/json first: what a client gets when its Accept allows both (or is absent).
    "DEFAULT_RENDERER_CLASSES": [
        "jobsite.api.renderers.JSONRenderer",
        "jobsite.api.renderers.TextJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "jobsite.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "jobsite.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
        "jobsite.api.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "jobsite.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "jobsite.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["jobsite.api.throttling.ApiRateThrottle"],
    # Behind N reverse proxies the client address is the Nth from the right of X-Forwarded-For;
    # with 0, REMOTE_ADDR (a header the client writes must not choose its rate-limit bucket).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Jobsite API",
    "DESCRIPTION": "Work orders, planning, fulfillment jobs and API jobs for field service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "jobsite.api.schema.add_links",
    ],
    # The model's states, and the labels the seed-001/002 envelope writes them as.
    "ENUM_NAME_OVERRIDES": {
        "LifeCycleStateEnum": "jobs.models.LifeCycleState",
        "LifeCycleLabelEnum": ["DRAFT", "PENDING", "IN PROGRESS", "COMPLETED", "CANCELLED"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Production hardening: on unless DEBUG; each can be turned off behind a TLS-terminating proxy.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
