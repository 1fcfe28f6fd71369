"""Settings for the factcards newsroom: one module, configured from the environment."""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # The development key below is public: a server with DEBUG off must bring its own.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (any long random string) or, on a "
            "development machine, set DJANGO_DEBUG=true."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "factcards.apps.NewsroomAdminConfig",  # the admin, with the desk as its home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "django_htmx",
    "simple_history",
    "django_tasks_db",  # the task worker's queue and results (see TASKS below)
    "factcards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The reader's language, before the fast path: it is part of every kept page's key.
    "factcards.languages.LanguageMiddleware",
    # A warm embed, list or card page is a cache read: answered here, before the rest of
    # the stack runs.
    "factcards.fastpath.FastPathMiddleware",
    # The database unreachable: 503 "back shortly" with Retry-After, never a 500.
    "factcards.outage.DatabaseUnavailableMiddleware",
    # Below whitenoise, which serves its files precompressed and answers before this.
    "factcards.middleware.PublicGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "factcards.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {
    # An empty DATABASE_URL means the default, as an unset one does.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while a writer commits; IMMEDIATE takes the write lock at
        # BEGIN so two concurrent saves queue instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory: tests of concurrent saves need real connections and real locks.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            # Django's RedisCache, for which Redis being down is a miss, not a 500.
            "BACKEND": "factcards.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A page waits at most this long (seconds) for a Redis that does not answer.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

# With one cache for every server, the publication counter is read from it, not the database.
FACTCARDS_SHARED_CACHE = bool(os.environ.get("REDIS_URL"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The site, the embeds and the desk in English, Russian and French. Pages: the reader's
# choice (the set_language cookie), else their browser's Accept-Language; embeds, oEmbed and
# the API: ?lang= (an embed speaks its article's language, whoever reads it). See
# factcards/languages.py.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as newsrooms write them: "November 10, 2020", "10 ноября 2020 г.", "10 novembre 2020".
FORMAT_MODULE_PATH = ["newsroom.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic puts the files whitenoise serves (make serve runs it).
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- serving over HTTPS, behind a TLS-terminating proxy ---------------------------------------
# All off by default (a development machine has no TLS); the production environment in the
# README turns them on, and tests/test_production.py checks the site with exactly that.


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


# Strict-Transport-Security: browsers then refuse plain HTTP to this host for that long.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SSL_REDIRECT")
# A load balancer checks the app itself over plain HTTP: it gets the answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The header a TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto). Only set this
# when that proxy is the only way in and overwrites the header clients send.
if os.environ.get("DJANGO_PROXY_SSL_HEADER", "").strip():
    _header = os.environ["DJANGO_PROXY_SSL_HEADER"].strip()
    if not re.fullmatch(r"[A-Za-z0-9-]+", _header):
        raise ImproperlyConfigured(
            f"DJANGO_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto, "
            f"not {_header!r}."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.upper().replace("-", "_"), "https")
# Origins (scheme and host) that may POST forms here when the proxy's public address is not
# the Host the app sees, e.g. https://facts.example.org.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Reverting from history would bypass the workflow (a published card never changes silently).
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own console handler would print each of its records (the task worker's
    # included) a second time, beside the root's.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

# Email: printed to the console in development; SMTP from the environment on a server.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
        if DEBUG and not os.environ.get("DJANGO_EMAIL_HOST")
        else "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
            "username": os.environ.get("DJANGO_EMAIL_USER", ""),
            "password": os.environ.get("DJANGO_EMAIL_PASSWORD", ""),
            "use_tls": env_flag("DJANGO_EMAIL_TLS"),
            "timeout": 10,
        }
        if not DEBUG or os.environ.get("DJANGO_EMAIL_HOST")
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_EMAIL_FROM",
    f"{os.environ.get('FACTCARDS_SITE_NAME', 'factcards')} <factcards@localhost>",
)

# --- factcards -------------------------------------------------------------------------------
# The site's address for links in emails (pages answering a request use the request's own).
FACTCARDS_SITE_URL = os.environ.get("FACTCARDS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
FACTCARDS_SITE_NAME = os.environ.get("FACTCARDS_SITE_NAME", "factcards")
# Which sites may frame /embed/ (CSP frame-ancestors): "*" for any, or space-separated origins.
FACTCARDS_EMBED_FRAME_ANCESTORS = os.environ.get("FACTCARDS_EMBED_FRAME_ANCESTORS", "*").split()
FACTCARDS_EMBED_WIDTH = 560
# Embeds, oEmbed and share images: browsers keep them a minute, CDNs five, and either may serve
# a stale copy for a day while fetching a fresh one (the ETag changes with every correction).
FACTCARDS_EMBED_CACHE = {
    "public": True,
    "max_age": 60,
    "s_maxage": 300,
    "stale_while_revalidate": 86400,
}
FACTCARDS_OEMBED_CACHE_AGE = 3600

# --- JSON API and import/export (issue 10) ---------------------------------------------------
# Django REST framework for the read-only API (/api/), drf-spectacular for its OpenAPI schema
# (the sidecar serves Swagger UI's files from here: no CDN under our CSP), django-cors-headers
# for cross-origin reads.
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "corsheaders"]
# As high as it can go: before anything that may answer (CommonMiddleware's redirects).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
# CORS is switched on per request by factcards.api.cors (GETs and their preflights under /api/):
# the regex alone can't tell methods apart, so it matches nothing.
CORS_URLS_REGEX = r"^(?!)"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    # Public and read-only: nobody signs in to the API, and it shows what anyone may see.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["factcards.api.throttling.ClientThrottle"],
    # The client is REMOTE_ADDR, or the address this many proxies in front of us saw.
    "NUM_PROXIES": int(os.environ.get("FACTCARDS_API_PROXIES", "0")),
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Requests per client (each address) to /api/, kept in the Django cache.
FACTCARDS_API_RATE = os.environ.get("FACTCARDS_API_RATE", "120/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "factcards API",
    "DESCRIPTION": "The newsroom's published fact cards and their sources, read-only. The card "
    "list takes the same filters as the public list at /.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- outages ---------------------------------------------------------------------------------
# With the database unreachable, pages answer 503 and ask to come back after this (seconds).
FACTCARDS_RETRY_AFTER = env_int("FACTCARDS_RETRY_AFTER", 30)
# Each embed's last rendering is kept this long (seconds) to be served during an outage.
FACTCARDS_OUTAGE_COPY_SECONDS = 7 * 24 * 3600

# --- background tasks ------------------------------------------------------------------------
# Django's task framework; django-tasks-db keeps the queue in the project's own database and
# `manage.py db_worker` runs it in a separate process (`make run` starts one beside the server).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A task that fails is enqueued again this many times at most, waiting twice as long each
# time (seconds): 5, 10, 20, 40, 80… up to the cap.
FACTCARDS_TASK_ATTEMPTS = int(os.environ.get("FACTCARDS_TASK_ATTEMPTS", "8"))
FACTCARDS_TASK_RETRY_DELAY = float(os.environ.get("FACTCARDS_TASK_RETRY_DELAY", "5"))
FACTCARDS_TASK_RETRY_MAX_DELAY = 3600

# --- source intake: fetching pages, link health, archived copies (factcards/intake/) ------------
# Every fetch is http(s) to a public address: private, loopback and link-local addresses are
# refused (SSRF) unless in these networks (CIDR, space-separated; the tests allow 127.0.0.1/32).
FACTCARDS_FETCH_ALLOW_NETWORKS = os.environ.get("FACTCARDS_FETCH_ALLOW_NETWORKS", "").split()
FACTCARDS_FETCH_MAX_BYTES = int(os.environ.get("FACTCARDS_FETCH_MAX_BYTES", "5000000"))
FACTCARDS_FETCH_TIMEOUT = float(os.environ.get("FACTCARDS_FETCH_TIMEOUT", "10"))  # per fetch
# Each source link is checked again after this many days, at most this many an hour.
FACTCARDS_LINK_CHECK_DAYS = int(os.environ.get("FACTCARDS_LINK_CHECK_DAYS", "7"))
FACTCARDS_LINK_CHECK_BATCH = int(os.environ.get("FACTCARDS_LINK_CHECK_BATCH", "200"))
# A public web archive's "save page now" address, e.g. https://web.archive.org/save/, asked to
# keep each new source's page too; blank: only our own copy.
FACTCARDS_PUBLIC_ARCHIVE = os.environ.get("FACTCARDS_PUBLIC_ARCHIVE", "")

# --- the HTTP cache in front (Varnish, a CDN): surrogate keys and purging ----------------------
# Headers naming the cards and sources a public response shows: `xkey` (Varnish's xkey module),
# `Surrogate-Key` (Fastly), `Cache-Tag` (Cloudflare); space-separated, any of them.
FACTCARDS_SURROGATE_KEY_HEADERS = os.environ.get("FACTCARDS_SURROGATE_KEY_HEADERS", "xkey").split()
# Base URLs of the Varnish instances to purge (deploy/varnish.vcl), space-separated; none: no purge.
FACTCARDS_PURGE_URLS = os.environ.get("FACTCARDS_PURGE_URLS", "").split()
FACTCARDS_PURGE_TIMEOUT = 2  # seconds per cache, in the request that publishes
FACTCARDS_PURGE_REPEAT_AFTER = 5  # seconds; the worker purges once more then
# The list, card pages, feed and sitemaps: browsers ask again each time, a shared cache keeps
# them an hour, or until a purge names them.
FACTCARDS_PAGE_CACHE = {"public": True, "max_age": 0, "s_maxage": 3600}

# --- where cards live: the embed registry and the corrections webhook ------------------------
# Which sites' articles the registry records, space-separated origins (https://news.example.org,
# or https://*.example.org for a domain and its subdomains); empty: any public site.
FACTCARDS_EMBED_REPORT_ORIGINS = os.environ.get("FACTCARDS_EMBED_REPORT_ORIGINS", "").split()
# Embeds' reports are counted in this cache and written to the database once a window closes.
FACTCARDS_REGISTRY_CACHE = "registry"
FACTCARDS_REGISTRY_WINDOW = int(os.environ.get("FACTCARDS_REGISTRY_WINDOW", "60"))  # seconds
FACTCARDS_REGISTRY_MAX_ARTICLES = 5000  # new (card, article) pairs a window; more are dropped
# Articles new to a server that one address may report: more are ignored (a script, not a reader).
FACTCARDS_REGISTRY_NEW_PER_CLIENT = os.environ.get("FACTCARDS_REGISTRY_NEW_PER_CLIENT", "30/minute")
CACHES = globals().get("CACHES") or {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Shared by the web processes and the worker: Redis, or else files (one machine).
CACHES["registry"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": "factcards-registry",
    }
    if os.environ.get("REDIS_URL")
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": BASE_DIR / ".registry-buffer",
        "OPTIONS": {"MAX_ENTRIES": 50000},
    }
)
# This process's own memory, for counts that need no other server's: the registry's limit of
# new articles per address, and the API's throttle while the shared cache is down.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "factcards-local",
}
# Corrections and retractions are sent, signed, to the newsroom's CMS (see README).
FACTCARDS_WEBHOOK_URL = os.environ.get("FACTCARDS_WEBHOOK_URL", "")
FACTCARDS_WEBHOOK_SECRET = os.environ.get("FACTCARDS_WEBHOOK_SECRET", "")
FACTCARDS_WEBHOOK_TIMEOUT = 10  # seconds per attempt
if FACTCARDS_WEBHOOK_URL and not FACTCARDS_WEBHOOK_SECRET:
    raise ImproperlyConfigured(
        "FACTCARDS_WEBHOOK_URL is set without FACTCARDS_WEBHOOK_SECRET: set a long random "
        "secret, shared with the receiver, which checks every delivery's signature with it."
    )

# --- staleness and scheduled publishing ------------------------------------------------------
# Days until a card of each kind is due for a check, counted from its publication or from an
# editor's confirmation, when nobody set a check-by date: figures go out of date, the other
# kinds (a dated event, a quote, a document) rarely do, so they get none unless one is set.
FACTCARDS_CHECK_DAYS = {"figure": 90}
# The weekly email to editors of the cards due for a check: (weekday, 0 = Monday; hour), local.
FACTCARDS_CHECK_DIGEST = (0, 8)
