"""Warroom's settings. Everything a deployment changes comes from the environment (see README)."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from warroom.env import (
    env_bool,
    env_database,
    env_dates,
    env_hours,
    env_int,
    env_list,
    env_networks,
    env_pairs,
    env_proxy_header,
    env_str,
    env_timezone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WARROOM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (or set DEBUG=true for development)")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",  # the Content-Security-Policy header (CONTENT_SECURITY_POLICY below)
    "incidents",
    "targets",
    "diagnostics",
    "mitigations",
    "postmortems",
    "people",
    "alerts",
    "chat",
    "status",
    "audit",
    "warroom",  # the outbox of work for the workers (warroom/outbox.py)
]
# The admin site records every add, change and delete in the audit log (audit/admin_site.py), whatever the ModelAdmin.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "audit.admin_site.AuditedAdminConfig"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "warroom.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.context.audit_context_middleware",  # who is asking, from where: for the audit log
    "warroom.middleware.NulRefusedMiddleware",  # NUL in text: a 400, not PostgreSQL's 500
    "warroom.middleware.WorkersUnreachableMiddleware",  # API writes say when the broker is down (warroom/outbox.py)
    "warroom.middleware.SessionIdleMiddleware",  # a session ends after WARROOM_SESSION_IDLE_MINUTES without a request
]
if env_bool("WARROOM_QUERY_COUNT_HEADER", False):
    # For bench/: each response says how many SQL queries it cost.
    MIDDLEWARE.insert(0, "warroom.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "warroom.urls"
WSGI_APPLICATION = "warroom.wsgi.application"

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

# Per process: holds rendered timelines keyed by incident version, so nothing in it can go stale.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "warroom",
                      "OPTIONS": {"MAX_ENTRIES": 2000}}}

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'warroom.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind TLS in production (README): redirect plain HTTP, and tell browsers to use HTTPS only.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets, e.g. X-Forwarded-Proto; only set it when such a proxy strips it from clients.
SECURE_PROXY_SSL_HEADER = env_proxy_header("SECURE_PROXY_SSL_HEADER")

# Debug pages (DEBUG=true only) hide credentials inside URLs too: DATABASE_URL, CELERY_BROKER_URL, targets.
DEFAULT_EXCEPTION_REPORTER_FILTER = "warroom.errors.SafeExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- The runbook's clock -------------------------------------------------------------------------
# SEV4 is due by the end of the next business day, counted in TIME_ZONE.
BUSINESS_HOURS = env_hours("WARROOM_BUSINESS_HOURS", "09:00-17:00")
BUSINESS_DAYS = [int(d) for d in env_list("WARROOM_BUSINESS_DAYS", ["0", "1", "2", "3", "4"]) if d.isdigit()]
HOLIDAYS = env_dates("WARROOM_HOLIDAYS")
# The runbook's "Monitor for 30 minutes" before closing.
MONITORING_MINUTES = env_int("WARROOM_MONITORING_MINUTES", 30, minimum=0)
# How often open pages ask whether anything changed.
LIVE_POLL_SECONDS = env_int("WARROOM_LIVE_POLL_SECONDS", 1, minimum=1)

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "warroom.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "warroom.schema.AutoSchema",  # adds the shared error answers (400/401/403/404/409/413)
    "EXCEPTION_HANDLER": "warroom.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Warroom API",
    "DESCRIPTION": "Declare and run incidents from scripts, alerts and bots.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Three models have a "status": name each set of choices after its model, not a hash.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.Status",
        "RunStatusEnum": "diagnostics.models.Run.Status",
        "MitigationStatusEnum": "mitigations.models.Mitigation.Status",
        "PostMortemStatusEnum": "postmortems.models.PostMortemStatus",  # writing (h/pm-write)
        "ActionItemStatusEnum": "postmortems.models.ActionItemStatus",
        "PublicStatusEnum": "status.models.PublicStatus",  # the status page's public updates (h/status)
    },
}

# --- Celery --------------------------------------------------------------------------------------
_celery_dir = VAR_DIR / "celery"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server, for `make run` on a fresh machine.
    for sub in ("queue", "control"):
        (_celery_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "control_folder": str(_celery_dir / "control"),
        "polling_interval": 0.2,
    }
elif not CELERY_BROKER_URL.startswith(("redis://", "rediss://", "amqp://", "memory://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must be redis://, amqp:// or filesystem://")
# Push (issue 14): Server-Sent Events under an ASGI server, fed by Redis pub/sub. Off (pages poll) without Redis.
LIVE_REDIS_URL = env_str("WARROOM_LIVE_REDIS_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(
    ("redis://", "rediss://")) else "")
LIVE_CHANNEL_PREFIX = env_str("WARROOM_LIVE_CHANNEL_PREFIX", "")  # "": warroom:<database name>
LIVE_HEARTBEAT_SECONDS = env_int("WARROOM_LIVE_HEARTBEAT_SECONDS", 15, minimum=1)
LIVE_RECHECK_SECONDS = env_int("WARROOM_LIVE_RECHECK_SECONDS", 20, minimum=1)
LIVE_RETRY_MS = 2000
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A stopped or unanswering Redis costs a publish about a second, never a hung request (warroom/outbox.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
# How often each worker publishes what waits in the outbox (messages the web could not send: the broker was down).
OUTBOX_RELAY_SECONDS = env_int("WARROOM_OUTBOX_RELAY_SECONDS", 5, minimum=0)  # 0: this worker does not relay
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sla-breaches": {"task": "incidents.tasks.record_sla_breaches", "schedule": timedelta(seconds=30)},
    "reap-runs": {"task": "diagnostics.tasks.reap_runs", "schedule": timedelta(seconds=30)},
    "reap-watches": {"task": "diagnostics.tasks.reap_watches", "schedule": timedelta(seconds=60)},
    "reap-mitigations": {"task": "mitigations.tasks.reap_mitigations", "schedule": timedelta(seconds=60)},
    "escalate": {"task": "people.tasks.escalate", "schedule": timedelta(seconds=30)},
    "reap-notifications": {"task": "people.tasks.reap_notifications", "schedule": timedelta(seconds=60)},
    "reap-slack": {"task": "chat.tasks.reap_operations", "schedule": timedelta(seconds=60)},
    "read-providers": {"task": "status.tasks.read_providers", "schedule": timedelta(seconds=60)},
}

# --- Diagnostics ---------------------------------------------------------------------------------
# A check's own calls time out per target (5 s by default); this bounds a whole run on the worker.
DIAGNOSTICS_RUN_TIME_LIMIT = env_int("WARROOM_RUN_TIME_LIMIT", 30, minimum=2)
# A run no worker has taken by then ends as failed, saying so.
DIAGNOSTICS_QUEUE_TIMEOUT = env_int("WARROOM_RUN_QUEUE_TIMEOUT", 300, minimum=30)
# A target's secret_file must resolve inside this directory (its secret_env must start with WARROOM_TARGET_):
# whoever edits targets must not be able to point a worker at SECRET_KEY, DATABASE_URL or any other file.
TARGETS_SECRET_DIR = Path(env_str("WARROOM_SECRET_DIR", "/run/secrets/warroom") or "/run/secrets/warroom")
if not TARGETS_SECRET_DIR.is_absolute():
    raise ImproperlyConfigured(f"WARROOM_SECRET_DIR={str(TARGETS_SECRET_DIR)!r} must be an absolute path")
# The runbook's "Check monitoring dashboards": Name=URL pairs, opened on the incident's time window.
GRAFANA_DASHBOARDS = env_pairs("WARROOM_GRAFANA_DASHBOARDS")
TRIAGE_MINUTES = 5
# Watch memory (README: Watch memory): one `kubectl top pods` every interval, for at most the duration.
DIAGNOSTICS_WATCH_INTERVAL = env_int("WARROOM_WATCH_INTERVAL", 15, minimum=5)
DIAGNOSTICS_WATCH_SECONDS = env_int("WARROOM_WATCH_SECONDS", 1800, minimum=60)
DIAGNOSTICS_WATCH_MAX_SECONDS = env_int("WARROOM_WATCH_MAX_SECONDS", 7200, minimum=60)
# Steady growth: at least this many MiB per minute, with a least-squares fit at least this good (R²).
DIAGNOSTICS_GROWTH_MIB_PER_MIN = env_int("WARROOM_GROWTH_MIB_PER_MIN", 1, minimum=0)
DIAGNOSTICS_GROWTH_MIN_R2 = 0.8
# Where the runbook lives (its "Check memory leaks" line is linked beside a leaking pod); empty: shown, not linked.
RUNBOOK_URL = env_str("WARROOM_RUNBOOK_URL", "")

# --- Mitigations ---------------------------------------------------------------------------------
MITIGATION_APPROVAL_MINUTES = env_int("WARROOM_APPROVAL_MINUTES", 15, minimum=1)
MITIGATION_ROLLOUT_SECONDS = env_int("WARROOM_ROLLOUT_SECONDS", 300, minimum=2)
# A confirmed mitigation no worker has taken by then ends as failed, freeing its deployment.
MITIGATION_QUEUE_TIMEOUT = env_int("WARROOM_MITIGATION_QUEUE_TIMEOUT", 300, minimum=30)
# The runbook's "Scale database (Contact DBA team)": who to call, shown instead of an action.
DBA_CONTACT = env_str("WARROOM_DBA_CONTACT", "the DBA team (@dba)")

# --- When a worker dies (issue 15; docs/architecture.md "When a worker dies") --------------------
# Each bound is a setting, so that tests can shorten them for the worker they start. A task gets its soft limit to
# record how it ended, then TASK_HARD_MARGIN more seconds before the worker kills it.
TASK_HARD_MARGIN = 5
DIAGNOSTICS_RUN_HARD_LIMIT = DIAGNOSTICS_RUN_TIME_LIMIT + TASK_HARD_MARGIN
# A mitigation's whole time on a worker: the change, then following the rollout (WARROOM_ROLLOUT_SECONDS).
MITIGATION_TIME_LIMIT = env_int("WARROOM_MITIGATION_TIME_LIMIT", MITIGATION_ROLLOUT_SECONDS + 60,
                                minimum=MITIGATION_ROLLOUT_SECONDS + 1)
MITIGATION_HARD_LIMIT = MITIGATION_TIME_LIMIT + TASK_HARD_MARGIN
# A run or mitigation still running this long after its hard limit lost its worker; beat's reapers (every
# REAP_SECONDS) end it then, so nothing stays running more than a minute past its time limit.
WORKER_LOST_GRACE = env_int("WARROOM_WORKER_LOST_GRACE", 15, minimum=1)
REAP_SECONDS = 30
if TASK_HARD_MARGIN + WORKER_LOST_GRACE + REAP_SECONDS > 60:
    raise ImproperlyConfigured(f"WARROOM_WORKER_LOST_GRACE={WORKER_LOST_GRACE} must be at most "
                               f"{60 - TASK_HARD_MARGIN - REAP_SECONDS}: a lost run must end within a minute of its "
                               "time limit")
CELERY_BEAT_SCHEDULE["reap-runs"]["schedule"] = timedelta(seconds=REAP_SECONDS)
CELERY_BEAT_SCHEDULE["reap-mitigations"]["schedule"] = timedelta(seconds=REAP_SECONDS)
# Redis hands an unacknowledged message (its worker was killed) to another worker this long after delivering it.
# It must outlast the longest task, or a task still running would be handed out a second time.
BROKER_VISIBILITY_TIMEOUT = env_int("WARROOM_BROKER_VISIBILITY_TIMEOUT", 3600, minimum=1)
BROKER_RESTORE_INTERVAL = env_int("WARROOM_BROKER_RESTORE_INTERVAL", 10, minimum=1)  # how often workers look
_LONGEST_TASK = max(DIAGNOSTICS_RUN_HARD_LIMIT, MITIGATION_HARD_LIMIT)
if _LONGEST_TASK >= BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        f"WARROOM_BROKER_VISIBILITY_TIMEOUT={BROKER_VISIBILITY_TIMEOUT} must be more than the longest task's hard "
        f"time limit ({_LONGEST_TASK} s), or a running task is redelivered")
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
                                       "unacked_restore_interval": BROKER_RESTORE_INTERVAL,
                                       "unacked_restore_throttle": 1}
# The Celery queues runs and mitigations go to (a worker must consume them: `celery worker -Q celery,<name>`).
DIAGNOSTICS_QUEUE = env_str("WARROOM_DIAGNOSTICS_QUEUE", "celery")
MITIGATION_QUEUE = env_str("WARROOM_MITIGATION_QUEUE", "celery")

# --- Notifications and escalation (README: Notifications) ----------------------------------------
# Links in messages point here: the address people open Warroom at, e.g. https://warroom.example.com
BASE_URL = env_url("WARROOM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Email through Django's SMTP backend; no EMAIL_HOST, no email.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "warroom@localhost")
# A Slack incoming webhook (its URL is its secret), and a generic webhook signed with HMAC-SHA256.
SLACK_WEBHOOK_URL = env_url("WARROOM_SLACK_WEBHOOK_URL", "")
NOTIFY_WEBHOOK_URL = env_url("WARROOM_NOTIFY_WEBHOOK_URL", "")
NOTIFY_WEBHOOK_SECRET = env_str("WARROOM_NOTIFY_WEBHOOK_SECRET", "")
if NOTIFY_WEBHOOK_URL and len(NOTIFY_WEBHOOK_SECRET) < 16:
    raise ImproperlyConfigured("WARROOM_NOTIFY_WEBHOOK_SECRET (at least 16 characters) must be set with "
                               "WARROOM_NOTIFY_WEBHOOK_URL: receivers check the signature made with it")
# Each send's timeout; transient failures are retried this many times, waiting 1×, 2×, 4× … this many seconds.
NOTIFY_TIMEOUT = env_int("WARROOM_NOTIFY_TIMEOUT", 10, minimum=1)
EMAIL_TIMEOUT = NOTIFY_TIMEOUT
NOTIFY_MAX_RETRIES = env_int("WARROOM_NOTIFY_MAX_RETRIES", 3, minimum=0)
NOTIFY_RETRY_BACKOFF = env_int("WARROOM_NOTIFY_RETRY_BACKOFF", 2, minimum=1)
# The Celery queue sends go to (a worker must consume it: `celery worker -Q celery,<name>`).
NOTIFY_QUEUE = env_str("WARROOM_NOTIFY_QUEUE", "celery")
# A notification no worker has taken by then ends as failed, saying so.
NOTIFY_QUEUE_TIMEOUT = env_int("WARROOM_NOTIFY_QUEUE_TIMEOUT", 300, minimum=30)

# --- The Slack war room (README: Slack) ----------------------------------------------------------
# A bot token (xoxb-…) and the app's signing secret, each also from *_FILE; no token, no Slack (said on the page).
SLACK_BOT_TOKEN = env_str("WARROOM_SLACK_BOT_TOKEN", "").strip()
SLACK_SIGNING_SECRET = env_str("WARROOM_SLACK_SIGNING_SECRET", "").strip()
SLACK_API_URL = env_url("WARROOM_SLACK_API_URL", "https://slack.com/api/").rstrip("/") + "/"
SLACK_TIMEOUT = env_int("WARROOM_SLACK_TIMEOUT", 5, minimum=1)
# A failed call is retried this many times, waiting 1×, 2×, 4× … this many seconds, or Slack's Retry-After.
SLACK_MAX_RETRIES = env_int("WARROOM_SLACK_MAX_RETRIES", 4, minimum=0)
SLACK_RETRY_BACKOFF = env_int("WARROOM_SLACK_RETRY_BACKOFF", 2, minimum=1)
# The Celery queue Slack's operations go to (a worker must consume it), and when one nobody took ends as failed.
SLACK_QUEUE = env_str("WARROOM_SLACK_QUEUE", "celery")
SLACK_QUEUE_TIMEOUT = env_int("WARROOM_SLACK_QUEUE_TIMEOUT", 300, minimum=30)

# --- The audit log (README: Audit) ---------------------------------------------------------------
# Proxies whose X-Forwarded-For is believed (addresses or networks); none: the client is REMOTE_ADDR. Only list
# proxies that overwrite or append to the header, so a client cannot write its own address into the log.
AUDIT_TRUSTED_PROXIES = env_networks("WARROOM_TRUSTED_PROXIES")
AUDIT_PAGE_SIZE = 50

# --- Access (issue 15; README: Behind TLS, in production) ----------------------------------------
# Sign-in attempts, counted from the audit log's refused sign-ins (audit/lockout.py): per name tried (cleared by a
# successful sign-in) and per client address (never cleared), within a sliding window. A locked attempt is refused
# before the password is checked, and recorded (auth.login_locked).
# Django's ModelBackend with the check first; the only backend, so that force_login and sessions name it too. (Sessions
# from before it named ModelBackend: they were signed out once.)
AUTHENTICATION_BACKENDS = ["audit.lockout.LockoutBackend"]
LOGIN_MAX_FAILURES = env_int("WARROOM_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_IP = env_int("WARROOM_LOGIN_MAX_FAILURES_PER_IP", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("WARROOM_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# A session ends after this long without a request; live polls and streams do not count (warroom/middleware.py).
SESSION_IDLE_MINUTES = env_int("WARROOM_SESSION_IDLE_MINUTES", 720, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Just inside SecurityMiddleware: error pages made by any middleware after it (a 503 with the database down) have it.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or handler anywhere (static/warroom/*.js does it all; htmx runs without eval): what an attacker
# manages to put into a page does not run. tests/security/test_csp.py and tests/browser/test_csp.py hold it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # and the one inline <style> of templates/500.html and 503.html (they load nothing, whatever is broken), by
        # its hash: tests/security/test_csp.py checks it is still that style's.
        "style-src": ["'self'", "'sha256-ng0D0xbTjcb6XJmBEoW2VEJyYG8R61TNqAV+QUxYEdI='"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
