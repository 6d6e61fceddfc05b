"""The registry of Stripe event handlers, and what the handlers share.

Each part's ``handlers.py`` registers its handlers with ``@handles("event.type")``; the
pipeline looks them up in ``HANDLERS`` and never imports them. ``PaymentsConfig.ready``
imports every part's handlers, and a test pins the registered types, so a handler module
nobody imports fails a test instead of turning its events into "ignored".

Handlers take the stored ``WebhookEvent`` and run inside a transaction; raising rolls
their writes back and leaves the event failed for a retry. Each is idempotent, and never
rolled back by an older event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from payments.models import ConnectedAccount, WebhookEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], None]
HANDLERS: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``event_types``."""

    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            if event_type in HANDLERS:
                raise ValueError(f"{event_type} has a handler already: {HANDLERS[event_type]}")
            HANDLERS[event_type] = handler
        return handler

    return register


def event_account(event: WebhookEvent, named: str | None = None) -> ConnectedAccount | None:
    """The connected account the event came from (its signed ``account``), held for update.

    Only that account: an event whose object names another account (``named``) changes
    nothing, so one dealership's Express account can never write to another's."""
    if not event.account or (named is not None and named != event.account):
        if event.account or named:
            logger.warning(
                "Stripe event %s (%s) of account %r names account %r: not applied.",
                event.stripe_id,
                event.type,
                event.account,
                named,
            )
        return None
    return (
        ConnectedAccount.objects.select_for_update()
        .select_related("organization")
        .filter(stripe_account_id=event.account)
        .first()
    )


def event_object(event: WebhookEvent) -> dict[str, Any]:
    return event.payload["data"]["object"]
