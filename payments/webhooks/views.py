"""Stripe webhook endpoints: verify the signature, store the event once, answer at once.

Processing happens in Celery tasks: the stored event wakes one dispatch per burst, which
queues the pending events in batches (``pipeline.webhook_events_dispatch``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.gateway import Endpoint, InvalidSignature, webhook_secret
from payments.gateway import stripe as gateway_stripe
from payments.webhooks.pipeline import webhook_event_store


def _receive(request: HttpRequest, endpoint: Endpoint) -> HttpResponse:
    try:
        event = gateway_stripe.verify_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            webhook_secret(endpoint),
        )
    except InvalidSignature as exc:
        return HttpResponse(f"Invalid signature: {exc}", status=400, content_type="text/plain")
    if endpoint == "connect" and not event.get("account"):
        return HttpResponse(
            "A Connect event names its account.", status=400, content_type="text/plain"
        )
    stored, created = webhook_event_store(event=event, endpoint=endpoint)
    return JsonResponse({"received": True, "id": stored.stripe_id, "duplicate": not created})


@csrf_exempt
@login_not_required
@require_POST
def stripe_platform(request: HttpRequest) -> HttpResponse:
    return _receive(request, "platform")


@csrf_exempt
@login_not_required
@require_POST
def stripe_connect(request: HttpRequest) -> HttpResponse:
    return _receive(request, "connect")
