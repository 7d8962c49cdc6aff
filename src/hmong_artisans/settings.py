"""Settings for Hmong Artisans, read from environment variables.

Every variable is documented in README.md ("Configuration"). The defaults make
`make run` work on a fresh machine: SQLite under var/, DEBUG on, console email.
Production uses hmong_artisans.settings_production, which refuses the unsafe
defaults.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.policy import Policy  # plain values only; reading them needs no settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the project root
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from our static files, not a CDN
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    # ACC-4 social sign-in (accounts.social); Instagram only for accounts already linked
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.pinterest",
    "allauth.socialaccount.providers.vk",
    "allauth.socialaccount.providers.odnoklassniki",
    "allauth.socialaccount.providers.instagram",
    "axes",  # ACC-5 failed sign-in limits (accounts.axes_policy)
    "django_tasks",
    "django_tasks_db",
    "core",
    "accounts",
    "catalog",
    "wishlist",
    "cart",
    "sellercenter",
    "deadlines",
    "orders",
    "payments",
    "ledger",
    "notifications",
    "appeals",
    "returns",
    "coupons",
    "disputes",
    "helpcenter",
    "messaging",  # MSG-1 buyer–seller chats
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.NullCharacterMiddleware",  # a NUL in a query, form or path → 400, not a 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # ACC-5: the lockout page after too many failures
    "accounts.guards.HeldSignInGuard",  # ACC-5: a held sign-in cannot move money or change email
    "core.middleware.VisitorMiddleware",
    "core.api_errors.ApiErrorShapeMiddleware",  # JSON 404/405/500 under /api/
]

ROOT_URLCONF = "hmong_artisans.urls"
WSGI_APPLICATION = "hmong_artisans.wsgi.application"

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
                "core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL selects the database; the default is an SQLite file under var/.
# SQLite runs in WAL mode with a busy timeout and IMMEDIATE transactions, so
# the web and worker processes can share the file without "database is locked".
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parameters bound server-side, and psycopg prepares a statement the fifth time a
    # connection runs it (Django leaves prepare_threshold unset, which prepares nothing): the
    # hot statements (checkout, payment, deadline firing) are then planned once per connection,
    # not per run (bench/checkout: ~10 → ~5 ms of server CPU per order).
    # DB_SERVER_SIDE_BINDING=false goes back to psycopg's client-side binding (nothing prepared).
    _binding = env_bool("DB_SERVER_SIDE_BINDING", True)
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = _binding
    if _binding:
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache ---------------------------------------------------------------
# Per-process memory cache by default; REDIS_URL shares one cache between
# processes. Cached pages are keyed by a version that every price or stock
# change bumps, so a stale page is never served either way.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- Accounts ---------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "accounts.axes_policy.AxesBackend",  # ACC-5: django-axes first, so a locked-out account is refused
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# ACC-1: mandatory in every configuration: with ACCOUNT_PREVENT_ENUMERATION, signing up with a
# registered email then looks like any sign-up (the owner is mailed instead); check accounts.E002.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_FORMS = {"signup": "accounts.signup.SignupForm"}  # ACC-1: same hashing work for a taken email
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Hmong Artisans] "
# Failed sign-ins are limited by django-axes below (ACC-5); allauth's own counter is off.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
# ACC-2: a reset link is single use (the token covers the password hash) and
# expires after core.policy's password_reset_link_lifetime: PASSWORD_RESET_TIMEOUT
# is derived from it below, after HMONG_POLICY; the system check accounts.E001
# fails if the two ever differ.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_PREVENT_ENUMERATION = True  # ACC-1: sign-in and reset never tell whether an email is registered
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True

# --- Social sign-in (ACC-4) -------------------------------------------------------
# Each provider is configured from environment variables (<PROVIDER>_CLIENT_ID and
# <PROVIDER>_SECRET, see README) or, without them, from a SocialApp row in the admin.
SOCIALACCOUNT_ADAPTER = "accounts.social.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never sign in to an existing account by a matching email
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "optional"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False


def _social_app(prefix: str) -> list[dict]:
    client_id = os.environ.get(f"{prefix}_CLIENT_ID", "")
    if not client_id:
        return []
    return [{"client_id": client_id, "secret": os.environ.get(f"{prefix}_SECRET", ""),
             "key": os.environ.get(f"{prefix}_PUBLIC_KEY", "")}]  # OK_PUBLIC_KEY: OK's application key


SOCIALACCOUNT_PROVIDERS = {
    "google": {"APPS": _social_app("GOOGLE"), "SCOPE": ["profile", "email"]},
    "facebook": {"APPS": _social_app("FACEBOOK"), "METHOD": "oauth2", "SCOPE": ["email", "public_profile"]},
    "twitter_oauth2": {"APPS": _social_app("TWITTER")},
    "pinterest": {"APPS": _social_app("PINTEREST"), "API_VERSION": "v5"},
    "vk": {"APPS": _social_app("VK")},
    "odnoklassniki": {"APPS": _social_app("OK")},
    "instagram": {"APPS": _social_app("INSTAGRAM")},
}

# --- Unusual activity (ACC-5) -------------------------------------------------------
# django-axes counts failed sign-ins per account and per address, with the limits
# and window of core.policy (accounts.axes_policy).
AXES_HANDLER = "accounts.axes_policy.PolicyAxesHandler"
AXES_FAILURE_LIMIT = "accounts.axes_policy.failure_limit"
AXES_COOLOFF_TIME = "accounts.axes_policy.cooloff_time"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.axes_policy.username_from"
AXES_LOCKOUT_CALLABLE = "accounts.axes_policy.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# The client address of every limit and risk check (accounts.axes_policy.client_ip). Behind reverse
# proxies set CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR and TRUSTED_PROXY_COUNT (proxies that append to it).
AXES_CLIENT_IP_CALLABLE = "accounts.axes_policy.client_ip"
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "")
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1") or 1)
# Where phone codes go: accounts.sms.ConsoleBackend, FileBackend (SMS_FILE_PATH) or LocmemBackend.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "accounts.sms.ConsoleBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms.log"))
# IP address → country for the new-country check: a function (ip) -> ISO code or "".
IP_COUNTRY_LOOKUP = os.environ.get("IP_COUNTRY_LOOKUP", "accounts.geo.table_lookup")

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Hmong Artisans <no-reply@hmong-artisans.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks (outbox) --------------------------------------------
# Tasks are rows in the same database, written inside the transaction that
# causes them; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- Internationalisation ---------------------------------------------------
# The interface is translated into these five (locale/<lang>/LC_MESSAGES/django.po, checked by
# .ci/i18n-check). Each name is written in its own language for the header's switcher.
LANGUAGE_CODE = "en-us"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ru", "Русский"),
    ("pt", "Português"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Dispute evidence (DSP-1) is private: kept outside MEDIA_ROOT, never served by /media/, only by
# the evidence view to the two parties and staff. Empty: <MEDIA_ROOT>/../private/disputes.
DISPUTE_EVIDENCE_ROOT = os.environ.get("DISPUTE_EVIDENCE_ROOT", "")
# Pictures sent in buyer–seller chats (MSG-1), private the same way (messaging.storage).
# Empty: <MEDIA_ROOT>/../private/messages.
MESSAGE_ATTACHMENT_ROOT = os.environ.get("MESSAGE_ATTACHMENT_ROOT", "")
# Serve uploads from Django itself (fine for one machine; put a web server or
# object store in front of MEDIA_ROOT when running several machines).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Business calendar --------------------------------------------------------
# Business days skip Saturdays, Sundays and the holidays in core.Holiday (edited
# by staff). Day boundaries are taken in this time zone.
BUSINESS_TIME_ZONE = os.environ.get("BUSINESS_TIME_ZONE", "America/Chicago")

# --- Policy overrides --------------------------------------------------------
# Any value of core.policy may be overridden here by name, e.g.
# HMONG_POLICY = {"payment_window": timedelta(hours=12)}.
HMONG_POLICY: dict = {}
PASSWORD_RESET_TIMEOUT = int(
    HMONG_POLICY.get("password_reset_link_lifetime", Policy.password_reset_link_lifetime.default)
    .total_seconds()
)

# --- Benchmark ----------------------------------------------------------------
# BENCH_ENDPOINTS=true mounts the benchmark floor page (core.views.bench_floor)
# used by `make bench-pages`. Off by default; never needed in production.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "ERROR"}},
}

# --- Carrier tracking webhook (ORD-6) -------------------------------------------
# POST /webhooks/tracking/ accepts events signed with HMAC-SHA256 under this shared
# secret (see orders.webhooks). The production settings refuse the dev default.
TRACKING_WEBHOOK_SECRET = os.environ.get(
    "TRACKING_WEBHOOK_SECRET", "dev-only-tracking-webhook-secret-change-me"
)

# --- Payment providers (PAY-1) --------------------------------------------------
# PAYMENT_PROVIDER picks the card provider: "simulated" (default; its hosted card page is
# /pay/sim/card/) or "stripe" (the official SDK; STRIPE_API_BASE points it at localstripe
# in tests). Webhooks: /webhooks/payments/<provider>/ (payments.webhooks).
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "simulated")
SIMULATED_WEBHOOK_SECRET = os.environ.get(
    "SIMULATED_WEBHOOK_SECRET", "dev-only-simulated-payments-webhook-secret"
)
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")

# --- Free Return providers (RET-3) ----------------------------------------------
# Each provider serves the countries listed (a country in two lists is refused by the
# system check returns.E001); it posts status updates to /webhooks/returns/<slug>/, signed
# with HMAC-SHA256 under its secret (returns.webhooks); with DEBUG off a dev-only or short
# secret accepts nothing (503). Override the whole dict here to change providers or countries.
RETURN_PROVIDERS = {
    "returnhub": {
        "name": "ReturnHub",
        "countries": ["AT", "BE", "CZ", "DE", "DK", "ES", "FI", "FR", "GR", "HU", "IE", "IT", "NL", "PL",
                      "PT", "SE"],
        "locator_url": "https://returnhub.example/points",
        "secret": os.environ.get("RETURNHUB_WEBHOOK_SECRET", "dev-only-returnhub-webhook-secret"),
    },
    "parcelpoint": {
        "name": "ParcelPoint",
        "countries": ["AE", "AU", "BR", "CA", "CH", "CL", "CO", "GB", "ID", "IL", "IN", "JP", "KR", "MX",
                      "MY", "NO", "NZ", "PH", "SA", "SG", "TH", "TR", "US", "VN"],
        "locator_url": "https://parcelpoint.example/locations",
        "secret": os.environ.get("PARCELPOINT_WEBHOOK_SECRET", "dev-only-parcelpoint-webhook-secret"),
    },
}

# DEMO_CLOCK=true lets staff move the site's clock forward (core.clock) to watch
# deadlines fire. `make run` turns it on; the production settings refuse it.
DEMO_CLOCK = env_bool("DEMO_CLOCK", False)
