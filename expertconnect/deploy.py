"""What a deployment must have: one list, read by the production settings (which refuse to
start) and by the system checks (``manage.py check --deploy`` names each problem).

Production never falls back to the demo: the payment gateway is Stripe with its secret key
and both webhook signing secrets, texts go through Twilio with its credentials and a sender,
and tasks run on a Celery broker, never inline in the web process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

TWILIO_BACKEND = "accounts.sms.TwilioBackend"


class Problem(NamedTuple):
    id: str
    message: str
    hint: str


def problems(values: Mapping[str, Any]) -> list[Problem]:
    """The deployment's problems, given its settings (a module's globals or Django's)."""
    found: list[Problem] = []
    gateway = values.get("PAYMENT_GATEWAY")
    if gateway != "stripe":
        found.append(
            Problem(
                "expertconnect.E001",
                f"PAYMENT_GATEWAY is {gateway!r}: production takes payments through Stripe only.",
                "Set PAYMENT_GATEWAY=stripe (the demo gateway takes no real money and its "
                "pages accept any card).",
            )
        )
    secret_key = str(values.get("STRIPE_SECRET_KEY") or "")
    if not secret_key.startswith(("sk_", "rk_")):
        found.append(
            Problem(
                "expertconnect.E002",
                "STRIPE_SECRET_KEY is not set to a Stripe secret key.",
                "Set STRIPE_SECRET_KEY to the platform's key (sk_live_… or sk_test_…) from "
                "Stripe's Dashboard → Developers → API keys.",
            )
        )
    for name, endpoint in (
        ("STRIPE_WEBHOOK_SECRET", "/webhooks/stripe/"),
        ("STRIPE_CONNECT_WEBHOOK_SECRET", "/webhooks/stripe/connect/"),
    ):
        if not str(values.get(name) or "").startswith("whsec_"):
            found.append(
                Problem(
                    "expertconnect.E003",
                    f"{name} is not set to a webhook signing secret.",
                    f"Set {name} to the signing secret (whsec_…) of the endpoint "
                    f"https://<your host>{endpoint} in Stripe's Dashboard → Developers → Webhooks.",
                )
            )
    backend = values.get("SMS_BACKEND")
    if backend != TWILIO_BACKEND:
        found.append(
            Problem(
                "expertconnect.E004",
                f"SMS_BACKEND is {backend!r}: production texts customers through Twilio only.",
                f"Set SMS_BACKEND={TWILIO_BACKEND} (or leave it unset).",
            )
        )
    else:
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
            if not values.get(name):
                found.append(
                    Problem(
                        "expertconnect.E005",
                        f"{name} is not set: texts could not be sent, and Twilio's webhooks "
                        "could not be verified.",
                        f"Set {name} from the Twilio console.",
                    )
                )
        if not (values.get("TWILIO_MESSAGING_SERVICE_SID") or values.get("TWILIO_FROM_NUMBER")):
            found.append(
                Problem(
                    "expertconnect.E006",
                    "Neither TWILIO_MESSAGING_SERVICE_SID nor TWILIO_FROM_NUMBER is set: "
                    "texts have no sender.",
                    "Set one of them (a Messaging Service SID MG… is preferred).",
                )
            )
    if not values.get("REDIS_URL"):
        found.append(
            Problem(
                "expertconnect.E007",
                "REDIS_URL is not set: background work would run inside web requests.",
                "Set REDIS_URL to the Redis that serves as Celery's broker and the cache.",
            )
        )
    return found


def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """``manage.py check --deploy``: each problem as an error."""
    from django.conf import settings
    from django.core.checks import Error

    values = {name: getattr(settings, name, None) for name in dir(settings) if name.isupper()}
    return [Error(p.message, hint=p.hint, id=p.id) for p in problems(values)]
