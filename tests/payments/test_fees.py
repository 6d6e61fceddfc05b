"""Rule 10's fee and the amount parser: integer cents only, at every edge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payments.money import (
    MAX_AMOUNT_CENTS,
    MIN_AMOUNT_CENTS,
    AmountError,
    parse_amount,
    platform_fee,
)

amounts = st.integers(min_value=MIN_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS)


def reference_fee(amount_cents: int) -> int:
    """The rule written with Decimal: 3.25% rounded half up to the cent, plus 30 cents."""
    from decimal import ROUND_HALF_UP

    percent = (Decimal(amount_cents) * Decimal("0.0325")).quantize(Decimal("1"), ROUND_HALF_UP)
    return int(percent) + 30


@given(amounts)
@settings(max_examples=2000)
@example(MIN_AMOUNT_CENTS)
@example(MAX_AMOUNT_CENTS)
def test_fee_plus_net_is_gross_for_every_amount(amount):
    fee = platform_fee(amount)
    net = amount - fee
    assert fee + net == amount
    assert isinstance(fee, int)
    assert 0 < fee < amount or amount < 40  # 50 cents: fee 32, still below the amount
    assert fee == reference_fee(amount)


def test_fee_matches_decimal_everywhere_exhaustively_on_a_stretch():
    assert all(platform_fee(a) == reference_fee(a) for a in range(50, 20_050))


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (50, 32),  # 1.625 → 2
        (200, 37),  # 6.5 → 7 (half up)
        (600, 50),  # 19.5 → 20
        (599, 49),  # 19.4675 → 19
        (10_000, 355),  # $100: $3.25 + $0.30
        (123_456, 4042),  # 4012.32 → 4012
        (5_000_000, 162_530),  # $50,000: $1,625.00 + $0.30
        (1_000, 63),  # 32.5 → 33
        (1_400, 76),  # 45.5 → 46
        (1_399, 75),  # 45.4675 → 45
    ],
)
def test_rounding_edges(amount, fee):
    assert platform_fee(amount) == fee


@given(st.integers(min_value=0, max_value=10**9))
def test_half_cent_boundaries_round_up(amount):
    exact = Decimal(amount * 325) / Decimal(10_000)
    fee = platform_fee(amount) - 30
    assert fee - exact <= Decimal("0.5") and exact - fee < Decimal("0.5")


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True])
def test_fee_refuses_non_cents(bad):
    with pytest.raises(ValueError):
        platform_fee(bad)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1,234.56", 123_456),
        ("$1,234.56", 123_456),
        ("1234.56", 123_456),
        ("  75 ", 7_500),
        ("0.50", 50),
        ("0.5", 50),
        ("50,000.00", 5_000_000),
        ("$50,000", 5_000_000),
        ("19.90", 1_990),
        ("1,234.56 USD", 123_456),
    ],
)
def test_parse_amount(typed, cents):
    assert parse_amount(typed, "usd") == cents


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "0.49",
        "50,000.01",
        "1.234",  # three decimals
        "1.001",
        "-5",
        "-0.50",
        "+5",
        "1e3",
        "NaN",
        "Infinity",
        "0.1 + 0.2",
        "12,34.00",
        "1,2345",
        "1.2.3",
        ".",
        "$",
        "0.30000000000000004",  # a float artefact
    ],
)
def test_parse_amount_refuses(typed):
    with pytest.raises(AmountError):
        parse_amount(typed, "usd")


@given(amounts)
def test_parse_amount_reads_back_what_format_writes(amount):
    units, cents = divmod(amount, 100)
    assert parse_amount(f"${units:,}.{cents:02d}", "usd") == amount
    assert parse_amount(f"{units}.{cents:02d}", "cad") == amount


@given(st.floats(min_value=0.5, max_value=50_000, allow_nan=False).map(repr))
def test_parse_amount_never_answers_a_rounded_float(text):
    """A float's repr with more than two decimals is refused, never rounded."""
    try:
        cents = parse_amount(text, "usd")
    except AmountError:
        assert len(text.split(".")[-1]) > 2 or "e" in text
    else:
        assert Decimal(text) * 100 == cents


@pytest.mark.parametrize(
    "typed",
    [
        "\u0661\u0662\u0663",  # Arabic-Indic digits
        "\u06f1\u06f2\u06f3.\u06f4\u06f5",  # Extended Arabic-Indic (Persian) digits
        "\uff11\uff12\uff13",  # full-width digits
        "1\uff123.00",  # one full-width digit among ASCII ones
        "\u0967\u0968\u0969",  # Devanagari digits
        "12\u066b50",  # Arabic decimal separator
    ],
)
def test_parse_amount_refuses_other_scripts_digits_with_a_sentence(typed):
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, "usd")
    assert "digits 0 to 9" in str(refused.value) or "like 1,234.56" in str(refused.value)


def test_search_reads_no_other_scripts_digits_as_an_amount_or_number():
    from payments.ledger.selectors import _AMOUNT, _DISPLAY_NUMBER

    assert _AMOUNT.match("\u0661\u0662\u0663") is None and _AMOUNT.match("123")
    assert _DISPLAY_NUMBER.match("R-\u0661\u0662\u0663") is None and _DISPLAY_NUMBER.match(
        "R-000123"
    )


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1 234,56", 123_456),
        ("1\u00a0234,56 $", 123_456),
        ("1\u202f234,56 $ US", 123_456),
        ("75,50", 7_550),
        ("75.50", 7_550),  # a point is a decimal point too where no one groups with it
        ("75", 7_500),
        ("50 000 $", 5_000_000),
    ],
)
def test_parse_amount_reads_canadian_french(typed, cents):
    assert parse_amount(typed, "usd", "fr-ca") == cents


@pytest.mark.parametrize("typed", ["1,234.56", "1,234", "12 34,00", "1 234.567"])
def test_parse_amount_refuses_what_canadian_french_would_misread(typed):
    with pytest.raises(AmountError) as refused:
        parse_amount(typed, "usd", "fr-ca")
    assert "1\u00a0234,56" in str(refused.value)


def test_parse_amount_explains_itself_in_the_reader_s_language():
    from django.utils.translation import override

    with override("fr-ca"), pytest.raises(AmountError) as low:
        parse_amount("0,10", "cad")
    assert "0,50\u00a0$" in str(low.value) and "Enter" not in str(low.value)
