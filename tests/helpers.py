"""Small helpers shared by test modules (fixtures live in conftest.py)."""

import os
import socket
import time
from urllib.parse import urlparse

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY


def age_password_check(client, seconds):
    """Make the session's last password check ``seconds`` older (reauthentication tests)."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Skip the test when no Redis answers at REDIS_URL; in CI, fail it instead."""
    url = urlparse(REDIS_URL)
    try:
        with socket.create_connection((url.hostname, url.port or 6379), timeout=1):
            return
    except OSError:
        pass
    if os.environ.get("CI"):
        pytest.fail(f"Redis does not answer at {REDIS_URL}")
    pytest.skip(f"Redis does not answer at {REDIS_URL}; set REDIS_URL to run this test")


def wait_for(condition, timeout: float = 20.0) -> bool:
    """Poll ``condition`` every 0.1 s until it holds (True) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
