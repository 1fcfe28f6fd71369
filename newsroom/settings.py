"""Settings for the factcards newsroom: one module, configured from the environment."""

import os
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
    "factcards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

# Reverting from history would bypass the workflow (a published card never changes silently).
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
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
