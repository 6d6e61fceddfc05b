"""The customer's pages (F5): the request behind the short link, Pay, and the receipt.

Public, no login: the token in the URL is the capability (192 random bits), like Stripe's own
checkout links. Each page shows its own request and nothing else of the dealership, and an
unknown token is a plain 404. Every page is rate limited per client and link (``rate_limited``)."""

from __future__ import annotations

import functools
import hashlib
import time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.adapter import client_ip
from accounts.formats import format_money
from accounts.languages import CUSTOMER_LANGUAGES, customer_languages
from accounts.times import local_time
from payments.gateway import GatewayError, get_gateway
from payments.models import PaymentRequest
from payments.requests import checkout as requests_checkout
from payments.requests import repair_orders
from payments.requests import services as requests_services

LINK_LIMIT = 60  # requests a minute by one client on one link (its pages together)


GUESS_LIMIT = 20  # unknown links a minute by one client: then 429 on every customer page


RATE_WINDOW = 60  # seconds


UTC_ZONE = ZoneInfo("UTC")


def _minute() -> int:
    """The rate limits' window: this minute's number."""
    return int(time.time()) // RATE_WINDOW


def _count(key: str) -> int:
    """Count one hit of this minute's ``key``; answers the count so far."""
    key = f"{key}:{_minute()}"
    if cache.add(key, 1, timeout=RATE_WINDOW * 2):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW * 2)
        return 1


def _guesses_key(client: str) -> str:
    return f"pay-guess:{client}"


def rate_limited(request: HttpRequest, token: str) -> bool:
    """Per person, not per proxy or per site: each client (``client_ip``, which reads the
    trusted proxies' X-Forwarded-For) has its own minute on each link, and a client that
    guesses links is stopped without stopping anyone else. True past a limit."""
    client = client_ip(request)
    guesses = cache.get(f"{_guesses_key(client)}:{_minute()}") or 0
    if guesses >= GUESS_LIMIT:
        return True
    link = hashlib.sha256(token.encode()).hexdigest()[:16]  # the token stays out of the cache
    return _count(f"pay-link:{client}:{link}") > LINK_LIMIT


def _browser_language(request: HttpRequest) -> str:
    """The first of the browser's languages that the customer's pages speak ("de-AT" reads as
    "de", "pt" as "pt-br"), or "": LocaleMiddleware offers only the staff's languages."""
    header = request.headers.get("Accept-Language", "")
    for code, _quality in trans_real.parse_accept_lang_header(header):
        if code in CUSTOMER_LANGUAGES:
            return code
        base = code.split("-")[0]
        for language in CUSTOMER_LANGUAGES:
            if language.split("-")[0] == base:
                return language
    return ""


def _speak_without_the_request(request: HttpRequest, token: str) -> None:
    """An error page before the request is read (too many attempts, an unknown link) speaks
    the language picked for this link, else the browser's among the customer's languages."""
    language = request.session.get(f"payment-language:{token}") or _browser_language(request)
    if language in CUSTOMER_LANGUAGES:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def public_page(view):
    """A customer page: no login, never cached, rate limited, no referrer to other sites."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if rate_limited(request, token):
            _speak_without_the_request(request, token)
            response = render(request, "429.html", status=429)
            response["Retry-After"] = str(RATE_WINDOW)
            return response
        try:
            response = view(request, token, *args, **kwargs)
        except Http404:
            _count(_guesses_key(client_ip(request)))
            _speak_without_the_request(request, token)
            raise
        # The token never leaks to other sites; same-origin keeps Origin for the CSRF check.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return login_not_required(never_cache(wrapper))


def _request_for(request: HttpRequest, token: str) -> PaymentRequest:
    """The request of ``token``, with the page switched to its customer's language: the one
    they picked on the page for this link (``?lang=``, kept in their session), else theirs,
    else their dealership's."""
    if len(token) > 64:
        raise Http404
    found = (
        PaymentRequest.objects.select_related(
            "organization", "ticket__customer", "team__sms_number", "repair_order"
        )
        .filter(token=token)
        .first()
    )
    if found is None:
        raise Http404
    key = f"payment-language:{token}"
    picked = request.GET.get("lang", "")
    if picked in CUSTOMER_LANGUAGES and request.session.get(key) != picked:
        request.session[key] = picked
    language = request.session.get(key) or found.reads_in
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
    return found


def _context(payment: PaymentRequest, **extra: Any) -> dict[str, Any]:
    """Only this request's own fields: nothing else of the dealership or its customers."""
    organization = payment.organization
    zone = organization.time_zone
    zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
    paid_at = payment.paid_at
    return {
        "payment": payment,
        "dealership": organization.name,
        "amount": format_money(payment.amount_cents, payment.currency),
        "paid_at": paid_at,
        "paid_at_iso": paid_at.isoformat() if paid_at else "",
        "paid_at_text": local_time(paid_at, zone) if paid_at else "",
        "paid_at_utc_text": local_time(paid_at, UTC_ZONE) if paid_at else "",
        "zone_name": str(zone.key),
        "card_brand": (payment.card_brand or "").replace("_", " ").title(),
        "refunded_at": payment.refunded_at,
        "refunded_at_text": local_time(payment.refunded_at, zone) if payment.refunded_at else "",
        "pay_url": reverse("payment_public_pay", args=[payment.token]),
        "page_url": reverse("payment_public", args=[payment.token]),
        "languages": customer_languages(first=organization.customer_language),
        **extra,
    }


PAID_STATES = (
    PaymentRequest.Status.PAID,
    PaymentRequest.Status.REFUNDED,
    PaymentRequest.Status.DISPUTED,
)


def _render_state(request: HttpRequest, payment: PaymentRequest, **extra: Any) -> HttpResponse:
    if payment.status in PAID_STATES:
        return render(request, "payments/public/receipt.html", _context(payment, **extra))
    if payment.status == PaymentRequest.Status.CANCELLED:
        return render(request, "payments/public/cancelled.html", _context(payment, **extra))
    if payment.is_expired:
        number = getattr(payment.team, "sms_number", None)
        phone = number.number.as_national if number is not None else ""
        return render(
            request, "payments/public/expired.html", _context(payment, team_phone=phone, **extra)
        )
    part = repair_orders.repair_order_part(payment)
    return render(
        request, "payments/public/request.html", _context(payment, repair_order=part, **extra)
    )


@public_page
@require_safe
def request_page(request: HttpRequest, token: str) -> HttpResponse:
    """The short link: the dealership, the amount, what for, and one Pay button."""
    payment = _request_for(request, token)
    if payment.status == PaymentRequest.Status.OPEN:
        requests_services.payment_request_mark_opened(payment_request=payment)
    return _render_state(request, payment)


@public_page
@require_POST
def pay(request: HttpRequest, token: str) -> HttpResponse:
    """Pay: to Stripe's hosted Checkout, with a fresh session when the last one expired."""
    payment = _request_for(request, token)
    if payment.status != PaymentRequest.Status.OPEN or payment.is_expired:
        return _see_other(reverse("payment_public", args=[token]))
    site = settings.SITE_URL
    success_url = (
        site + reverse("payment_public_success", args=[token]) + "?session_id={CHECKOUT_SESSION_ID}"
    )
    cancel_url = site + reverse("payment_public_cancel", args=[token])
    try:
        url = requests_checkout.payment_request_checkout(
            payment_request=payment, success_url=success_url, cancel_url=cancel_url
        )
    except (ValidationError, GatewayError):
        payment.refresh_from_db()
        if payment.status != PaymentRequest.Status.OPEN:
            return _see_other(reverse("payment_public", args=[token]))
        context = _context(payment, unavailable=True)
        return render(request, "payments/public/request.html", context, status=503)
    return _see_other(url)


@public_page
@require_safe
def success(request: HttpRequest, token: str) -> HttpResponse:
    """Back from Checkout. Stripe's webhook may not have arrived yet: the session is read
    from Stripe, so the customer sees Paid at once."""
    payment = _request_for(request, token)
    session_id = request.GET.get("session_id", "")
    if (
        payment.status == PaymentRequest.Status.OPEN
        and session_id.startswith("cs_")
        and len(session_id) <= 255
    ):
        try:
            session = get_gateway().retrieve_checkout_session(session_id)
        except GatewayError:
            session = None
        if session is not None:
            payment = requests_checkout.payment_request_sync_session(
                payment_request=payment, session=session
            )
    if payment.status == PaymentRequest.Status.OPEN:
        return render(request, "payments/public/processing.html", _context(payment))
    return _render_state(request, payment, just_paid=True)


@public_page
@require_safe
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The customer left Checkout: back to the request, nothing charged."""
    payment = _request_for(request, token)
    if payment.status != PaymentRequest.Status.OPEN:
        return _see_other(reverse("payment_public", args=[token]))
    return _render_state(request, payment, left_checkout=True)


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
