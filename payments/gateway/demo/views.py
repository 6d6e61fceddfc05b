"""Local pages of the demo gateway, standing in for Stripe's hosted onboarding, Checkout and
the Express dashboard. They answer 404 whenever the Stripe gateway is on.

They live on our domain but play Stripe's part, so they use no login of ours: the account id
and a token in the URL are the capability, as with Stripe's own links. An onboarding link is
single-use and lives five minutes; a dashboard link carries a token signed for ten minutes."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_countries import countries

from accounts.formats import format_money
from accounts.languages import STRIPE_LOCALES
from payments.dates import weekday_name
from payments.gateway import base as gateway_base
from payments.gateway.demo import gateway as gateway_demo_gateway
from payments.gateway.requirements import (
    describe_disabled_reason,
    describe_requirements,
    onboarding_checklist,
)
from payments.models import DemoStripeAccount
from payments.models.payouts import PAYOUT_STATUSES
from teams.models import Organization

MAX_PAYOUT_CENTS = 100_000_000  # $1,000,000.00: plenty for a demo


CENT = Decimal("0.01")


def demo_page(view):
    """A page of the demo gateway: public like Stripe's, never cached, 404 with real keys."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not gateway_base.demo_mode():
            raise Http404("The demo gateway is off: real Stripe keys are configured.")
        return view(request, *args, **kwargs)

    return login_not_required(never_cache(wrapper))


def _gateway() -> gateway_demo_gateway.DemoGateway:
    return gateway_demo_gateway.DemoGateway()


def _organization(record: DemoStripeAccount) -> Organization | None:
    organization_id = (record.data.get("metadata") or {}).get("organization_id")
    if not organization_id or not str(organization_id).isdigit():
        return None
    return Organization.objects.filter(pk=int(organization_id)).first()


def _app_url(record: DemoStripeAccount, name: str, anchor: str = "") -> str:
    """A page of our app for the account's organization, or the home page."""
    organization = _organization(record)
    if organization is None:
        return reverse("home")
    return reverse(name, kwargs={"org": organization.slug}) + anchor


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303  # after a POST: the browser follows with GET
    return response


class OnboardingForm(forms.Form):
    business_name = forms.CharField(
        label=gettext_lazy("Business name"),
        max_length=120,
        help_text=gettext_lazy("The name customers know the dealership by."),
    )
    action = forms.ChoiceField(choices=[("submit", "submit"), ("later", "later")])


@demo_page
@require_http_methods(["GET", "HEAD", "POST"])
def onboarding(request: HttpRequest, account_id: str, token: str) -> HttpResponse:
    """Stripe's hosted Express onboarding, played locally.

    GET shows the form without using the link; a used or expired link goes to its
    refresh_url, as Stripe does. POST uses the link (once) and returns to return_url."""
    record = get_object_or_404(DemoStripeAccount, stripe_id=account_id)
    gateway = _gateway()
    link = gateway.peek_onboarding_link(account_id, token)
    expired_page = reverse("demo_stripe_onboarding_expired", args=[account_id])
    if link is None:
        return (_see_other if request.method == "POST" else HttpResponseRedirect)(expired_page)
    if request.method != "POST":
        if not link["usable"]:
            return HttpResponseRedirect(link["refresh_url"])
        form = OnboardingForm(
            initial={"business_name": (record.data.get("business_profile") or {}).get("name")}
        )
        return _onboarding_page(request, record, form, link)

    if not link["usable"]:
        return _see_other(expired_page)
    form = OnboardingForm(request.POST)
    if not form.is_valid():
        return _onboarding_page(request, record, form, link, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    with transaction.atomic():  # the link's row lock is held until onboarding is recorded
        used = gateway.use_onboarding_link(account_id, token)
        if used is not None:
            gateway.complete_onboarding(
                account_id,
                business_name=form.cleaned_data["business_name"],
                finish=form.cleaned_data["action"] == "submit",
            )
    if used is None:  # another tab used it a moment ago, or it expired meanwhile
        return _see_other(expired_page)
    return _see_other(used["return_url"])


def _onboarding_page(
    request: HttpRequest,
    record: DemoStripeAccount,
    form: OnboardingForm,
    link: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    country = record.data.get("country") or ""
    context = {
        "account_id": record.stripe_id,
        "business_name": (record.data.get("business_profile") or {}).get("name") or "",
        "country": country,
        "country_name": countries.name(country) or country,
        "email": record.data.get("email") or "",
        "checklist": onboarding_checklist(country),
        "form": form,
        "expires_at": datetime.fromtimestamp(link["expires_at"], tz=UTC),
    }
    return render(request, "payments/demo/onboarding.html", context, status=status)


@demo_page
@require_safe
def onboarding_expired(request: HttpRequest, account_id: str) -> HttpResponse:
    """An onboarding link that is unknown, used or expired: back to the app for a new one."""
    record = get_object_or_404(DemoStripeAccount, stripe_id=account_id)
    context = {
        "business_name": (record.data.get("business_profile") or {}).get("name") or "",
        "refresh_url": _app_url(record, "stripe_refresh"),
    }
    return render(request, "payments/demo/onboarding_expired.html", context)


class PayoutForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Amount"),
        max_length=20,
        help_text=gettext_lazy(
            "In dollars, like 1250.00. Filled in with the balance not paid out yet; another "
            "amount makes a payout whose lines do not add up."
        ),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("paid", gettext_lazy("Paid: the money reaches the bank")),
            ("failed", gettext_lazy("Failed: the bank account was closed")),
        ],
        initial="paid",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def clean_amount(self) -> int:
        """Dollars and cents as typed (``1,250.00``, ``$75``) to integer cents, exactly."""
        raw = self.cleaned_data["amount"].strip().removeprefix("$").replace(",", "").strip()
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationError(_("Enter an amount in dollars, like 1250.00.")) from exc
        if not value.is_finite() or value <= 0:
            raise ValidationError(_("Enter an amount greater than zero."))
        if value * 100 > MAX_PAYOUT_CENTS:
            raise ValidationError(
                _("Enter at most %(max)s.") % {"max": f"{MAX_PAYOUT_CENTS // 100:,}.00"}
            )
        if value % CENT:
            raise ValidationError(_("Enter whole cents: at most two digits after the point."))
        return int(value * 100)


@demo_page
@require_http_methods(["GET", "HEAD", "POST"])
def dashboard(request: HttpRequest, account_id: str) -> HttpResponse:
    """Stripe's Express dashboard, played locally, with a button to make a payout happen."""
    record = get_object_or_404(DemoStripeAccount, stripe_id=account_id)
    gateway = _gateway()
    token = request.GET.get("t", "")
    denied = gateway.check_login_token(account_id, token)
    if denied:
        context = {"reason": denied, "admin_url": _app_url(record, "admin_tab", "#connections")}
        return render(request, "payments/demo/dashboard_denied.html", context, status=403)

    balance = gateway.payout_balance(account_id)
    # The balance, so that the payout's lines add up; another amount shows a payout that
    # does not (the payout page says so, in red).
    initial = {"amount": f"{balance // 100}.{balance % 100:02d}"} if balance > 0 else {}
    form = PayoutForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not record.data.get("payouts_enabled"):
            form.add_error(None, _("Payouts start once onboarding is finished."))
        if form.is_valid():
            payout = gateway.simulate_payout(
                account_id,
                amount=form.cleaned_data["amount"],
                outcome=form.cleaned_data["outcome"],
            )
            here = reverse("demo_stripe_dashboard", args=[account_id])
            return _see_other(f"{here}?{urlencode({'t': token, 'payout': payout['id']})}")
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    return render(
        request,
        "payments/demo/dashboard.html",
        _dashboard_context(record, form=form, token=token, sent=request.GET.get("payout", "")),
        status=status,
    )


def _schedule_words(schedule: dict[str, Any]) -> str:
    interval = schedule.get("interval") or "daily"
    if interval == "manual":
        return _("Manual: payouts only when requested")
    if interval == "weekly":
        words = _("Weekly, every %(day)s") % {
            "day": weekday_name(str(schedule.get("weekly_anchor") or "monday"))
        }
    elif interval == "monthly":
        words = _("Monthly, on day %(day)s") % {"day": schedule.get("monthly_anchor") or 1}
    else:
        words = _("Daily")
    delay = schedule.get("delay_days")
    if delay:
        words += ", " + _("%(n)s-day rolling basis") % {"n": delay}
    return words


def _payout_row(payout: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": payout["id"],
        "amount": format_money(payout["amount"], payout["currency"]),
        "status": payout["status"],
        "status_label": str(PAYOUT_STATUSES.get(payout["status"], payout["status"])),
        "event": f"payout.{payout['status']}",
        # A calendar date given as a timestamp: shown as the date, never converted.
        "arrival_date": datetime.fromtimestamp(payout["arrival_date"], tz=UTC).date(),
        "failure_message": payout.get("failure_message") or "",
    }


def _dashboard_context(
    record: DemoStripeAccount, *, form: PayoutForm, token: str, sent: str
) -> dict[str, Any]:
    data = record.data
    requirements = data.get("requirements") or {}
    due = [*(requirements.get("past_due") or []), *(requirements.get("currently_due") or [])]
    complete = bool(
        data.get("details_submitted")
        and data.get("charges_enabled")
        and data.get("payouts_enabled")
        and not due
    )
    account_settings = data.get("settings") or {}
    payouts = [_payout_row(payout) for payout in data.get("_demo_payouts", [])]
    return {
        "account_id": record.stripe_id,
        "business_name": (data.get("business_profile") or {}).get("name") or "",
        "email": data.get("email") or "",
        "country_name": countries.name(data.get("country") or "") or data.get("country"),
        "currency": (data.get("default_currency") or "usd").upper(),
        "complete": complete,
        "details_submitted": bool(data.get("details_submitted")),
        "charges_enabled": bool(data.get("charges_enabled")),
        "payouts_enabled": bool(data.get("payouts_enabled")),
        "requirements_due": describe_requirements(due),
        "disabled_reason": describe_disabled_reason(requirements.get("disabled_reason") or ""),
        "schedule": _schedule_words((account_settings.get("payouts") or {}).get("schedule") or {}),
        "statement_descriptor": (account_settings.get("payments") or {}).get("statement_descriptor")
        or "",
        "form": form,
        "token": token,
        "payouts": payouts[:5],
        "sent": next((row for row in payouts if row["id"] == sent), None),
        "admin_url": _app_url(record, "admin_tab", "#connections"),
    }


class CheckoutForm(forms.Form):
    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=23,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "cc-number",
                "placeholder": "4242 4242 4242 4242",
            }
        ),
    )
    expiry = forms.CharField(
        label=gettext_lazy("Expiry"),
        max_length=7,
        widget=forms.TextInput(
            attrs={
                # Translators: a card's expiry date, month / year (two digits each)
                "placeholder": gettext_lazy("MM / YY"),
                "autocomplete": "cc-exp",
            }
        ),
    )
    cvc = forms.CharField(
        label=gettext_lazy("CVC"),
        max_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "placeholder": "123", "autocomplete": "cc-csc"}
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name on card"), max_length=120, required=False)

    def clean_expiry(self) -> tuple[int, int]:
        """The card's expiry as (year, month): MM / YY, MM/YYYY or MMYY. A card is good through
        the end of its month; an earlier one is refused, as Stripe's Checkout refuses it."""
        typed = "".join(self.cleaned_data["expiry"].split())
        month, _slash, year = typed.partition("/") if "/" in typed else (typed[:2], "", typed[2:])
        if not (month.isdigit() and year.isdigit() and len(year) in (2, 4)):
            raise ValidationError(_("Your card's expiration date is incomplete."))
        if not 1 <= int(month) <= 12:
            raise ValidationError(_("Your card's expiration date is incomplete."))
        expires = (int(year) + (2000 if len(year) == 2 else 0), int(month))
        today = datetime.now(tz=UTC)
        if expires < (today.year, today.month):
            raise ValidationError(_("Your card's expiration date is in the past."))
        return expires


# Stripe's locale of each of our languages, read back: the language its Checkout speaks.
LANGUAGE_OF_LOCALE = {locale: code for code, locale in STRIPE_LOCALES.items()}


# What the demo's Checkout tells the customer: the gateway answers in English, as Stripe's API
# does, and the page says it in the customer's language, as Stripe's hosted page does.
CHECKOUT_MESSAGES = {
    "Your card was declined.": gettext_lazy("Your card was declined."),
    "This checkout session is no longer open.": gettext_lazy(
        "This checkout session is no longer open."
    ),
    "Use the demo card 4242 4242 4242 4242 (or 4000 0000 0000 0002 to see a decline).": (
        gettext_lazy(
            "Use the demo card 4242 4242 4242 4242 (or 4000 0000 0000 0002 to see a decline)."
        )
    ),
}


def _checkout_message(message: str) -> str:
    return str(CHECKOUT_MESSAGES.get(message, message))


def _speak_checkout_language(request: HttpRequest, data: dict[str, Any]) -> None:
    """Checkout speaks the language the session was opened in (``locale``), as Stripe's does,
    and so does its receipt; "auto" (or none) leaves the browser's."""
    language = LANGUAGE_OF_LOCALE.get(str(data.get("locale") or ""))
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def _checkout_context(
    data: dict[str, Any], form: CheckoutForm, message: str = ""
) -> dict[str, Any]:
    demo = data["_demo"]
    return {
        "session_id": data["id"],
        "business_name": demo.get("business_name") or "",
        "description": demo.get("description") or "",
        "amount": format_money(data["amount_total"], data["currency"]),
        "cancel_url": data["cancel_url"],
        "expires_at": datetime.fromtimestamp(data["expires_at"], tz=UTC),
        "form": form,
        "message": message,
    }


@demo_page
@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    """Stripe's hosted Checkout, played locally. 4242 4242 4242 4242 pays; 4000 0000 0000 0002
    is declined. A paid session goes to its success_url; an expired one says so."""
    gateway = _gateway()
    try:
        data = gateway.peek_checkout(session_id)
    except gateway_base.GatewayError as exc:
        raise Http404("No such checkout session.") from exc
    _speak_checkout_language(request, data)
    if data["status"] == "complete":
        return _see_other(data["success_url"].replace("{CHECKOUT_SESSION_ID}", data["id"]))
    if data["status"] == "expired":
        context = {
            "business_name": data["_demo"].get("business_name") or "",
            "cancel_url": data["cancel_url"],
        }
        return render(request, "payments/demo/checkout_expired.html", context, status=410)
    form = CheckoutForm(request.POST or None)
    if request.method != "POST":
        return render(request, "payments/demo/checkout.html", _checkout_context(data, form))
    if not form.is_valid():
        return render(
            request,
            "payments/demo/checkout.html",
            _checkout_context(data, form),
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    result = gateway.pay_checkout(session_id, card_number=form.cleaned_data["card_number"])
    session = result["session"]
    if result["paid"] or session["status"] == "complete":
        return _see_other(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    if session["status"] != "open":
        return _see_other(reverse("demo_stripe_checkout", args=[session_id]))
    return render(
        request,
        "payments/demo/checkout.html",
        _checkout_context(session, CheckoutForm(), message=_checkout_message(result["message"])),
        status=402,
    )


@demo_page
@require_safe
def receipt(request: HttpRequest, charge_id: str) -> HttpResponse:
    """Stripe's e-mailed receipt, played locally: times in UTC, as Stripe shows them."""
    data = _gateway().charge_for_receipt(charge_id)
    if data is None:
        raise Http404("No such charge.")
    _speak_checkout_language(request, data)
    charge = data["_demo"]["charge"]
    card = charge["payment_method_details"]["card"]
    context = {
        "business_name": data["_demo"].get("business_name") or "",
        "description": data["_demo"].get("description") or "",
        "amount": format_money(charge["amount"], charge["currency"]),
        "receipt_number": charge.get("receipt_number") or "",
        "paid_at": datetime.fromtimestamp(charge["created"], tz=UTC),
        "card": f"{card['brand'].title()} •••• {card['last4']}",
        "refunded": bool(charge.get("refunded")),
    }
    return render(request, "payments/demo/receipt.html", context)
