"""SMS backends, chosen like Django's e-mail backends by ``settings.SMS_BACKEND``.

- ``ConsoleBackend`` prints messages (the demo),
- ``LocmemBackend`` keeps them in ``accounts.sms.outbox`` (tests),
- ``TwilioBackend`` sends them with the official Twilio library (production).

The only module of the project that imports ``twilio``. Callers never send from a request:
they create an ``SmsMessage`` and queue ``accounts.tasks.sms_send`` (see ``sms_queue``).
"""

from __future__ import annotations

import logging
import sys
import threading
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    provider_id: str = ""


class SmsError(Exception):
    """Sending failed. ``retryable`` says whether trying again later may succeed."""

    def __init__(self, reason: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code  # the provider's error code, e.g. Twilio's 21610 (unsubscribed)


class BaseBackend:
    def send(self, *, to: str, body: str) -> str:
        """Send one message and return the provider's id for it; raise ``SmsError``."""
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, *, to: str, body: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        sys.stdout.write(f"\n--- SMS to {to} ---\n{body}\n--- end of SMS ---\n")
        sys.stdout.flush()
        return provider_id


outbox: list[Sms] = []
_outbox_lock = threading.Lock()


class LocmemBackend(BaseBackend):
    """Keeps messages in memory, in ``accounts.sms.outbox``, for tests."""

    def send(self, *, to: str, body: str) -> str:
        provider_id = f"locmem-{uuid.uuid4().hex[:12]}"
        with _outbox_lock:
            outbox.append(Sms(to=to, body=body, provider_id=provider_id))
        return provider_id


class TwilioBackend(BaseBackend):
    """Sends through Twilio's Messaging API with the official library."""

    def __init__(self) -> None:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
            raise SmsError("Twilio credentials are not configured.", retryable=False)
        if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
            raise SmsError(
                "Set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.", retryable=False
            )
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    def send(self, *, to: str, body: str) -> str:
        sender: dict[str, str] = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        # Twilio reports delivered / undelivered / failed to this URL (tickets/webhooks.py).
        callback = settings.SITE_URL + "/webhooks/twilio/status/"
        try:
            message = self.client.messages.create(
                to=to, body=body, status_callback=callback, **sender
            )
        except TwilioRestException as exc:
            # 429 and 5xx are Twilio's to fix; other 4xx (bad number, opted out) are final.
            retryable = exc.status == 429 or exc.status >= 500
            raise SmsError(
                f"Twilio error {exc.code}: {exc.msg}", retryable=retryable, code=str(exc.code or "")
            ) from exc
        except (TwilioException, RequestException) as exc:
            raise SmsError(f"Could not reach Twilio: {exc}", retryable=True) from exc
        return str(message.sid)


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def validate_twilio_request(url: str, params: dict, signature: str) -> bool:
    """Whether ``signature`` (the X-Twilio-Signature header) is Twilio's for this request.

    ``url`` is the public URL Twilio called (from ``settings.SITE_URL``, not the request's
    own host, which a proxy may change) and ``params`` the form fields Twilio posted. False
    when the auth token is not configured or the signature is missing.
    """

    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    return bool(RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature))
