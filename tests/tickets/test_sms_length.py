"""SMS length: how many segments a text is billed as (tickets/sms_length.py), and the payment
text and its reminder measured in each of the seven customer languages at their longest: a
40-character dealership name, the largest amount allowed written in that language, a long
description and the real link (our public page with its token).

The texts stay within 2 GSM-7 segments wherever the language's wording allows it. Polish
can't: every Polish word for paying has ł or ś, which GSM-7 lacks, so its texts go as UCS-2
(67 units a segment), and the link, name and amount alone nearly fill two."""

from __future__ import annotations

import secrets

import pytest

from accounts.languages import CUSTOMER_LANGUAGES
from payments.models import PaymentRequest
from payments.money import MAX_AMOUNT_CENTS
from payments.requests.services import request_sms_body
from teams.models import Organization
from tickets.models import Customer, Ticket
from tickets.sms_length import GSM_7, UCS_2, SmsLength, plain_spaces, sms_length

# The worst case a dealership really texts.
DEALERSHIP = "Lakeshore Chevrolet Buick GMC of Toronto"  # 40 characters
DESCRIPTION = "Front brake pads and rotors, oil change, RO 448812"  # 50 characters
SITE_URL = "https://pay.example.com"  # README: the public address the links start with

# Language → (encoding, segments of the payment text, segments of the reminder), measured
# below; the README's "Languages" section states it.
EXPECTED = {
    "en": (GSM_7, 2, 2),
    "fr-ca": (GSM_7, 2, 2),
    "es": (GSM_7, 2, 2),
    "de": (GSM_7, 2, 2),
    "it": (GSM_7, 2, 2),
    "pl": (UCS_2, 3, 4),
    "pt-br": (GSM_7, 2, 2),
}


def test_every_customer_language_has_its_measure():
    assert set(EXPECTED) == set(CUSTOMER_LANGUAGES)


# The counting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsLength(GSM_7, 0, 1)),
        ("a" * 160, SmsLength(GSM_7, 160, 1)),
        ("a" * 161, SmsLength(GSM_7, 161, 2)),
        ("a" * 306, SmsLength(GSM_7, 306, 2)),
        ("a" * 307, SmsLength(GSM_7, 307, 3)),
        # GSM 03.38 has é è ù ì ò à Ç ä ö ü ñ ß …: still GSM-7
        ("Réparé à Montréal", SmsLength(GSM_7, 17, 1)),
        ("Ç ü ñ ß Ä ¿ ¡ £ ¥", SmsLength(GSM_7, 17, 1)),
        # an extension character takes an escape and itself
        ("€" * 80, SmsLength(GSM_7, 160, 1)),
        ("{[~^|\\]}", SmsLength(GSM_7, 16, 1)),
        # … and never straddles two segments: 152 + 2 doesn't fit in 153
        ("a" * 152 + "€" + "a" * 10, SmsLength(GSM_7, 164, 2)),
        ("a" * 152 + "€" + "a" * 152, SmsLength(GSM_7, 306, 3)),
        # one character outside it sends the whole text as UCS-2
        ("ł" * 70, SmsLength(UCS_2, 70, 1)),
        ("ł" * 71, SmsLength(UCS_2, 71, 2)),
        ("ł" * 134, SmsLength(UCS_2, 134, 2)),
        ("ł" * 135, SmsLength(UCS_2, 135, 3)),
        ("a" * 159 + "ç", SmsLength(UCS_2, 160, 3)),  # lower-case ç is not GSM-7
        ("Arrêt", SmsLength(UCS_2, 5, 1)),
        ("50\u00a0000,00\u00a0$", SmsLength(UCS_2, 11, 1)),  # nor is a no-break space
        # an emoji is two UTF-16 units, never split
        ("🚗" * 35, SmsLength(UCS_2, 70, 1)),
        ("a" * 66 + "🚗", SmsLength(UCS_2, 68, 1)),
        ("a" * 66 + "🚗" + "a" * 3, SmsLength(UCS_2, 71, 2)),
        ("a" * 66 + "🚗" + "a" * 66, SmsLength(UCS_2, 134, 3)),
    ],
)
def test_a_text_s_encoding_length_and_segments(text, expected):
    assert sms_length(text) == expected


def test_no_break_spaces_go_as_the_spaces_they_look_like():
    amount = "50\u00a0000,00\u202f$\u00a0US"

    assert plain_spaces(amount) == "50 000,00 $ US"
    assert sms_length(plain_spaces(amount)).encoding == GSM_7
    assert plain_spaces("Płatność: 5 000,00 zł") == "Płatność: 5 000,00 zł"  # letters stay


# The payment text and its reminder, in every customer language ----------------------------


def _texts(language: str, country: str) -> tuple[str, str]:
    organization = Organization(name=DEALERSHIP, country=country, language="en")
    ticket = Ticket(
        organization=organization, customer=Customer(name="Maximilian", language=language)
    )
    payment_request = PaymentRequest(
        organization=organization,
        ticket=ticket,
        amount_cents=MAX_AMOUNT_CENTS,
        currency=organization.currency,
        description=DESCRIPTION,
        token=secrets.token_urlsafe(24),  # as payment_request_create makes it
    )
    return (
        request_sms_body(payment_request),
        request_sms_body(payment_request, reminder=True),
    )


@pytest.mark.parametrize("country", ["US", "CA"])
@pytest.mark.parametrize("language", CUSTOMER_LANGUAGES)
def test_the_payment_text_and_reminder_stay_within_their_segments(settings, language, country):
    settings.SITE_URL = SITE_URL
    text, reminder = _texts(language, country)
    assert len(text.rsplit(" ", 1)[1]) == len(SITE_URL) + len("/p/") + 32 + len("/")
    assert DESCRIPTION in text and text in reminder and text != reminder

    encoding, text_segments, reminder_segments = EXPECTED[language]
    measured = (sms_length(text), sms_length(reminder))

    assert [m.encoding for m in measured] == [encoding, encoding], (text, reminder)
    assert [m.segments for m in measured] == [text_segments, reminder_segments], measured
    if encoding == GSM_7:
        assert max(m.segments for m in measured) <= 2
