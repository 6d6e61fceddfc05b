"""Production: every secret from the environment; refuses to start without them, and never
falls back to the demo (expertconnect/deploy.py lists what it needs)."""

from django.core.exceptions import ImproperlyConfigured

from expertconnect.deploy import problems

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
for _name, _value in (
    ("SECRET_KEY", SECRET_KEY),
    ("ALLOWED_HOSTS", ALLOWED_HOSTS),
    ("DATABASE_URL", env("DATABASE_URL")),
):
    if not _value:
        raise ImproperlyConfigured(f"Set the {_name} environment variable.")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SMS_BACKEND = env("SMS_BACKEND", default="accounts.sms.TwilioBackend")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe")
ADMIN_REQUIRE_MFA = True  # the Django admin: staff with two-factor authentication only

_problems = problems(globals())
if _problems:
    raise ImproperlyConfigured(
        "Production settings refuse to start:\n"
        + "\n".join(f"- {p.message} {p.hint}" for p in _problems)
    )
