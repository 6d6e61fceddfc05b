"""Production settings and deployment files.

`check --deploy` is clean, the settings refuse to start without their secrets, the security
headers reach the browser, every variable the settings read is documented in .env.example and
docker-compose.yml wires the services together. The settings run in a child process each time:
production settings cannot be loaded beside the test settings of this process.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "expertconnect" / "settings"

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "expertconnect.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "pay.example.com",
    # Never reached: nothing below may touch the database.
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/x",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_test_" + "x" * 24,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "p" * 32,
    "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_" + "c" * 32,
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
}
REQUIRED = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
)

# base.py fills every unset variable from the git-ignored .env; the child must see only what a
# test gives it, so reading .env is turned off there.
NO_DOTENV = "import environ\nenviron.Env.read_env = staticmethod(lambda *args, **kwargs: None)\n"

# Django's test client against production settings, over HTTPS as a proxy reports it. The
# login page sets the CSRF cookie; it renders with plain static storage because no
# collectstatic ran here (the manifest storage would refuse to name files).
HEADERS_SCRIPT = """
import json
import warnings

warnings.simplefilter("ignore")

import django

django.setup()

from django.conf import settings
from django.db import connections
from django.test import Client, override_settings
from django.urls import get_resolver

client = Client()
https = {"headers": {"X-Forwarded-Proto": "https"}, "SERVER_NAME": "pay.example.com"}
health = client.get("/health/", **https)
plain = client.get("/health/", SERVER_NAME="pay.example.com")
static_storage = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=static_storage):
    login = client.get("/accounts/login/", **https)
csrf = login.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "health_status": health.status_code,
    "health_body": health.content.decode(),
    "headers": dict(health.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "login_status": login.status_code,
    "csrf_cookie_secure": bool(csrf["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "database_touched": connections["default"].connection is not None,
    "demo_mounted": any(str(p.pattern) == "demo-stripe/" for p in get_resolver().url_patterns),
    "gateway": settings.PAYMENT_GATEWAY,
}))
"""


@cache
def settings_variables() -> frozenset[str]:
    """Every environment variable named in the settings modules' source."""
    patterns = [
        r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""",
        r"""os\.environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""",
    ]
    names: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        source = path.read_text()
        for pattern in patterns:
            names.update(re.findall(pattern, source))
    return frozenset(names)


def run_python(
    code: str, *, remove: tuple[str, ...] = (), **overrides: str
) -> subprocess.CompletedProcess[str]:
    """Run code in a child Python at the repository root with production settings."""
    # DJANGO_ALLOW_ASYNC_UNSAFE comes from tests/conftest.py (Playwright), not from a deployment.
    ignored = settings_variables() | {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(PRODUCTION_ENV)
    env.update(overrides)
    for name in remove:
        env.pop(name, None)
    return subprocess.run(  # noqa: S603 - fixed command line, our own code
        [sys.executable, "-c", NO_DOTENV + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_variables_found():
    # The scan itself must see the variables, or the tests below would check nothing.
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= settings_variables()


def test_check_deploy_is_clean():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['manage.py', 'check', '--deploy', '--fail-level', 'WARNING']\n"
        "runpy.run_path('manage.py', run_name='__main__')\n"
    )
    result = run_python(code)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNINGS" not in output


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without(name):
    result = run_python("import django\ndjango.setup()\n", remove=(name,))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"PAYMENT_GATEWAY": "demo"}, "PAYMENT_GATEWAY"),  # production never runs the demo
        ({"STRIPE_SECRET_KEY": "pk_live_publishable"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_WEBHOOK_SECRET": "not-a-signing-secret"}, "STRIPE_WEBHOOK_SECRET"),
        ({"SMS_BACKEND": "accounts.sms.ConsoleBackend"}, "SMS_BACKEND"),
        ({"TWILIO_MESSAGING_SERVICE_SID": ""}, "TWILIO_FROM_NUMBER"),
    ],
    ids=["demo-gateway", "publishable-key", "bad-webhook-secret", "console-sms", "no-sender"],
)
def test_production_refuses_to_start_with(overrides, named):
    result = run_python("import django\ndjango.setup()\n", **overrides)
    assert result.returncode != 0
    assert "Production settings refuse to start" in result.stderr
    assert named in result.stderr


def test_check_deploy_names_each_problem_of_a_demo_configuration(settings):
    """Outside production the same list is a system check: the test settings run the demo."""
    from expertconnect.deploy import check_deployment

    settings.SMS_BACKEND = "accounts.sms.TwilioBackend"
    settings.TWILIO_AUTH_TOKEN = ""
    ids = {error.id for error in check_deployment()}
    assert {"expertconnect.E001", "expertconnect.E002", "expertconnect.E003"} <= ids
    assert "expertconnect.E005" in ids  # the Twilio backend without its auth token


def test_production_runs_stripe_and_mounts_no_demo_pages(production_response):
    assert production_response["gateway"] == "stripe"
    assert production_response["demo_mounted"] is False


def test_production_refuses_empty_allowed_hosts():
    result = run_python("import django\ndjango.setup()\n", ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_the_required_variables():
    result = run_python("import django\ndjango.setup()\nprint('started')\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.fixture(scope="module")
def production_response() -> dict:
    result = run_python(HEADERS_SCRIPT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_health_needs_no_database(production_response):
    assert production_response["health_status"] == 200
    assert production_response["health_body"] == "ok"
    assert production_response["login_status"] == 200
    assert production_response["database_touched"] is False


def test_production_sends_hsts(production_response):
    hsts = production_response["headers"]["Strict-Transport-Security"]
    directives = [part.strip() for part in hsts.split(";")]
    max_age = int(directives[0].removeprefix("max-age="))
    assert max_age >= 31_536_000
    assert "includeSubDomains" in directives
    assert "preload" in directives


def test_production_sends_content_security_policy(production_response):
    policy = production_response["headers"]["Content-Security-Policy"]
    directives = {part.strip() for part in policy.split(";")}
    assert "default-src 'self'" in directives
    assert "script-src 'self'" in directives
    assert "frame-ancestors 'none'" in directives
    assert "object-src 'none'" in directives


def test_production_sends_other_security_headers(production_response):
    headers = production_response["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_cookies_are_secure(production_response):
    assert production_response["csrf_cookie_secure"] is True
    assert production_response["session_cookie_secure"] is True
    assert production_response["session_cookie_httponly"] is True


def test_production_redirects_plain_http_to_https(production_response):
    assert production_response["plain_status"] == 301
    assert production_response["plain_location"] == "https://pay.example.com/health/"


def test_env_example_documents_every_variable():
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    missing = settings_variables() - documented
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_compose_wires_the_services():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "postgres", "redis"}

    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "expertconnect.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully"

    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name
    web_check = services["web"]["healthcheck"]["test"]
    assert web_check[:3] == ["CMD", "python", "-c"]
    compile(web_check[3], "web healthcheck", "exec")
    assert "/health/" in web_check[3]
    assert "--scheduler" in services["beat"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
