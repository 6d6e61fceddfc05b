"""Twilio webhooks: inbound SMS and message status callbacks.

Both check X-Twilio-Signature against the public URL Twilio called (``settings.SITE_URL`` plus
the path: behind a proxy the request's own host may differ) and the posted form, then do a few
quick database writes and answer at once. Nothing here talks to Twilio or waits on a task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.sms import validate_twilio_request
from tickets import services

logger = logging.getLogger(__name__)

# An empty TwiML answer: Twilio sends no reply of its own (STOP/START confirmations are Twilio's
# Advanced Opt-Out; the HELP answer is ours, queued as a text by tickets.services).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _forbidden(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=403, content_type="text/plain")


def _signed(request: HttpRequest) -> bool:
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    valid = validate_twilio_request(url, request.POST, signature)
    if not valid:
        logger.warning("Twilio webhook %s: missing or invalid signature", request.path)
    return valid


def twilio_webhook(view: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST from Twilio: no session, no CSRF token, a valid X-Twilio-Signature or 403."""

    @csrf_exempt
    @login_not_required
    @require_POST
    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not _signed(request):
            return _forbidden("Invalid signature.")
        return view(request)

    return checked


@twilio_webhook
def inbound_sms(request: HttpRequest) -> HttpResponse:
    """A customer texted one of our team numbers."""
    to_number = request.POST.get("To", "")
    from_number = request.POST.get("From", "")
    provider_id = request.POST.get("MessageSid", "")
    if not (to_number and from_number and provider_id):
        return _forbidden("To, From and MessageSid are required.")
    entry = services.inbound_message(
        to_number=to_number,
        from_number=from_number,
        body=request.POST.get("Body", ""),
        provider_id=provider_id,
    )
    if entry is None:
        logger.warning("Inbound SMS %s to %s: not one of our numbers", provider_id, to_number)
        return _forbidden("Unknown receiving number.")
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@twilio_webhook
def message_status(request: HttpRequest) -> HttpResponse:
    """Twilio reports what became of a text we sent (the StatusCallback of accounts.sms)."""
    provider_id = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    if not (provider_id and status):
        return _forbidden("MessageSid and MessageStatus are required.")
    # An unknown MessageSid is acknowledged all the same: Twilio would only retry it.
    services.sms_status_update(
        provider_id=provider_id, status=status, error_code=request.POST.get("ErrorCode", "")
    )
    return HttpResponse(status=200)
