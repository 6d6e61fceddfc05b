"""Amounts as each language writes them (accounts.formats): CLDR's patterns through Babel,
integer cents underneath."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from django.template import Context, Template
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from accounts.formats import FORMAT_LOCALES, format_money, format_number, money_locale

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "usd", "cad"),
    [
        ("en", "$1,234.56", "$1,234.56"),  # a Canadian dealership reads its own dollars bare
        ("fr-ca", f"1{NBSP}234,56{NBSP}${NBSP}US", f"1{NBSP}234,56{NBSP}$"),
        ("es", "$1,234.56", f"CAD{NBSP}1,234.56"),
        ("de", f"1.234,56{NBSP}$", f"1.234,56{NBSP}CA$"),
        ("it", f"1.234,56{NBSP}USD", f"1.234,56{NBSP}CA$"),
        ("pl", f"1{NBSP}234,56{NBSP}USD", f"1{NBSP}234,56{NBSP}CAD"),
        ("pt-br", f"US${NBSP}1.234,56", f"CA${NBSP}1.234,56"),
    ],
)
def test_each_language_writes_dollars_so_they_cannot_be_mistaken(language, usd, cad):
    assert format_money(123_456, "usd", language) == usd
    assert format_money(123_456, "cad", language) == cad


def test_the_active_language_writes_by_default_and_the_template_filter_follows_it():
    template = Template("{% load money %}{{ cents|money:'usd' }}")
    with override("fr-ca"):
        assert format_money(-500, "usd") == f"-5,00{NBSP}${NBSP}US"
        assert template.render(Context({"cents": 5_000_000})) == f"50{NBSP}000,00{NBSP}${NBSP}US"
    with override("en"):
        assert template.render(Context({"cents": 5})) == "$0.05"


def test_a_number_without_currency_reads_as_the_reader_types_it():
    assert format_number(123_456, "en") == "1,234.56"
    assert format_number(123_456, "fr-ca") == f"1{NBSP}234,56"
    assert format_number(-7, "de") == "-0,07"


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(sorted(FORMAT_LOCALES)),
    st.sampled_from(["usd", "cad"]),
)
def test_every_amount_reads_as_babel_writes_it(cents, language, currency):
    """The pattern cut from one of Babel's amounts writes every amount as Babel itself does
    (only CLDR's space between a lettered symbol and the digits, which Babel leaves out, is
    added)."""
    expected = format_currency(
        Decimal(cents).scaleb(-2), currency.upper(), locale=money_locale(currency, language)
    )
    written = format_money(cents, currency, language)
    assert written.replace(NBSP, "") == expected.replace(NBSP, "")
    assert written.startswith(expected[0])
