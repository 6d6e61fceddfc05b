"""One English word, several things: each use has its context, so each language can use the
word its noun needs (locale/GLOSSARY.md)."""

from __future__ import annotations

import pytest
from django.utils import translation

from payments.badges import STATUS_BADGES, request_badge
from payments.models import PaymentRequest, WebhookEvent
from teams.roles import Role
from tickets.models import EVENT_LABELS

LANGUAGES = ["fr-ca", "es", "de", "it", "pl", "pt-br"]


def in_language(language, text):
    with translation.override(language):
        return str(text)


@pytest.mark.parametrize(
    ("language", "role", "tab"),
    [
        ("en", "Admin", "Admin"),
        ("fr-ca", "Administrateur", "Administration"),
        ("es", "Administrador", "Administración"),
        ("de", "Administrator", "Verwaltung"),
        ("it", "Amministratore", "Amministrazione"),
        ("pl", "Administrator", "Administracja"),
        ("pt-br", "Administrador", "Administração"),
    ],
)
def test_the_admin_role_and_the_admin_tab_are_two_words(language, role, tab):
    with translation.override(language):
        assert str(Role.ADMIN.label) == role
        assert translation.pgettext("tab", "Admin") == tab


@pytest.mark.parametrize("language", LANGUAGES)
def test_stripe_connect_keeps_its_name_while_the_button_says_connect(language):
    assert in_language(language, WebhookEvent.Endpoint.CONNECT.label) == "Connect"
    with translation.override(language):
        assert translation.pgettext("button", "Connect") != "Connect"


@pytest.mark.parametrize(
    ("language", "payment", "of_request", "payout"),
    [
        ("fr-ca", "Payé", "Payée", "Payé"),
        ("es", "Pagado", "Pagada", "Pagado"),
        ("it", "Pagato", "Pagata", "Pagato"),
        ("pt-br", "Pago", "Paga", "Pago"),
        ("de", "Bezahlt", "Bezahlt", "Ausgezahlt"),
        ("pl", "Opłacono", "Opłacono", "Wypłacono"),
    ],
)
def test_paid_agrees_with_the_payment_the_request_or_the_payout(
    language, payment, of_request, payout
):
    paid = PaymentRequest(status=PaymentRequest.Status.PAID)
    with translation.override(language):
        assert str(STATUS_BADGES[PaymentRequest.Status.PAID].label) == payment  # Payments tab
        assert str(EVENT_LABELS["payment_request.paid"]) == payment  # the ticket's timeline
        assert str(request_badge(paid).label) == of_request  # the ticket's list of requests
        assert str(PaymentRequest.Status.PAID.label) == of_request
        assert translation.pgettext("payout", "Paid") == payout


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_settled_request_s_badges_all_agree_with_the_request(language):
    """The ticket's list shows the request's own status labels, the Payments tab the
    payment's: in Spanish "Cancelada" there, "Cancelado" here."""
    with translation.override(language):
        for status in ("paid", "refunded", "disputed", "cancelled"):
            badge = request_badge(PaymentRequest(status=status))
            assert str(badge.label) == str(PaymentRequest.Status(status).label)
            assert badge.tone == STATUS_BADGES[status].tone
    with translation.override("es"):
        assert str(request_badge(PaymentRequest(status="cancelled")).label) == "Cancelada"
        assert str(STATUS_BADGES["cancelled"].label) == "Cancelado"
