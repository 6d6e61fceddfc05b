"""The demo's Express accounts: creation, onboarding links, the dashboard's login, updates."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import transaction
from django.urls import reverse

from payments.gateway.base import NewAccount
from payments.gateway.demo.base import (
    DEMO_LINK_TTL,
    DEMO_LOGIN_SALT,
    DEMO_LOGIN_TTL,
    DEMO_REQUIREMENTS,
    DemoBase,
)
from payments.models import DemoStripeAccount

if TYPE_CHECKING:
    from payments.gateway.stripe import AccountUpdateParams


class DemoAccounts(DemoBase):
    def create_account(self, account: NewAccount, *, idempotency_key: str) -> dict[str, Any]:
        existing = DemoStripeAccount.objects.filter(data__metadata__idempotency_key=idempotency_key)
        if existing.exists():  # Stripe replays the first answer to a repeated key
            return self._public(existing.get().data)
        account_id = "acct_demo" + secrets.token_hex(8)
        data = {
            "id": account_id,
            "object": "account",
            "type": "express",
            "country": account.country,
            "email": account.email,
            "default_currency": {"US": "usd", "CA": "cad"}.get(account.country, "usd"),
            "business_type": "company",
            "business_profile": {"name": account.business_name, "mcc": "5511", "url": None},
            "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "created": int(time.time()),
            "livemode": False,
            "metadata": {
                "organization_id": str(account.organization_id),
                "idempotency_key": idempotency_key,
            },
            "requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": list(DEMO_REQUIREMENTS.get(account.country, [])),
                "disabled_reason": "requirements.past_due",
                "errors": [],
                "eventually_due": list(DEMO_REQUIREMENTS.get(account.country, [])),
                "past_due": [],
                "pending_verification": [],
            },
            "settings": {
                "payments": {"statement_descriptor": account.business_name.upper()[:22]},
                "payouts": {
                    "debit_negative_balances": True,
                    "schedule": {"delay_days": 2, "interval": "daily"},
                    "statement_descriptor": None,
                },
            },
        }
        DemoStripeAccount.objects.create(stripe_id=account_id, data=data)
        return self._public(data)

    def retrieve_account(self, account_id: str) -> dict[str, Any]:
        return self._public(self._load(account_id).data)

    def create_onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        now = int(time.time())
        token = secrets.token_urlsafe(16)
        with transaction.atomic():
            record = self._load(account_id, for_update=True)
            # Used and expired links are kept a day, so a late visit still finds its refresh_url.
            links = {
                key: link
                for key, link in record.data.get("_demo_links", {}).items()
                if link["expires_at"] > now - 86400
            }
            links[token] = {
                "refresh_url": refresh_url,
                "return_url": return_url,
                "expires_at": now + DEMO_LINK_TTL,
                "used_at": None,
            }
            record.data["_demo_links"] = links
            record.save(update_fields=["data"])
        return self._site(reverse("demo_stripe_onboarding", args=[account_id, token]))

    def create_login_link(self, account_id: str) -> str:
        """The Express dashboard's stand-in, with a signed token valid for ten minutes."""

        self._load(account_id)
        token = TimestampSigner(salt=DEMO_LOGIN_SALT).sign(account_id)
        url = self._site(reverse("demo_stripe_dashboard", args=[account_id]))
        return f"{url}?{urlencode({'t': token})}"

    def update_account(
        self, account_id: str, *, params: AccountUpdateParams, idempotency_key: str
    ) -> dict[str, Any]:
        record = self._load(account_id)
        requested: dict[str, Any] = dict(params)
        account_settings = record.data["settings"]
        payouts = requested.get("settings", {}).get("payouts", {})
        if "schedule" in payouts:
            schedule = dict(payouts["schedule"])
            if schedule.get("interval") == "manual":
                schedule.pop("delay_days", None)
            elif schedule.get("delay_days") in (None, "minimum"):
                schedule["delay_days"] = 2  # Stripe's minimum for US and Canadian accounts
            account_settings["payouts"]["schedule"] = schedule
        payments = requested.get("settings", {}).get("payments", {})
        if "statement_descriptor" in payments:
            account_settings["payments"]["statement_descriptor"] = payments["statement_descriptor"]
        record.save(update_fields=["data"])
        self.send_event("account.updated", record.data, account=account_id)
        return self._public(record.data)

    # The demo's own pages call these --------------------------------------------------
    def complete_onboarding(
        self, account_id: str, *, business_name: str, finish: bool, notify: bool = True
    ) -> None:
        """What submitting the hosted onboarding does to the account; then Stripe's
        account.updated, unless ``notify`` is false (seed_demo, before any server listens:
        it reads the account back itself, as our return page does)."""
        record = self._load(account_id)
        data = record.data
        data["details_submitted"] = True
        data["business_profile"]["name"] = business_name
        if finish:
            data["business_profile"]["url"] = "https://dealer.example"
            data["charges_enabled"] = data["payouts_enabled"] = True
            data["capabilities"] = {"card_payments": "active", "transfers": "active"}
            data["requirements"].update(
                currently_due=[], past_due=[], eventually_due=[], disabled_reason=None
            )
        else:
            data["requirements"]["currently_due"] = ["external_account", "company.tax_id"]
        record.save(update_fields=["data"])
        if notify:
            self.send_event("account.updated", data, account=account_id)

    def peek_onboarding_link(self, account_id: str, token: str) -> dict[str, Any] | None:
        """The link as stored, without using it: its URLs, ``expires_at`` and whether it is
        ``usable`` (fresh and unused); None for a token this account never had."""
        link = self._load(account_id).data.get("_demo_links", {}).get(token)
        if link is None:
            return None
        usable = link.get("used_at") is None and link["expires_at"] >= time.time()
        return {**link, "usable": usable}

    def check_login_token(self, account_id: str, token: str | None) -> str:
        """Why the dashboard token does not hold ("missing", "expired" or "invalid"), or ""
        when it is a valid token for this account, signed less than ten minutes ago."""

        if not token:
            return "missing"
        try:
            signed_id = TimestampSigner(salt=DEMO_LOGIN_SALT).unsign(token, max_age=DEMO_LOGIN_TTL)
        except SignatureExpired:
            return "expired"
        except BadSignature:
            return "invalid"
        return "" if signed_id == account_id else "invalid"

    def use_onboarding_link(self, account_id: str, token: str) -> dict[str, Any] | None:
        """The link's URLs if it is fresh and unused (single use, five minutes), else None.

        The link is marked used, not forgotten, so a later visit still goes to its refresh_url.
        Two requests racing for one link: the row lock lets only the first one use it."""

        with transaction.atomic():
            record = self._load(account_id, for_update=True)
            link = record.data.get("_demo_links", {}).get(token)
            if link is None or link.get("used_at") is not None:
                return None
            if link["expires_at"] < time.time():
                return None
            link["used_at"] = int(time.time())
            record.save(update_fields=["data"])
        return {key: link[key] for key in ("refresh_url", "return_url", "expires_at")}
