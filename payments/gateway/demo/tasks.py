"""The demo gateway's event delivery: a signed POST to our own webhook endpoint."""

from __future__ import annotations

import json

import requests
from celery import shared_task

from payments.gateway.base import demo_webhook_secret
from payments.gateway.stripe import signature_header


@shared_task(bind=True, max_retries=5, acks_late=True, name="payments.tasks.demo_deliver_event")
def demo_deliver_event(self, url: str, event: dict) -> int:
    """The demo gateway's webhook delivery: POST the signed event to our own endpoint."""

    payload = json.dumps(event).encode()
    try:
        response = requests.post(
            url,
            data=payload,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature_header(payload, demo_webhook_secret()),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) demo",
            },
            timeout=10,
        )
        response.raise_for_status()
    except requests.RequestException as exc:
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 300)) from exc
    return response.status_code
