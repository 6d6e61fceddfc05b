"""Money is integer minor units plus a currency code: files carry it as plain decimals, people
type it in their language (``parse_amount``) and read it through ``accounts.formats``."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from accounts.formats import format_money, format_number, number_symbols


def decimal_string(cents: int | None) -> str:
    """``123456`` → ``"1234.56"``, ``-5`` → ``"-0.05"``, ``None`` → ``""``: the amount as files
    carry it. Integer arithmetic, no floats."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{rest:02d}"


# Payment requests -------------------------------------------------------------------------

MIN_AMOUNT_CENTS = 50  # Stripe's minimum charge: 0.50 USD / CAD
MAX_AMOUNT_CENTS = 5_000_000  # our own maximum: 50,000.00 per request
MAX_TOTAL_CENTS = 100 * MAX_AMOUNT_CENTS  # a repair order's (a deposit, then the rest)
FEE_BASIS_POINTS_X100 = 325  # 3.25 %, in hundredths of a percent
FEE_FIXED_CENTS = 30


def platform_fee(amount_cents: int) -> int:
    """Our application fee: 3.25% of the amount rounded half up to the cent, plus
    30 cents. Integer arithmetic only: ``amount * 325 / 10000`` rounded half up."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValueError("The amount is a non-negative number of cents.")
    return (amount_cents * FEE_BASIS_POINTS_X100 + 5000) // 10000 + FEE_FIXED_CENTS


DIGITS = frozenset("0123456789")
SPACES = frozenset(" \u00a0\u202f\u2009")  # what people and CLDR group digits with


class AmountError(ValueError):
    """Text that is not an acceptable amount; the message is fit to show the person."""


def _affixes(currency: str) -> re.Pattern[str]:
    """The currency's marks a person may type around the number: "$", "US$", "$ US", "USD"."""
    code = re.escape(currency.upper())
    country = re.escape(currency.upper()[:2])
    mark = rf"(?:{country}\s?\$|\$\s?{country}|\$|{code})"
    return re.compile(rf"^\s*{mark}?\s*(?P<number>.*?)\s*{mark}?\s*$", re.IGNORECASE | re.DOTALL)


def parse_amount(
    text: str,
    currency: str | None = None,
    language: str | None = None,
    *,
    maximum: int = MAX_AMOUNT_CENTS,
) -> int:
    """An amount as typed in the reader's language (``1,234.56``, ``$1,234.56`` or ``75`` in
    English; ``1 234,56 $`` or ``75,50`` in Canadian French) to integer cents.

    ASCII digits only: other scripts' digits (Arabic-Indic, full-width …) are refused, not
    read as if they were 0-9. The decimal separator is the language's; a point is read as one
    too where the language does not group digits with it. Groups of three, never floats; at
    most two decimals; between 0.50 and ``maximum`` (50,000.00, a request's)."""
    decimal, group = number_symbols(language)
    example = format_number(123456, language)
    malformed = AmountError(_("Enter the amount, like %(example)s.") % {"example": example})
    matched = _affixes(currency or "usd").match(text or "")
    raw = matched.group("number") if matched else (text or "").strip()
    if not raw:
        raise malformed
    if any(c.isdigit() and c not in DIGITS for c in raw):
        raise AmountError(
            _("Type the amount with the digits 0 to 9, like %(example)s.") % {"example": example}
        )
    if raw.startswith(("-", "+", "\u2212")):
        raise AmountError(_("Enter an amount greater than zero."))
    decimals = {decimal} | ({"."} if group != "." else set())
    groups = ({group} | SPACES) - decimals
    whole, fraction = raw, ""
    for index in range(len(raw) - 1, -1, -1):
        if raw[index] in decimals:
            whole, fraction = raw[:index], raw[index + 1 :]
            break
    separators = {c for c in whole if c in groups}
    if len(separators) > 1 or not all(c in DIGITS for c in fraction):
        raise malformed
    if separators:
        parts = whole.replace(separators.pop(), ",").split(",")
        if not parts[0] or len(parts[0]) > 3 or any(len(g) != 3 for g in parts[1:]):
            raise malformed
        whole = "".join(parts)
    if not all(c in DIGITS for c in whole) or not (whole or fraction):
        raise malformed
    if len(fraction) > 2:
        raise AmountError(
            _("Enter whole cents: at most two decimals, like %(example)s.") % {"example": example}
        )
    cents = int(whole or "0") * 100 + int(fraction.ljust(2, "0") or "0")
    if cents < MIN_AMOUNT_CENTS:
        least = format_money(MIN_AMOUNT_CENTS, currency or "usd", language)
        raise AmountError(_("Enter at least %(amount)s.") % {"amount": least})
    if cents > maximum:
        most = format_money(maximum, currency or "usd", language)
        raise AmountError(_("Enter at most %(amount)s.") % {"amount": most})
    return cents
