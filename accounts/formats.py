"""Amounts as people read them, in the reader's language: "$1,234.56" in English,
"1 234,56 $" in Canadian French, "1 234,56 $ US" where a Québec reader would take a bare "$"
for Canadian dollars. The patterns, separators and currency symbols are CLDR's (Babel); money
stays integer cents underneath, and only what is shown changes.

Every amount shown to a person, in a page, an e-mail or a text, goes through ``format_money``;
files carry plain decimals (``payments.money.decimal_string``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, format_decimal, get_decimal_symbol, get_group_symbol
from django.utils.translation import get_language

# The CLDR locale whose formats each language writes: the region its readers live in.
FORMAT_LOCALES = {
    "en": "en_US",
    "fr-ca": "fr_CA",
    "es": "es_US",
    "de": "de_DE",
    "it": "it_IT",
    "pl": "pl_PL",
    "pt-br": "pt_BR",
}
# Where a currency is at home, its readers' own locale writes it without a country mark:
# Canadian dollars read "$1,234.56" in Canada's English, not "CA$1,234.56".
HOME_LOCALES = {("en", "cad"): "en_CA"}

_PROBE = Decimal("1111111.11")  # every digit group, and the decimal part


def format_locale(language: str | None = None) -> str:
    """The CLDR locale for ``language`` (the active one by default): "fr-ca" → "fr_CA"; a
    language without formats of its own (or a regional variant such as "en-gb") reads as its
    base language's, else English."""
    code = (language or get_language() or "en").lower()
    return FORMAT_LOCALES.get(code) or FORMAT_LOCALES.get(code.split("-")[0], "en_US")


@dataclass(frozen=True)
class _Pattern:
    """A locale's way of writing one currency: what goes before and after the number, for
    positive and negative amounts, and its separators."""

    positive: tuple[str, str]
    negative: tuple[str, str]
    group: str
    decimal: str

    def write(self, cents: int) -> str:
        units, rest = divmod(abs(cents), 100)
        number = f"{units:,}".replace(",", self.group) + f"{self.decimal}{rest:02d}"
        before, after = self.negative if cents < 0 else self.positive
        return f"{before}{number}{after}"


def _spaced(before: str, after: str) -> tuple[str, str]:
    """CLDR's currency spacing, which Babel leaves out: a symbol made of letters ("CAD")
    keeps a no-break space from the digits, so "CAD1,234.56" reads "CAD 1,234.56"."""
    if before and before[-1].isalpha():
        before += "\u00a0"
    if after and after[0].isalpha():
        after = "\u00a0" + after
    return before, after


@lru_cache(maxsize=64)
def _pattern(locale: str, currency: str) -> _Pattern:
    """Babel formats one probe amount; its number is cut out, and what is left around it is
    the pattern (formatting each amount through Babel costs 20 µs, and a page of the Payments
    tab formats hundreds). Currency "": the number alone."""
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    if not currency:
        return _Pattern(positive=("", ""), negative=("-", ""), group=group, decimal=decimal)
    number = format_decimal(_PROBE, format="#,##0.00", locale=locale)
    parts = []
    for value in (_PROBE, -_PROBE):
        before, found, after = format_currency(value, currency.upper(), locale=locale).partition(
            number
        )
        if not found:  # pragma: no cover - CLDR writes the number whole in every locale
            raise ValueError(f"{locale} writes {currency} in a way this formatter cannot read")
        parts.append(_spaced(before, after))
    return _Pattern(positive=parts[0], negative=parts[1], group=group, decimal=decimal)


def money_locale(currency: str, language: str | None = None) -> str:
    """The CLDR locale an amount in ``currency`` is written in for a reader of ``language``."""
    code = (language or get_language() or "en").lower()
    return HOME_LOCALES.get((code.split("-")[0], currency.lower())) or format_locale(code)


def format_money(amount_cents: int, currency: str, language: str | None = None) -> str:
    """``123456, "usd"`` → "$1,234.56" (English), "1 234,56 $ US" (Canadian French),
    "1.234,56 $" (German); negative amounts keep their sign in front. ``currency`` "" writes
    the number alone."""
    locale = money_locale(currency, language)
    return _pattern(locale, currency.lower()).write(int(amount_cents))


def format_number(amount_cents: int, language: str | None = None) -> str:
    """The amount without a currency, as the reader types it: "1,234.56", "1 234,56"."""
    return _pattern(format_locale(language), "").write(int(amount_cents))


def number_symbols(language: str | None = None) -> tuple[str, str]:
    """(decimal, group) separators of the reader's numbers: (".", ","), (",", " ")."""
    locale = format_locale(language)
    return get_decimal_symbol(locale), get_group_symbol(locale)
