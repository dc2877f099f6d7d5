"""Settings of the Base, all from the environment (and an optional .env file at the repo root).

TRADEMAN_ENV=development (default): SQLite unless DATABASE_URL is set, DEBUG allowed.
TRADEMAN_ENV=production: refuses to start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS,
never runs with DEBUG.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

REPO_ROOT = Path(__file__).resolve().parent.parent
BASE_DIR = REPO_ROOT / "trademan"


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from .env into os.environ without overriding real variables."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


_load_dotenv(REPO_ROOT / ".env")


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENT = os.environ.get("TRADEMAN_ENV", "development").strip().lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("TRADEMAN_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"

# The key development runs with; production refuses it (and any key anyone could guess).
DEV_SECRET_KEY = "dev-only-insecure-key-not-for-production"
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 10


def _secret_key_problem(key: str) -> str | None:
    """Why `key` is unfit for production, or None when it will do."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"Production mode needs DJANGO_SECRET_KEY (at least {MIN_SECRET_KEY_LENGTH} characters)"
        )
    if key == DEV_SECRET_KEY or key.startswith("django-insecure-"):
        return "DJANGO_SECRET_KEY is the development key written in the source; generate your own"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return (
            f"DJANGO_SECRET_KEY is too easy to guess (fewer than {MIN_SECRET_KEY_DISTINCT} "
            "different characters); generate one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return None


if PRODUCTION:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    _problem = _secret_key_problem(SECRET_KEY)
    if _problem:
        raise ImproperlyConfigured(_problem)
    ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production mode needs DJANGO_ALLOWED_HOSTS")
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS=* accepts any host name in production; "
            "list the names or addresses the panel is opened by"
        )
    if _env_bool("DJANGO_DEBUG", False):
        raise ImproperlyConfigured("DEBUG is never allowed in production mode")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
    ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS") or ["localhost", "127.0.0.1", "[::1]"]
    DEBUG = _env_bool("DJANGO_DEBUG", True)

CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "trademan.base",
    "trademan.api",
    "trademan.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "trademan.api.middleware.ApiUtcMiddleware",
]

ROOT_URLCONF = "trademan.urls"
# Where the admin's "View site" link (and the bare "/") leads: a URL name (the owner's dashboard).
VIEW_SITE_URL_NAME = "dashboard:index"
WSGI_APPLICATION = "trademan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],  # admin/base_site.html: the Trademan stylesheet
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

_default_db = f"sqlite:///{REPO_ROOT / 'var' / 'db.sqlite3'}"
if PRODUCTION and not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("Production mode needs DATABASE_URL (PostgreSQL)")
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_db,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # DJANGO_ALLOW_SQLITE exists only for the deployment tests, which run the production Base
    # offline; a real deployment never sets it.
    if PRODUCTION and not _env_bool("DJANGO_ALLOW_SQLITE", False):
        raise ImproperlyConfigured(
            "Production mode needs PostgreSQL: DATABASE_URL names an SQLite database "
            "(e.g. postgres://trademan:PASSWORD@db:5432/trademan)"
        )
    (REPO_ROOT / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Moscow"  # shown; stored and computed in UTC
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", str(REPO_ROOT / "var" / "static")))
if not PRODUCTION:
    # development: static files (admin, Swagger UI) straight from the apps, no collectstatic
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

if PRODUCTION:
    SESSION_COOKIE_SECURE = _env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

# A valid API token is checked against the database at most once per this many seconds per
# worker process: a revoked token stops working within this time (trademan/api/authentication.py).
API_TOKEN_CACHE_SECONDS = 10

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "trademan.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["trademan.api.permissions.CanUseApi"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["trademan.api.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "trademan.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "trademan.api.schema.TrademanAutoSchema",
    "EXCEPTION_HANDLER": "trademan.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trademan Base API",
    "DESCRIPTION": "The contract between the bot and the Base (docs/base-api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["trademan.api.permissions.CanUseApi"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "DirectionEnum": "trademan.base.models.choices.Direction",
        "OrderStatusEnum": "trademan.base.models.choices.OrderStatus",
        "HealthStateEnum": ["ok", "error"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
