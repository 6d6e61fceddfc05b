"""The demo gateway: stands in for Stripe with PAYMENT_GATEWAY=demo (never in production).

The same interface as ``StripeGateway``, backed by a table, with local pages standing in for
Stripe's hosted onboarding, Checkout and Express dashboard, and Stripe-shaped events signed
with Stripe's scheme and delivered to our own webhook endpoints, so the demo runs the
production pipeline. Only ``get_gateway`` imports it."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from payments.gateway.base import GatewayError
from payments.gateway.stripe import API_VERSION, checkout_session_params

if TYPE_CHECKING:
    from stripe.params import AccountUpdateParams


DEMO_LINK_TTL = 300  # seconds: Stripe's account links are short-lived and single-use


DEMO_LOGIN_TTL = 600  # seconds: the demo dashboard's signed login token


DEMO_LOGIN_SALT = "payments.demo_stripe_dashboard"


DEMO_CARD_SUCCESS = "4242424242424242"


DEMO_CARD_DECLINE = "4000000000000002"


DEMO_REQUIREMENTS = {
    "US": [
        "business_profile.url",
        "company.address.line1",
        "company.tax_id",
        "external_account",
        "representative.dob.day",
        "representative.first_name",
        "representative.ssn_last_4",
        "tos_acceptance.date",
    ],
    "CA": [
        "business_profile.url",
        "company.address.line1",
        "company.tax_id",
        "external_account",
        "representative.dob.day",
        "representative.first_name",
        "tos_acceptance.date",
    ],
}


class DemoGateway:
    """Stands in for Stripe with PAYMENT_GATEWAY=demo. Same interface, no real money."""

    name = "demo"
    livemode = False

    # Stripe's side --------------------------------------------------------------------
    def _load(self, account_id: str, *, for_update: bool = False):
        from payments.models import DemoStripeAccount

        accounts = DemoStripeAccount.objects.all()
        if for_update:  # the caller is inside transaction.atomic()
            accounts = accounts.select_for_update()
        try:
            return accounts.get(stripe_id=account_id)
        except DemoStripeAccount.DoesNotExist as exc:
            raise GatewayError(f"No such account: '{account_id}'", code="resource_missing") from exc

    @staticmethod
    def _public(data: dict[str, Any]) -> dict[str, Any]:
        """The account as Stripe's API shows it: without the demo's own bookkeeping."""
        return {k: v for k, v in data.items() if not k.startswith("_demo")}

    def _site(self, path: str) -> str:
        return settings.SITE_URL + path

    def create_account(
        self,
        *,
        country: str,
        email: str,
        business_name: str,
        organization_id: int,
        idempotency_key: str,
    ) -> dict[str, Any]:
        from payments.models import DemoStripeAccount

        existing = DemoStripeAccount.objects.filter(data__metadata__idempotency_key=idempotency_key)
        if existing.exists():  # Stripe replays the first answer to a repeated key
            return self._public(existing.get().data)
        account_id = "acct_demo" + secrets.token_hex(8)
        data = {
            "id": account_id,
            "object": "account",
            "type": "express",
            "country": country,
            "email": email,
            "default_currency": {"US": "usd", "CA": "cad"}.get(country, "usd"),
            "business_type": "company",
            "business_profile": {"name": business_name, "mcc": "5511", "url": None},
            "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "created": int(time.time()),
            "livemode": False,
            "metadata": {
                "organization_id": str(organization_id),
                "idempotency_key": idempotency_key,
            },
            "requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": list(DEMO_REQUIREMENTS.get(country, [])),
                "disabled_reason": "requirements.past_due",
                "errors": [],
                "eventually_due": list(DEMO_REQUIREMENTS.get(country, [])),
                "past_due": [],
                "pending_verification": [],
            },
            "settings": {
                "payments": {"statement_descriptor": business_name.upper()[:22]},
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
        from django.db import transaction

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
        from urllib.parse import urlencode

        from django.core.signing import TimestampSigner

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
    def complete_onboarding(self, account_id: str, *, business_name: str, finish: bool) -> None:
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
        from django.core.signing import BadSignature, SignatureExpired, TimestampSigner

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
        from django.db import transaction

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

    def simulate_payout(
        self, account_id: str, *, amount: int | None = None, outcome: str
    ) -> dict[str, Any]:
        """A payout to the dealership's bank: payout.created, then payout.paid or .failed.

        It contains the account's paid demo charges (and refunds) not yet paid out; without
        ``amount`` it pays their net, with one any difference is an adjustment line.
        Kept on the demo account (the dashboard lists the latest) and delivered as events."""
        from django.db import transaction

        if amount is not None and (
            not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0
        ):
            raise GatewayError("The payout amount must be a positive number of cents.")
        if outcome not in ("paid", "failed"):
            raise GatewayError(f"Unknown payout outcome: {outcome!r}.")
        with transaction.atomic():
            record = self._load(account_id, for_update=True)
            lines, net = self._payout_contents(account_id)
            if amount is None:
                if net <= 0:
                    raise GatewayError("There is nothing to pay out.")
                amount = net
            payout = self._payout(account_id, record.data, amount=amount, outcome=outcome)
            self._payout_record(record.data, payout, lines, net)
            record.data["_demo_payouts"] = [payout, *record.data.get("_demo_payouts", [])][:20]
            record.save(update_fields=["data"])
        return payout

    def _payout(
        self, account_id: str, data: dict[str, Any], *, amount: int, outcome: str
    ) -> dict[str, Any]:
        now = int(time.time())
        payout = {
            "id": "po_demo" + secrets.token_hex(8),
            "object": "payout",
            "amount": amount,
            "arrival_date": now - now % 86400 + 86400,
            "automatic": True,
            "created": now,
            "currency": data.get("default_currency", "usd"),
            "description": "STRIPE PAYOUT",
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": {},
            "method": "standard",
            "status": "in_transit",
            "type": "bank_account",
        }
        self.send_event("payout.created", dict(payout), account=account_id)
        if outcome == "failed":
            payout.update(
                status="failed",
                failure_code="account_closed",
                failure_message="The bank account has been closed.",
            )
            self.send_event("payout.failed", payout, account=account_id, created=now + 1)
        else:
            payout["status"] = "paid"
            self.send_event("payout.paid", payout, account=account_id, created=now + 1)
        return payout

    # Payment requests: hosted Checkout, played locally ------------------------------------
    def create_checkout_session(
        self,
        *,
        account_id: str,
        amount_cents: int,
        currency: str,
        description: str,
        fee_cents: int,
        request_id: int,
        organization_id: int,
        success_url: str,
        cancel_url: str,
        expires_at: int,
        idempotency_key: str,
    ) -> dict[str, Any]:
        from payments.models import DemoStripeCheckout

        existing = DemoStripeCheckout.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:  # Stripe replays the first answer to a repeated key
            return self._public(existing.data)
        now = int(time.time())
        if not now + 1800 <= expires_at <= now + 86400:
            raise GatewayError(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                code="parameter_invalid_integer",
            )
        account = self._load(account_id)
        if not account.data.get("charges_enabled"):
            raise GatewayError(
                "The destination account can't take charges yet.", code="account_invalid"
            )
        params = checkout_session_params(
            account_id=account_id,
            amount_cents=amount_cents,
            currency=currency,
            description=description,
            fee_cents=fee_cents,
            request_id=request_id,
            organization_id=organization_id,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=expires_at,
        )
        session_id = "cs_test_demo" + secrets.token_hex(12)
        data: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount_cents,
            "amount_total": amount_cents,
            "cancel_url": cancel_url,
            "client_reference_id": str(request_id),
            "created": now,
            "currency": currency,
            "expires_at": expires_at,
            "livemode": False,
            "metadata": dict(params["metadata"]),  # type: ignore[arg-type]
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": list(settings.PAYMENT_METHOD_TYPES),
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "url": self._site(reverse("demo_stripe_checkout", args=[session_id])),
            "_demo": {
                "account_id": account_id,
                "business_name": (account.data.get("business_profile") or {}).get("name") or "",
                "description": description,
                "fee_cents": fee_cents,
                "payment_intent_data": dict(params["payment_intent_data"]),
            },
        }
        DemoStripeCheckout.objects.create(
            stripe_id=session_id, idempotency_key=idempotency_key, data=data
        )
        return self._public(data)

    def _checkout(self, session_id: str, *, for_update: bool = False):
        from payments.models import DemoStripeCheckout

        sessions = DemoStripeCheckout.objects.all()
        if for_update:
            sessions = sessions.select_for_update()
        try:
            return sessions.get(stripe_id=session_id)
        except DemoStripeCheckout.DoesNotExist as exc:
            raise GatewayError(
                f"No such checkout.session: '{session_id}'", code="resource_missing"
            ) from exc

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        """As Stripe answers with ``expand=["payment_intent.latest_charge"]``."""
        data = self._checkout(session_id).data
        session = self._public(data)
        intent = data["_demo"].get("payment_intent")
        if intent:
            intent = dict(intent)
            if intent.get("latest_charge") and data["_demo"].get("charge"):
                intent["latest_charge"] = data["_demo"]["charge"]
            session["payment_intent"] = intent
        return session

    def expire_checkout_session(self, session_id: str) -> dict[str, Any]:
        from django.db import transaction

        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            if data["status"] != "open":
                raise GatewayError(
                    f"Only Checkout Sessions with a status of `open` can be expired. This "
                    f"session has a status of `{data['status']}`.",
                    code="checkout_session_not_open",
                )
            data["status"] = "expired"
            record.save(update_fields=["data"])
            self.send_platform_event("checkout.session.expired", data)
        return self._public(data)

    def retrieve_balance_transaction(self, transaction_id: str) -> dict[str, Any]:
        from payments.models import DemoStripeCheckout

        found = DemoStripeCheckout.objects.filter(
            data__contains={"_demo": {"balance_transaction": {"id": transaction_id}}}
        ).first()
        if found is None:
            raise GatewayError(
                f"No such balance transaction: '{transaction_id}'", code="resource_missing"
            )
        return found.data["_demo"]["balance_transaction"]

    def create_refund(
        self,
        *,
        payment_intent_id: str,
        refund_application_fee: bool,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Refund the demo charge in full: answers the refund ``pending``, then sends
        ``charge.refunded`` and ``refund.updated`` (succeeded) to the platform endpoint after
        commit, as Stripe would. A repeated idempotency key replays the first answer."""
        from django.db import transaction

        from payments.models import DemoStripeCheckout

        with transaction.atomic():
            record = (
                DemoStripeCheckout.objects.select_for_update()
                .filter(data__contains={"_demo": {"payment_intent": {"id": payment_intent_id}}})
                .first()
            )
            if record is None or not record.data["_demo"].get("charge"):
                raise GatewayError(
                    f"No such payment_intent: '{payment_intent_id}'", code="resource_missing"
                )
            data = record.data
            demo = data["_demo"]
            refunds: dict[str, Any] = demo.setdefault("refunds", {})
            if idempotency_key in refunds:  # Stripe replays the first answer to a repeated key
                return dict(refunds[idempotency_key]["answer"])
            charge = demo["charge"]
            if charge.get("refunded"):
                raise GatewayError(
                    f"Charge {charge['id']} has already been refunded.",
                    code="charge_already_refunded",
                )
            now = int(time.time())
            amount = charge["amount"]
            refund: dict[str, Any] = {
                "id": "re_demo" + secrets.token_hex(12),
                "object": "refund",
                "amount": amount,
                "balance_transaction": "txn_demo" + secrets.token_hex(12),
                "charge": charge["id"],
                "created": now,
                "currency": charge["currency"],
                "destination_details": {"card": {"type": "refund"}, "type": "card"},
                "metadata": dict(metadata),
                "payment_intent": payment_intent_id,
                "reason": None,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "pending",
                "transfer_reversal": "trr_demo" + secrets.token_hex(12),
            }
            answer = dict(refund)
            refund["status"] = "succeeded"
            charge.update(
                amount_refunded=amount,
                refunded=True,
                refunds={
                    "object": "list",
                    "data": [refund],
                    "has_more": False,
                    "total_count": 1,
                    "url": f"/v1/charges/{charge['id']}/refunds",
                },
            )
            refunds[idempotency_key] = {
                "answer": answer,
                "refund_application_fee": refund_application_fee,
            }
            record.save(update_fields=["data"])
            self.send_platform_event("charge.refunded", charge, created=now)
            self.send_platform_event("refund.updated", refund, created=now)
        return answer

    # The demo checkout page calls these -----------------------------------------------
    def peek_checkout(self, session_id: str) -> dict[str, Any]:
        """The session with the demo's bookkeeping, expiring it (with its event) when due."""
        from django.db import transaction

        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            if data["status"] == "open" and data["expires_at"] < time.time():
                data["status"] = "expired"
                record.save(update_fields=["data"])
                self.send_platform_event("checkout.session.expired", data)
        return data

    def pay_checkout(self, session_id: str, *, card_number: str) -> dict[str, Any]:
        """The customer submits a card: 4242… succeeds, 4000 0000 0000 0002 is declined.

        Answers ``{"paid": bool, "message": str, "session": dict}``; events go to our
        platform endpoint after commit, as Stripe would send them."""
        from django.db import transaction

        number = "".join(card_number.split())
        with transaction.atomic():
            record = self._checkout(session_id, for_update=True)
            data = record.data
            demo = data["_demo"]
            if data["status"] != "open" or data["expires_at"] < time.time():
                return {
                    "paid": False,
                    "message": "This checkout session is no longer open.",
                    "session": data,
                }
            if number not in (DEMO_CARD_SUCCESS, DEMO_CARD_DECLINE):
                return {
                    "paid": False,
                    "message": "Use the demo card 4242 4242 4242 4242 (or 4000 0000 0000 0002 "
                    "to see a decline).",
                    "session": data,
                }
            now = int(time.time())
            pi_data = demo["payment_intent_data"]
            intent = demo.get("payment_intent") or {
                "id": "pi_demo" + secrets.token_hex(12),
                "object": "payment_intent",
                "amount": data["amount_total"],
                "application_fee_amount": demo["fee_cents"],
                "created": now,
                "currency": data["currency"],
                "description": demo["description"],
                "latest_charge": None,
                "livemode": False,
                "metadata": dict(pi_data.get("metadata") or {}),
                "on_behalf_of": demo["account_id"],
                "transfer_data": {"destination": demo["account_id"]},
            }
            demo["payment_intent"] = intent
            if number == DEMO_CARD_DECLINE:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "code": "card_declined",
                        "decline_code": "generic_decline",
                        "message": "Your card was declined.",
                        "type": "card_error",
                    },
                )
                record.save(update_fields=["data"])
                self.send_platform_event("payment_intent.payment_failed", intent)
                return {"paid": False, "message": "Your card was declined.", "session": data}
            charge, transaction_ = self._charge(data, intent, now)
            intent.update(status="succeeded", latest_charge=charge["id"], last_payment_error=None)
            demo.update(charge=charge, balance_transaction=transaction_)
            data.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            record.save(update_fields=["data"])
            self.send_platform_event("checkout.session.completed", data, created=now)
            self.send_platform_event("payment_intent.succeeded", intent, created=now)
            self.send_platform_event("charge.succeeded", charge, created=now)
        return {"paid": True, "message": "", "session": data}

    def _charge(
        self, session: dict[str, Any], intent: dict[str, Any], now: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        amount = session["amount_total"]
        stripe_fee = (amount * 29 + 500) // 1000 + 30  # Stripe's US card price: 2.9% + 30¢
        charge_id = "ch_demo" + secrets.token_hex(12)
        transaction_ = {
            "id": "txn_demo" + secrets.token_hex(12),
            "object": "balance_transaction",
            "amount": amount,
            "created": now,
            "currency": session["currency"],
            "fee": stripe_fee,
            "net": amount - stripe_fee,
            "source": charge_id,
            "status": "pending",
            "type": "charge",
        }
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "application_fee_amount": intent["application_fee_amount"],
            "balance_transaction": transaction_["id"],
            "captured": True,
            "created": now,
            "currency": session["currency"],
            "description": intent["description"],
            "disputed": False,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": intent["on_behalf_of"],
            "paid": True,
            "payment_intent": intent["id"],
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "last4": DEMO_CARD_SUCCESS[-4:],
                    "exp_month": 12,
                    "exp_year": time.gmtime(now).tm_year + 3,
                    "funding": "credit",
                    "country": "US",
                },
            },
            "receipt_number": f"{secrets.randbelow(9000) + 1000}-{secrets.randbelow(9000) + 1000}",
            "receipt_url": self._site(reverse("demo_stripe_receipt", args=[charge_id])),
            "refunded": False,
            "status": "succeeded",
            "transfer_data": {"amount": None, "destination": intent["on_behalf_of"]},
        }
        return charge, transaction_

    def charge_for_receipt(self, charge_id: str) -> dict[str, Any] | None:
        """The charge and its session, for the demo's receipt page."""
        from payments.models import DemoStripeCheckout

        found = DemoStripeCheckout.objects.filter(
            data__contains={"_demo": {"charge": {"id": charge_id}}}
        ).first()
        return found.data if found else None

    def send_platform_event(
        self, event_type: str, obj: dict[str, Any], *, created: int | None = None
    ) -> dict[str, Any]:
        """Deliver an event about the platform's own objects (charges, Checkout) to the
        platform endpoint: no ``account``, as Stripe sends them."""
        return self._deliver(event_type, obj, account=None, created=created)

    def send_event(
        self, event_type: str, obj: dict[str, Any], *, account: str, created: int | None = None
    ) -> dict[str, Any]:
        """Deliver a Stripe-shaped event to our Connect endpoint, signed like Stripe signs."""
        return self._deliver(event_type, obj, account=account, created=created)

    def _deliver(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        account: str | None,
        created: int | None = None,
    ) -> dict[str, Any]:
        import copy

        from django.db import transaction

        from payments.gateway.demo.tasks import demo_deliver_event

        public = copy.deepcopy({k: v for k, v in obj.items() if not k.startswith("_demo")})
        event: dict[str, Any] = {
            "id": "evt_demo" + secrets.token_hex(12),
            "object": "event",
            "api_version": API_VERSION,
            "created": created or int(time.time()),
            "data": {"object": public},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if account is not None:
            event["account"] = account
            url = self._site(reverse("stripe_webhook_connect"))
        else:
            url = self._site(reverse("stripe_webhook"))
        transaction.on_commit(lambda: demo_deliver_event.delay(url, event))
        return event

    # Reports from Stripe: built at once from the demo's (our) payments ---------------------
    def create_report_run(
        self,
        *,
        account_id: str,
        report_type: str,
        interval_start: int,
        interval_end: int,
        timezone: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        from django.db import transaction

        from payments.gateway.demo.reports import demo_report_csv

        with transaction.atomic():
            record = self._load(account_id, for_update=True)
            runs: dict[str, Any] = record.data.setdefault("_demo_report_runs", {})
            for run in runs.values():
                if run.get("_demo_key") == idempotency_key:
                    return self._public(run)
            run_id = "frr_demo" + secrets.token_hex(8)
            file_id = "file_demo" + secrets.token_hex(8)
            now = int(time.time())
            csv_text = demo_report_csv(
                account_id=account_id,
                report_type=report_type,
                interval_start=interval_start,
                interval_end=interval_end,
                timezone=timezone,
            )
            runs[run_id] = {
                "id": run_id,
                "object": "reporting.report_run",
                "created": now,
                "livemode": False,
                "parameters": {
                    "interval_start": interval_start,
                    "interval_end": interval_end,
                    "connected_account": account_id,
                    "timezone": timezone,
                },
                "report_type": report_type,
                "status": "succeeded",
                "succeeded_at": now,
                "error": None,
                "result": {
                    "id": file_id,
                    "object": "file",
                    "filename": f"{file_id}.csv",
                    "purpose": "finance_report_run",
                    "size": len(csv_text.encode()),
                    "type": "csv",
                    "url": f"https://files.stripe.com/v1/files/{file_id}/contents",
                },
                "_demo_key": idempotency_key,
            }
            record.data.setdefault("_demo_report_files", {})[file_id] = csv_text
            record.save(update_fields=["data"])
        return self._public(runs[run_id])

    def retrieve_report_run(self, run_id: str) -> dict[str, Any]:
        from payments.models import DemoStripeAccount

        record = DemoStripeAccount.objects.filter(data___demo_report_runs__has_key=run_id).first()
        if record is None:
            raise GatewayError(f"No such report run: '{run_id}'", code="resource_missing")
        return self._public(record.data["_demo_report_runs"][run_id])

    def download_report_file(self, url: str) -> str:
        from payments.models import DemoStripeAccount

        parts = url.rstrip("/").split("/")
        file_id = parts[-2] if parts[-1] == "contents" else parts[-1]
        record = DemoStripeAccount.objects.filter(data___demo_report_files__has_key=file_id).first()
        if record is None:
            raise GatewayError(f"No such file: '{file_id}'", code="resource_missing")
        return str(record.data["_demo_report_files"][file_id])

    # Payout composition -------------------------------------------------------------------
    def _payout_contents(self, account_id: str) -> tuple[list[Any], int]:
        """The account's paid demo checkouts (locked) whose charge or refund no payout holds
        yet, and their net: charges less our fee, less refunds of them."""
        from payments.models import DemoStripeCheckout

        held = []
        net = 0
        rows = DemoStripeCheckout.objects.select_for_update().filter(
            data__contains={"_demo": {"account_id": account_id}}
        )
        for row in rows.order_by("pk"):
            demo = row.data["_demo"]
            charge = demo.get("charge")
            if not charge:
                continue
            kept = charge["amount"] - (charge.get("application_fee_amount") or 0)
            payment = not demo.get("paid_out")
            refund = bool(charge.get("refunded")) and not demo.get("refund_paid_out")
            if payment or refund:
                held.append((row, payment, refund, kept))
                net += (kept if payment else 0) - (kept if refund else 0)
        return held, net

    def _payout_record(
        self, data: dict[str, Any], payout: dict[str, Any], held: list[Any], net: int
    ) -> None:
        """Keep the payout's balance transactions, shaped like Stripe's, on the demo account;
        a paid payout marks the charges and refunds it holds as paid out."""
        paid = payout["status"] == "paid"
        currency = payout["currency"]

        def txn(type_: str, amount: int, created: int, source: Any, **extra: Any):
            return {
                "id": "txn_demo" + secrets.token_hex(12),
                "object": "balance_transaction",
                "amount": amount,
                "available_on": created,
                "created": created,
                "currency": currency,
                "description": extra.pop("description", None),
                "fee": 0,
                "fee_details": [],
                "net": amount,
                "reporting_category": extra.pop("reporting_category", type_),
                "source": source,
                "status": "available",
                "type": type_,
            }

        lines = []
        for row, payment, refund, kept in held:
            demo = row.data["_demo"]
            charge = demo["charge"]
            py_id = demo.setdefault("connected_payment_id", "py_demo" + secrets.token_hex(12))
            if payment:
                source = {
                    "id": py_id,
                    "object": "charge",
                    "amount": kept,
                    "currency": currency,
                    "source_transfer": {
                        "id": "tr_demo" + secrets.token_hex(12),
                        "object": "transfer",
                        "amount": kept,
                        "destination": charge.get("on_behalf_of"),
                        "source_transaction": charge["id"],
                    },
                }
                lines.append(
                    txn("payment", kept, charge["created"], source, reporting_category="charge")
                )
            if refund:
                refunded = (charge.get("refunds") or {}).get("data") or [{}]
                source = {
                    "id": "pyr_demo" + secrets.token_hex(12),
                    "object": "refund",
                    "amount": kept,
                    "charge": py_id,
                    "currency": currency,
                }
                created = refunded[0].get("created") or payout["created"]
                lines.append(
                    txn("payment_refund", -kept, created, source, reporting_category="refund")
                )
            if paid:
                if payment:
                    demo["paid_out"] = payout["id"]
                if refund:
                    demo["refund_paid_out"] = payout["id"]
            row.save(update_fields=["data"])
        if payout["amount"] != net:
            lines.append(
                txn(
                    "adjustment",
                    payout["amount"] - net,
                    payout["created"],
                    None,
                    description="Demo balance adjustment",
                )
            )
        lines.append(
            txn(
                "payout",
                -payout["amount"],
                payout["created"],
                payout["id"],
                description="STRIPE PAYOUT",
            )
        )
        data.setdefault("_demo_payout_transactions", {})[payout["id"]] = lines

    def list_payout_transactions(self, *, account_id: str, payout_id: str) -> list[dict[str, Any]]:
        record = self._load(account_id)
        found = record.data.get("_demo_payout_transactions", {}).get(payout_id)
        if found is None:
            return []
        return [dict(line) for line in found]
