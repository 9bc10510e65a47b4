"""Settings for the supplier gateway, read from the environment.

With nothing set, the gateway runs on its embedded default: SQLite (WAL) under ``var/``
and Kombu's filesystem broker, so ``make run`` needs no server. ``DATABASE_URL`` and
``REDIS_URL`` switch the same code to PostgreSQL and Redis. See ``.env.example``.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from kombu import Queue

from gateway.logs import environment_log_format, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GATEWAY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "axes",
    "csp",
    "django_htmx",
    "gateway",
    "suppliers",
    "notifications",
    "procurement",
    "materials",
    "edi",
    "api",
    "workbench",
    "portal",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gateway.middleware.CorrelationIdMiddleware",
    "api.middleware.ApiInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: a portal page asked for by htmx answers with the part of the page it swaps.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-allauth: the supplier portal's sign-in, e-mail verification and MFA stages.
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks: it turns a sign-in refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gateway.urls"
WSGI_APPLICATION = "gateway.wsgi.application"
LOGIN_URL = "/admin/login/"

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

# Database: SQLite in WAL mode by default; IMMEDIATE transactions so the web process and the
# worker take the write lock up front instead of failing with "database is locked" mid-way.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Server-side parameters let PostgreSQL prepare the write path's repeated statements once.
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": env_bool("GATEWAY_PG_SERVER_SIDE_BINDING", True),
            "prepare_threshold": 2,
        }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "gateway.sqlite3"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff sign-in (the admin): failures are counted in the database, so sign-in keeps working without
# Redis. A user name from one address is locked out after GATEWAY_SIGNIN_FAILURE_LIMIT failures, an
# address for every user name after GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT, each for the cool-off.
# Behind GATEWAY_TRUSTED_PROXIES proxies the address is taken from X-Forwarded-For (gateway.signin).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_HANDLER = "gateway.signin.SignInAttempts"
AXES_FAILURE_LIMIT = int(os.environ.get("GATEWAY_SIGNIN_FAILURE_LIMIT", "5"))
GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("GATEWAY_SIGNIN_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("GATEWAY_SIGNIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
GATEWAY_TRUSTED_PROXIES = int(os.environ.get("GATEWAY_TRUSTED_PROXIES", "0"))
AXES_CLIENT_IP_CALLABLE = "gateway.signin.client_address"
AXES_COOLOFF_MESSAGE = "Too many failed sign-ins: this sign-in is locked for a while. Try again later."

# Content-Security-Policy on every answer: scripts and styles only from our own files, never inline,
# no plugins, and no page of ours framed by another site. Swagger UI's icons are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Redis, when configured, carries Celery's broker and the shared cache; otherwise a broker
# kept on disk (Kombu's filesystem transport, each message written whole: gateway.broker) lets a
# real worker run with no daemon.
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = VAR_DIR / "broker"
# The longest a task of ours runs: an EDI file's receipt is stopped (its worker process killed)
# past this, and counted as one of its attempts (GATEWAY_EDI_MAX_ATTEMPTS); the sweep takes it up.
# Receiving is linear in the file's size, seconds for the largest file taken (GATEWAY_EDI_MAX_FILE_BYTES).
GATEWAY_EDI_TASK_SECONDS = int(os.environ.get("GATEWAY_EDI_TASK_SECONDS", "600"))
# How long Redis waits for a delivered message's ack before it gives the message to another worker.
# A message is unacked while its task runs (late acks, the EDI tasks) and while a worker holds it
# for a countdown (retries wait up to 300 s for the EDI tasks, up to the outbox's backoff for
# deliveries). Shorter than a run, and a running task would be handed out again, to run twice at
# once; longer, and the messages a dead worker held wait that long before another runs them. So:
# above GATEWAY_EDI_TASK_SECONDS by the longest EDI retry wait, and no longer. An outbox delivery
# waiting longer than this may be handed out twice: harmless, a delivery's claim is conditional.
BROKER_VISIBILITY_SECONDS = int(
    os.environ.get("GATEWAY_BROKER_VISIBILITY_SECONDS", str(GATEWAY_EDI_TASK_SECONDS + 300))
)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": BROKER_VISIBILITY_SECONDS}
    # Short timeouts: with Redis unreachable a request falls back (api.throttling) instead of hanging.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CELERY_BROKER_URL = "gatewayfs://"  # registered by gateway.celery
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # How often an idle worker looks for new messages (Kombu's default: every second). A
        # stopping worker notices the stop only between looks, so Ctrl-C waits for the next one.
        "polling_interval": 0.25,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery's Django fix-up closes the database connection after every task unless it may reuse it: a new
# PostgreSQL session per task. gateway.celery recycles connections as requests do (CONN_MAX_AGE, health
# checks); the fix-up still closes them every this many tasks (it counts a task's start and end as two).
CELERY_DB_REUSE_MAX = 2000
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Work kinds on queues of their own, so each can have its own workers (README: "Workers per queue"):
# files in and our answers on `edi`, outbox deliveries on `outbox`, PLM/ERP exports (items, BOM
# releases) on `materials`, the rest on `default`. Declared here, so a worker started without -Q
# consumes all four.
CELERY_TASK_QUEUES = (Queue("default"), Queue("edi"), Queue("outbox"), Queue("materials"))
CELERY_TASK_ROUTES = {
    "edi.tasks.*": {"queue": "edi"},
    "materials.tasks.*": {"queue": "materials"},
    "notifications.tasks.outbox_deliver": {"queue": "outbox"},
    "notifications.tasks.outbox_dispatch_due": {"queue": "outbox"},
    # Their names before the outbox had an app of its own, for messages queued before an upgrade.
    "procurement.tasks.outbox_deliver": {"queue": "outbox"},
    "procurement.tasks.outbox_dispatch_due": {"queue": "outbox"},
}
# A worker reserves one message at a time: one killed midway strands only the task it was running
# (which late acks, the task's retries and the EDI sweep bring back), not a batch it had prefetched.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task acknowledged late (the EDI receipts) whose worker process died midway goes back to the
# queue at once, rather than being acknowledged and dropped until the sweep notices its file. Only
# for idempotent tasks, and only safe for one that could kill its worker every time because each
# run counts an attempt first: after GATEWAY_EDI_MAX_ATTEMPTS the file is dead-lettered, not run
# again. Tasks acknowledged early (the rest) are not affected: what they drop, a sweep finds.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's database scheduler, recording its own heartbeat for /readyz.
CELERY_BEAT_SCHEDULER = "gateway.beat:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "outbox: deliver due messages": {
        "task": "notifications.tasks.outbox_dispatch_due",
        "schedule": float(os.environ.get("GATEWAY_OUTBOX_SWEEP_SECONDS", "5")),
    },
    "api: forget expired idempotency keys": {
        "task": "api.tasks.idempotency_records_purge",
        "schedule": 3600.0,
    },
    "exceptions: raise overdue acknowledgements": {
        "task": "procurement.tasks.acknowledgements_overdue_check",
        "schedule": 300.0,
    },
    "exceptions: escalate overdue to supervisors": {
        "task": "procurement.tasks.exceptions_overdue_escalate",
        "schedule": 900.0,
    },
}

# Outbox delivery: attempts before a message goes to the dead-letter state, and the backoff.
GATEWAY_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("GATEWAY_OUTBOX_MAX_ATTEMPTS", "6"))
GATEWAY_OUTBOX_BACKOFF_SECONDS = float(os.environ.get("GATEWAY_OUTBOX_BACKOFF_SECONDS", "30"))
GATEWAY_OUTBOX_BACKOFF_MAX_SECONDS = float(os.environ.get("GATEWAY_OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
GATEWAY_OUTBOX_HTTP_TIMEOUT = float(os.environ.get("GATEWAY_OUTBOX_HTTP_TIMEOUT", "10"))
# Files written by the outbox (850s for EDI partners, exports) stay below this root.
GATEWAY_FILE_ROOT = Path(os.environ.get("GATEWAY_FILE_ROOT", VAR_DIR / "files"))

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "gateway@localhost")

# Logs: one JSON object per line (production, compose) or one readable line (DJANGO_DEBUG=1, `make run`),
# each carrying the correlation id, document, partner and task where known (gateway.logs).
GATEWAY_LOG_FORMAT = environment_log_format(os.environ)
LOGGING = logging_config(log_format=GATEWAY_LOG_FORMAT, level=os.environ.get("GATEWAY_LOG_LEVEL", "INFO"))

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not env_bool("DJANGO_SECURE_HSTS_PRELOAD", False) else []

# Deliver outbox rows as soon as their transaction commits (the beat sweep catches the rest).
GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = env_bool("GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT", True)
# Buyers' exception e-mails go out as one digest per buyer per outbox sweep (GATEWAY_OUTBOX_SWEEP_SECONDS).
GATEWAY_EMAIL_DIGESTS = env_bool("GATEWAY_EMAIL_DIGESTS", True)
# Inbound payloads larger than this are refused (and recorded) without being parsed.
GATEWAY_INBOUND_MAX_BYTES = int(os.environ.get("GATEWAY_INBOUND_MAX_BYTES", str(20 * 1024 * 1024)))
# A stored payload larger than this is kept in the file store (GATEWAY_FILE_ROOT/store/), not in its row.
GATEWAY_INBOUND_ROW_MAX_BYTES = int(os.environ.get("GATEWAY_INBOUND_ROW_MAX_BYTES", str(1024 * 1024)))
# /metrics answers only `Authorization: Bearer <this>`; without a token it is open under DEBUG and 404 otherwise.
GATEWAY_METRICS_TOKEN = os.environ.get("GATEWAY_METRICS_TOKEN", "")
# The KPI dashboard and a scorecard read their figures on up to this many database connections at
# once per request (the request's own and helpers'; workbench.scorecards); 1 reads them one by one.
GATEWAY_KPI_CONNECTIONS = int(os.environ.get("GATEWAY_KPI_CONNECTIONS", "2"))

# REST API: API keys only, one problem+json error shape, per-key rate limits in the shared cache.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.AnyKey"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("GATEWAY_API_RATE", "1200/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supplier gateway API",
    "DESCRIPTION": (
        "For strategic suppliers (purchase orders, acknowledgements, ship notices, invoices, documents, "
        "exceptions) and for the buyer's systems (publishing POs, posting receipts, reading exceptions). "
        "Authenticate with `Authorization: Bearer <API key>`. Every POST needs an `Idempotency-Key`. "
        "Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {
        "ExceptionStateEnum": "procurement.models.ProcurementException.State",
        "DocumentStateEnum": "procurement.models.InboundDocument.State",
        "DeliveryStateEnum": "notifications.models.OutboundMessage.State",
        "WebhookEventEnum": "api.models.WebhookSubscription.EVENTS",
        "BomReleaseStateEnum": "materials.models.BomRelease.State",
        "ReleaseOutcomeStateEnum": "api.serializers.materials.RELEASE_STATES",
        "BomTypeEnum": "materials.inputs.BOM_TYPES",
        "KindEnum": "procurement.models.ProcurementException.Kind",
        "InventoryEventKindEnum": "materials.inputs.INVENTORY_KINDS",
        "StockStatusEnum": "materials.inputs.STOCK_STATUSES",
        "ReconciliationStateEnum": "materials.models.InventoryReconciliation.State",
        "InventoryEventOutcomeEnum": "api.serializers.inventory.EVENT_OUTCOMES",
        "ItemOutcomeEnum": "api.serializers.materials.ITEM_OUTCOMES",
        "DemandOutcomeEnum": "api.serializers.requirements.DEMAND_OUTCOMES",
    },
}
# How long an Idempotency-Key is remembered.
GATEWAY_IDEMPOTENCY_HOURS = int(os.environ.get("GATEWAY_IDEMPOTENCY_HOURS", "24"))
# A first request under a key with no answer after this long died with its process; a retry takes it over.
# Longer than any request may run (gunicorn's worker timeout).
GATEWAY_IDEMPOTENCY_STALE_SECONDS = int(os.environ.get("GATEWAY_IDEMPOTENCY_STALE_SECONDS", "300"))
# Bodies up to the inbound limit are read; anything larger is refused before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = GATEWAY_INBOUND_MAX_BYTES + 1024

# A subscription whose deliveries fail this many times in a row is disabled and its owner told.
GATEWAY_WEBHOOK_DISABLE_AFTER = int(os.environ.get("GATEWAY_WEBHOOK_DISABLE_AFTER", "20"))
# Suppliers' webhooks go to public addresses only: never to loopback, private, link-local (cloud
# metadata) or other reserved addresses, checked when the URL is given and again at each delivery.
# The buyer's own systems may use internal addresses. On only for development and tests.
GATEWAY_WEBHOOK_ALLOW_PRIVATE = env_bool("GATEWAY_WEBHOOK_ALLOW_PRIVATE", False)
# The ports suppliers' webhooks may use: a public address's other ports are someone's internal services.
GATEWAY_WEBHOOK_PORTS = [int(p) for p in os.environ.get("GATEWAY_WEBHOOK_PORTS", "443,80,8443").split(",") if p]
GATEWAY_OPERATIONS_EMAIL = os.environ.get("GATEWAY_OPERATIONS_EMAIL", "")

# EDI: partner folders live under GATEWAY_FILE_ROOT/edi/<partner folder>/{inbox,outbox,archive,rejected}.
GATEWAY_EDI_ISA_QUALIFIER = os.environ.get("GATEWAY_EDI_ISA_QUALIFIER", "ZZ")
GATEWAY_EDI_ISA_ID = os.environ.get("GATEWAY_EDI_ISA_ID", "GATEWAY")
GATEWAY_EDI_GS_ID = os.environ.get("GATEWAY_EDI_GS_ID", "GATEWAY")
# EDI files are stored in the file store and read as a stream, so their bound is far above the API's.
GATEWAY_EDI_MAX_FILE_BYTES = int(os.environ.get("GATEWAY_EDI_MAX_FILE_BYTES", str(1024 * 1024 * 1024)))
# A file in an inbox is left alone until it has not changed for this long (it may still be written).
GATEWAY_EDI_SETTLE_SECONDS = float(os.environ.get("GATEWAY_EDI_SETTLE_SECONDS", "1"))
GATEWAY_EDI_SCAN_SECONDS = float(os.environ.get("GATEWAY_EDI_SCAN_SECONDS", "2"))
# Files claimed per scan at most; the next scan takes the rest.
GATEWAY_EDI_SCAN_BATCH = int(os.environ.get("GATEWAY_EDI_SCAN_BATCH", "200"))
# Small files of one partner are received up to this many per task, in one transaction (a savepoint
# each, every file with its own outcome and 997): a commit and a task per file would cap throughput.
# 1: one task per file. Files larger than GATEWAY_EDI_RECEIVE_BATCH_FILE_BYTES are always received alone.
GATEWAY_EDI_RECEIVE_BATCH = int(os.environ.get("GATEWAY_EDI_RECEIVE_BATCH", "25"))
GATEWAY_EDI_RECEIVE_BATCH_FILE_BYTES = int(os.environ.get("GATEWAY_EDI_RECEIVE_BATCH_FILE_BYTES", str(256 * 1024)))
# The same sender and ISA13 again within this many days is a duplicate interchange.
GATEWAY_EDI_DUPLICATE_WINDOW_DAYS = int(os.environ.get("GATEWAY_EDI_DUPLICATE_WINDOW_DAYS", "30"))
# A claimed file or a stored file not settled after this long belongs to a worker that died (or to
# retries that ran out): the EDI sweep, every GATEWAY_EDI_RECEIVE_SWEEP_SECONDS, queues it again.
GATEWAY_EDI_STALE_CLAIM_SECONDS = float(os.environ.get("GATEWAY_EDI_STALE_CLAIM_SECONDS", "600"))
GATEWAY_EDI_RECEIVE_SWEEP_SECONDS = float(os.environ.get("GATEWAY_EDI_RECEIVE_SWEEP_SECONDS", "60"))
# Attempts at receiving one stored file (task retries, redeliveries after a lost worker, the
# sweep's) before it is dead-lettered: failed, its file in rejected/, an exception for the buyers.
GATEWAY_EDI_MAX_ATTEMPTS = int(os.environ.get("GATEWAY_EDI_MAX_ATTEMPTS", "5"))
# Tests only: make receiving fail the n-th time a worker reaches a named point, e.g. "interchange_recorded=2"
# (edi.services.fault_point). Empty: never.
GATEWAY_EDI_FAULTS = {
    name: int(count or 1) for name, _, count in (part.partition("=") for part in env_list("GATEWAY_EDI_FAULTS", ""))
}
CELERY_BEAT_SCHEDULE.update(
    {
        "edi: pick up dropped files": {"task": "edi.tasks.filedrop_scan", "schedule": GATEWAY_EDI_SCAN_SECONDS},
        "edi: raise overdue 997/999": {"task": "edi.tasks.functional_acks_overdue_check", "schedule": 300.0},
        "edi: receive files left behind": {
            "task": "edi.tasks.edi_receive_sweep",
            "schedule": GATEWAY_EDI_RECEIVE_SWEEP_SECONDS,
        },
    }
)

# Materials file drop: PLM/ERP exports under GATEWAY_FILE_ROOT/materials/<company>/<system>/inbox/.
GATEWAY_MATERIALS_SCAN_SECONDS = float(os.environ.get("GATEWAY_MATERIALS_SCAN_SECONDS", "5"))
GATEWAY_MATERIALS_SETTLE_SECONDS = float(os.environ.get("GATEWAY_MATERIALS_SETTLE_SECONDS", "1"))
GATEWAY_MATERIALS_SCAN_BATCH = int(os.environ.get("GATEWAY_MATERIALS_SCAN_BATCH", "100"))
# An export is read whole (a release at a time is applied from it): larger files are rejected unread.
GATEWAY_MATERIALS_MAX_FILE_BYTES = int(os.environ.get("GATEWAY_MATERIALS_MAX_FILE_BYTES", str(64 * 1024 * 1024)))
# A claimed export not settled after this long belongs to a worker that died: the next scan reads it again.
GATEWAY_MATERIALS_STALE_CLAIM_SECONDS = float(os.environ.get("GATEWAY_MATERIALS_STALE_CLAIM_SECONDS", "600"))
CELERY_BEAT_SCHEDULE["materials: pick up dropped exports"] = {
    "task": "materials.tasks.materials_filedrop_scan",
    "schedule": GATEWAY_MATERIALS_SCAN_SECONDS,
}

# Readiness (/readyz): each queue's workers answer a heartbeat task every GATEWAY_READY_HEARTBEAT_SECONDS;
# a heartbeat, the scheduler's tick or the oldest due outbox message older than its bound fails it.
GATEWAY_READY_HEARTBEAT_SECONDS = float(os.environ.get("GATEWAY_READY_HEARTBEAT_SECONDS", "60"))
GATEWAY_READY_WORKER_MAX_AGE_SECONDS = float(os.environ.get("GATEWAY_READY_WORKER_MAX_AGE_SECONDS", "180"))
GATEWAY_READY_SCHEDULER_MAX_AGE_SECONDS = float(os.environ.get("GATEWAY_READY_SCHEDULER_MAX_AGE_SECONDS", "120"))
GATEWAY_READY_OUTBOX_MAX_AGE_SECONDS = float(os.environ.get("GATEWAY_READY_OUTBOX_MAX_AGE_SECONDS", "600"))
GATEWAY_READY_BROKER_TIMEOUT_SECONDS = float(os.environ.get("GATEWAY_READY_BROKER_TIMEOUT_SECONDS", "2"))
CELERY_BEAT_SCHEDULE.update(
    {
        f"readiness: heartbeat of the {queue} queue's workers": {
            "task": "gateway.tasks.heartbeat",
            "schedule": GATEWAY_READY_HEARTBEAT_SECONDS,
            "args": (f"worker:{queue}",),
            # To that queue, whatever the routes say; one that waited longer than the interval is dropped.
            "options": {"queue": queue, "expires": GATEWAY_READY_HEARTBEAT_SECONDS},
        }
        for queue in ("default", "edi", "outbox", "materials")
    }
)

# Inventory reconciliation (materials.services.reconciliation): every company's systems compared
# this often; a run left unfinished this long belongs to a worker that died and is marked failed.
GATEWAY_INVENTORY_RECONCILE_SECONDS = float(os.environ.get("GATEWAY_INVENTORY_RECONCILE_SECONDS", "3600"))
GATEWAY_INVENTORY_RECONCILE_STALE_SECONDS = float(os.environ.get("GATEWAY_INVENTORY_RECONCILE_STALE_SECONDS", "3600"))
CELERY_BEAT_SCHEDULE["materials: reconcile inventory systems"] = {
    "task": "materials.tasks.inventory_reconciliations_schedule",
    "schedule": GATEWAY_INVENTORY_RECONCILE_SECONDS,
}
# Inventory ledger: a late event re-projects its (plant, item, source) inline up to this many events
# of history; beyond, on the plant's queue materials.<plant> (README "Inventory ledger").
GATEWAY_INVENTORY_INLINE_REPROJECT_EVENTS = int(os.environ.get("GATEWAY_INVENTORY_INLINE_REPROJECT_EVENTS", "20000"))

# Supplier portal sign-in (django-allauth): by e-mail address, verified; no open sign-up (people join
# through an invitation); a second factor (TOTP or a WebAuthn security key, with recovery codes),
# required of supplier admins (portal.access) and offered to everyone. A key added as a passkey also
# signs in on its own (it verifies the person, so it counts as both factors). Failed sign-ins are
# rate limited per address and per account, besides axes.
ACCOUNT_ADAPTER = "portal.accounts.PortalAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("GATEWAY_PORTAL_LOGIN_FAILED_RATE", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Supplier gateway"
# Sessions: not readable by scripts, not sent cross-site, and ended after a working day.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("GATEWAY_SESSION_SECONDS", str(10 * 3600)))
GATEWAY_INVITATION_DAYS = int(os.environ.get("GATEWAY_INVITATION_DAYS", "7"))

# Supplier portal notifications: the sweep turns the audit trail into people's inbox lines and
# immediate e-mails every minute; the daily digest goes out at GATEWAY_PORTAL_DIGEST_HOUR (UTC).
# Links in e-mails start with GATEWAY_PORTAL_BASE_URL.
from celery.schedules import crontab  # noqa: E402

GATEWAY_PORTAL_BASE_URL = os.environ.get("GATEWAY_PORTAL_BASE_URL", "http://localhost:8000")
GATEWAY_PORTAL_DIGEST_HOUR = int(os.environ.get("GATEWAY_PORTAL_DIGEST_HOUR", "6"))
CELERY_BEAT_SCHEDULE["portal: people's notifications from the audit trail"] = {
    "task": "portal.tasks.notifications_sweep",
    "schedule": float(os.environ.get("GATEWAY_PORTAL_NOTIFY_SECONDS", "60")),
}
CELERY_BEAT_SCHEDULE["portal: daily notification digests"] = {
    "task": "portal.tasks.notification_digests_send",
    "schedule": crontab(minute=0, hour=GATEWAY_PORTAL_DIGEST_HOUR),
}

# Material requirements: a full regeneration of every company with demand each night at
# GATEWAY_REQUIREMENTS_NIGHTLY_HOUR:GATEWAY_REQUIREMENTS_NIGHTLY_MINUTE (UTC; an hour of "off" turns it off);
# a queued or running full run older than GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS belongs to a worker
# that died and is marked failed when the next one is asked for.
GATEWAY_REQUIREMENTS_NIGHTLY_HOUR = os.environ.get("GATEWAY_REQUIREMENTS_NIGHTLY_HOUR", "2")
GATEWAY_REQUIREMENTS_NIGHTLY_MINUTE = int(os.environ.get("GATEWAY_REQUIREMENTS_NIGHTLY_MINUTE", "30"))
GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS = float(os.environ.get("GATEWAY_REQUIREMENTS_RUN_STALE_SECONDS", "7200"))
if GATEWAY_REQUIREMENTS_NIGHTLY_HOUR != "off":
    CELERY_BEAT_SCHEDULE["materials: regenerate material requirements nightly"] = {
        "task": "materials.tasks.requirements_runs_schedule",
        "schedule": crontab(minute=GATEWAY_REQUIREMENTS_NIGHTLY_MINUTE, hour=int(GATEWAY_REQUIREMENTS_NIGHTLY_HOUR)),
    }
