"""Settings for Minka, read from the environment (see README.md, "Configuration").

Every variable is parsed strictly (minka.env): a wrong value stops start-up with its name.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from minka.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = PROJECT_DIR / "var"

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules or env_bool("MINKA_TESTING", False)

_INSECURE_DEV_KEY = "django-insecure-minka-development-only-never-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEV_KEY if (DEBUG or TESTING) else None)
if not (DEBUG or TESTING) and (SECRET_KEY == _INSECURE_DEV_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG or TESTING else [])

TIME_ZONE = env_str("TIME_ZONE", "America/Lima")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone.") from exc
USE_TZ = True

_default_db = f"sqlite:///{VAR_DIR / 'minka.sqlite3'}"
_db_url = env_str("DATABASE_URL", _default_db)
if not _db_url.startswith(("sqlite:", "postgres:", "postgresql:")):
    raise ImproperlyConfigured(
        f"DATABASE_URL={_db_url!r}: only sqlite:/// and postgres:// URLs are supported."
    )
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        # Wait up to 20 s for the write lock (default 5 s): a burst of uploads at a
        # deadline queues for it instead of failing.
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))

# The analytics store: a DuckDB file the engine writes results to and pages read from
# (docs/adr/0002-analytics-store.md). Tests point it at a temporary directory.
ANALYTICS_STORE = Path(env_str("MINKA_ANALYTICS_STORE", str(VAR_DIR / "analytics.duckdb")))
# Background jobs (imports started from a page) run in a thread of the web process
# (docs/adr/0003-job-runner.md); synchronously in the caller's thread when true (tests).
MINKA_JOBS_SYNC = env_bool("MINKA_JOBS_SYNC", TESTING)
STATICFILES_DIRS = [BASE_DIR / "static"]

# Mail (contest reminders and notices): the console backend prints messages by default;
# set MINKA_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_* to send.
EMAIL_BACKEND = env_str("MINKA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", EMAIL_BACKEND):
    raise ImproperlyConfigured(
        f"MINKA_EMAIL_BACKEND={EMAIL_BACKEND!r} is not a dotted path to a mail backend."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
_email_port = env_str("EMAIL_PORT", "25")
if not re.fullmatch(r"[0-9]{1,5}", _email_port) or not 0 < int(_email_port) < 65536:
    raise ImproperlyConfigured(f"EMAIL_PORT={_email_port!r} is not a port number (1-65535).")
EMAIL_PORT = int(_email_port)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "minka@localhost")
if "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} has no address.")
# Links in e-mails are absolute: the address users reach this site at.
MINKA_SITE_URL = env_str("MINKA_SITE_URL", "http://localhost:8000").rstrip("/")
if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", MINKA_SITE_URL):
    raise ImproperlyConfigured(
        f"MINKA_SITE_URL={MINKA_SITE_URL!r} is not an http:// or https:// address."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "minka.accounts",
    "minka.territories",
    "minka.indicators",
    "minka.analytics",
    "minka.scorecards",
    "minka.contests",
    "minka.api",
    "minka.portal",
    "minka.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minka.portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "minka.urls"
WSGI_APPLICATION = "minka.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (minka.accounts.services.login_attempt_check): failures per username
# within the window before further attempts are refused.
LOGIN_MAX_FAILURES = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["minka.formats"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
