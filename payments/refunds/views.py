"""Refund a payment (F7): a confirmation naming the amount, then the refund itself.

Managers of the payment's (payments-enabled) team and admins may refund; a manager of
another team gets 404 (the payment is not theirs to see), an advisor 403. The confirmation
is a GET; the POST asks for the password again when the last check is older than five
minutes, then refunds. A double click or a second manager is told the refund is under way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import reauthentication_purpose, recent_password_required
from accounts.formats import format_money
from payments.gateway import GatewayError, gateway_message
from payments.models import PaymentRequest
from payments.refunds import services as refunds_services
from payments.scope import payment_for
from teams.access import OrganizationRequest, memberships_of, organization_view, signed_in_user
from teams.roles import Capability

CARD_BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def card_label(payment: PaymentRequest) -> str:
    brand = CARD_BRANDS.get(payment.card_brand.lower(), payment.card_brand.title() or _("card"))
    # No-break spaces: "Visa •••• 4242" never breaks across lines.
    return f"{brand}\u00a0••••\u00a0{payment.card_last4}" if payment.card_last4 else brand


def payment_page(payment: PaymentRequest) -> str:
    """The payment's page, or its ticket's while the payment page does not exist."""
    org = payment.organization.slug
    try:
        return reverse("payment_detail", kwargs={"org": org, "pk": payment.pk})
    except NoReverseMatch:
        return reverse("ticket_detail", kwargs={"org": org, "pk": payment.ticket_id})


def _refund_purpose(request: HttpRequest, org: str, pk: int) -> str:
    """The password page's sentence before a refund, for a payment the person may refund
    (404 or 403 otherwise, as the refund view: the page then says nothing of it)."""
    user = signed_in_user(request)
    membership = next((m for m in memberships_of(user) if m.organization.slug == org), None)
    if membership is None:
        raise Http404("No such organization.")
    payment = payment_for(membership=membership, pk=pk, capability=Capability.REFUND_PAYMENT)
    sentence = conditional_escape(_("Enter your password to refund %(number)s (%(amount)s)."))
    return mark_safe(  # noqa: S308 - the sentence and the amount are escaped
        sentence
        % {
            "number": format_html('<span class="text-nowrap">{}</span>', payment.display_number),
            "amount": format_html(
                '<span class="text-nowrap">{}</span>',
                format_money(payment.amount_cents, payment.currency),
            ),
        }
    )


@reauthentication_purpose(_refund_purpose)
@require_http_methods(["GET", "POST"])
@organization_view()
def payment_refund(request: OrganizationRequest, pk: int) -> HttpResponse:
    """404 outside what the member sees (another organization, a manager's other teams), 403
    for those who only see it (an advisor of the team sees the payment on the ticket)."""
    payment = payment_for(
        membership=request.membership,
        pk=pk,
        capability=Capability.REFUND_PAYMENT,
        queryset=PaymentRequest.objects.select_related("organization", "team", "ticket"),
    )
    return _refund(request, payment)


@recent_password_required
def _refund(request: OrganizationRequest, payment: PaymentRequest) -> HttpResponse:
    if request.method == "POST":
        return _perform(request, payment)
    reason = refunds_services.refund_unavailable(payment)
    return render(
        request,
        "payments/refund_confirm.html",
        _context(payment, reason),
        status=200 if not reason else 409,
    )


def _perform(request: OrganizationRequest, payment: PaymentRequest) -> HttpResponse:
    amount = format_money(payment.amount_cents, payment.currency)
    try:
        refund = refunds_services.refund_request(
            payment=payment,
            actor=request.membership.user,
        )
    except ValidationError as exc:
        messages.warning(request, " ".join(exc.messages))
    except GatewayError as exc:
        messages.error(
            request,
            gateway_message(
                _("Stripe refused the refund: %(e)s Nothing was refunded; you may try again."),
                exc,
            ),
        )
    else:
        if refund.status == refund.Status.SUCCEEDED:
            text = _("Refunded %(amount)s to %(card)s.")
        elif refund.status == refund.Status.FAILED:
            text = _("The refund of %(amount)s failed: %(reason)s")
        else:
            text = _(
                "Refund of %(amount)s to %(card)s sent to Stripe. It shows as Refunded here "
                "once Stripe confirms it."
            )
        messages.success(
            request,
            text % {"amount": amount, "card": card_label(payment), "reason": refund.failure_reason},
        )
    return redirect(payment_page(payment))


def _context(payment: PaymentRequest, reason: str) -> dict[str, Any]:
    currency = payment.currency
    fee_returned = settings.REFUND_APPLICATION_FEE
    return {
        "payment": payment,
        "unavailable": reason,
        "amount": format_money(payment.amount_cents, currency),
        "card": card_label(payment),
        "fee": format_money(payment.fee_cents, currency),
        "fee_returned": fee_returned,
        "dealership_ends_at": format_money(0 if fee_returned else -payment.fee_cents, currency),
        "back": payment_page(payment),
        "org": payment.organization.slug,
    }
