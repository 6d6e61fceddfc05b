"""Stripe-shaped objects for the payments tests, and events signed as Stripe signs them.

Every object starts from Stripe's own published example (tests/fixtures/stripe_objects.json,
Stripe's openapi/fixtures3.json, MIT License, Copyright (c) 2011- Stripe, Inc.): the fields a
test needs are set, the rest stays as Stripe shows it.
"""

from __future__ import annotations

import calendar
import copy
import itertools
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from payments.gateway import demo_webhook_secret
from payments.gateway.stripe import API_VERSION, signature_header

_OBJECTS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "stripe_objects.json").read_text()
)
_ids = itertools.count(1)

API = "https://api.stripe.com"
DEMO_WEBHOOK_SECRET = demo_webhook_secret()  # the test settings' SECRET_KEY is fixed
ACCOUNT_ID = "acct_1PgafTB7WZ01zgkW"
PLATFORM_PATH = "/webhooks/stripe/"
CONNECT_PATH = "/webhooks/stripe/connect/"


def stripe_object(name: str, **fields: Any) -> dict[str, Any]:
    """A fresh copy of Stripe's example ``name`` object with ``fields`` set (top level)."""
    obj = copy.deepcopy(_OBJECTS[name])
    obj.update(copy.deepcopy(fields))
    return obj


def deep_update(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Merge nested ``changes`` into ``target`` (dicts merged, anything else replaced)."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def unique_id(prefix: str) -> str:
    return f"{prefix}_test{next(_ids):012d}"


def now() -> int:
    return int(time.time())


def timestamp_of(day: date) -> int:
    """Stripe's ``arrival_date`` for a calendar day: that day's midnight, UTC."""
    return calendar.timegm(day.timetuple())


# Resources --------------------------------------------------------------------------------


def account(
    account_id: str = ACCOUNT_ID,
    *,
    country: str = "US",
    email: str = "admin@lakeside.test",
    business_name: str = "Lakeside Motors",
    organization_id: int | None = None,
    complete: bool = False,
    **changes: Any,
) -> dict[str, Any]:
    """An Express connected account: unfinished onboarding by default (Stripe's example
    requirements), or ``complete`` (details submitted, charges and payouts on, nothing due)."""
    obj = stripe_object("account")
    deep_update(
        obj,
        {
            "id": account_id,
            "type": "express",
            "country": country,
            "email": email,
            "default_currency": {"US": "usd", "CA": "cad"}.get(country, "usd"),
            "business_type": "company",
            "business_profile": {"name": business_name, "mcc": "5511"},
            "controller": {
                "fees": {"payer": "application"},
                "is_controller": True,
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
                "stripe_dashboard": {"type": "express"},
                "type": "application",
            },
            "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
            "metadata": {"organization_id": str(organization_id)} if organization_id else {},
            "settings": {
                "payments": {"statement_descriptor": business_name.upper()[:22]},
                "payouts": {"schedule": {"delay_days": 2, "interval": "daily"}},
            },
        },
    )
    if complete:
        deep_update(
            obj,
            {
                "details_submitted": True,
                "charges_enabled": True,
                "payouts_enabled": True,
                "capabilities": {"card_payments": "active", "transfers": "active"},
                "requirements": {
                    "currently_due": [],
                    "eventually_due": [],
                    "past_due": [],
                    "disabled_reason": None,
                },
            },
        )
    return deep_update(obj, changes)


def account_link(url: str = "https://connect.stripe.com/setup/e/acct_x/MerI6itPZo2K") -> dict:
    return stripe_object("account_link", url=url, created=now(), expires_at=now() + 300)


def login_link(url: str = "https://connect.stripe.com/express/acct_x/ehJImT2clfHr") -> dict:
    return stripe_object("login_link", url=url, created=now())


def payout(
    payout_id: str = "po_1Pgc79B7WZ01zgkWu1KToYf4",
    *,
    amount: int = 1100,
    currency: str = "usd",
    status: str = "in_transit",
    arrival: date = date(2026, 12, 1),
    created: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return stripe_object(
        "payout",
        id=payout_id,
        amount=amount,
        currency=currency,
        status=status,
        arrival_date=timestamp_of(arrival),
        created=created or now(),
        **fields,
    )


def capability(
    name: str = "card_payments", *, account_id: str = ACCOUNT_ID, status: str = "active"
) -> dict[str, Any]:
    """A Capability object (not among the example objects: shaped as Stripe's API reference)."""
    return {
        "account": account_id,
        "future_requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": [],
            "disabled_reason": None,
            "errors": [],
            "eventually_due": [],
            "past_due": [],
            "pending_verification": [],
        },
        "id": name,
        "object": "capability",
        "requested": True,
        "requested_at": 1234567890,
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": [],
            "disabled_reason": None,
            "errors": [],
            "eventually_due": [],
            "past_due": [],
            "pending_verification": [],
        },
        "status": status,
    }


def application() -> dict[str, Any]:
    """The ``data.object`` of account.application.deauthorized: our Connect application."""
    return {"id": "ca_test_expertconnect", "name": "ExpertConnect", "object": "application"}


def error_body(
    message: str, *, code: str = "", type: str = "invalid_request_error", param: str = ""
) -> dict[str, Any]:
    """Stripe's error response body."""
    error: dict[str, Any] = {"message": message, "type": type}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    error["request_log_url"] = "https://dashboard.stripe.com/test/logs/req_test123"
    return {"error": error}


# Events -----------------------------------------------------------------------------------


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    account: str | None = ACCOUNT_ID,
    created: int | None = None,
    livemode: bool = False,
    event_id: str | None = None,
) -> dict[str, Any]:
    """Stripe's event envelope around ``obj``; ``account`` set as for a Connect event."""
    envelope = stripe_object(
        "event",
        id=event_id or unique_id("evt"),
        type=event_type,
        api_version=API_VERSION,
        created=created or now(),
        livemode=livemode,
        pending_webhooks=1,
        data={"object": obj},
    )
    if account:
        envelope["account"] = account
    return envelope


def signed(
    payload: bytes, secret: str = DEMO_WEBHOOK_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Test-client keyword arguments carrying a Stripe-Signature header for ``payload``."""
    return {"HTTP_STRIPE_SIGNATURE": signature_header(payload, secret, timestamp)}


def post_event(
    client,
    evt: dict[str, Any],
    *,
    path: str = CONNECT_PATH,
    secret: str = DEMO_WEBHOOK_SECRET,
    timestamp: int | None = None,
):
    """POST ``evt`` to a webhook endpoint as Stripe would: raw JSON, signed."""
    payload = json.dumps(evt).encode()
    return client.post(
        path, data=payload, content_type="application/json", **signed(payload, secret, timestamp)
    )
