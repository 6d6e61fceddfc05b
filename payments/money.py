"""Money is integer minor units plus a currency code. One place formats it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SYMBOLS = {"usd": "$", "cad": "$"}


def decimal_string(cents: int | None) -> str:
    """``123456`` → ``"1234.56"``, ``-5`` → ``"-0.05"``, ``None`` → ``""``: the amount as files
    carry it. Integer arithmetic, no floats."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{rest:02d}"


def format_money(amount_cents: int, currency: str) -> str:
    """``123456, "usd"`` → ``$1,234.56 USD``; negative amounts keep their sign in front."""
    sign = "-" if amount_cents < 0 else ""
    units, cents = divmod(abs(int(amount_cents)), 100)
    symbol = SYMBOLS.get(currency.lower(), "")
    return f"{sign}{symbol}{units:,}.{cents:02d} {currency.upper()}"


# Payment requests -------------------------------------------------------------------------

MIN_AMOUNT_CENTS = 50  # Stripe's minimum charge: 0.50 USD / CAD
MAX_AMOUNT_CENTS = 5_000_000  # our own maximum: 50,000.00 per request
FEE_BASIS_POINTS_X100 = 325  # 3.25 %, in hundredths of a percent
FEE_FIXED_CENTS = 30


def platform_fee(amount_cents: int) -> int:
    """Our application fee: 3.25% of the amount rounded half up to the cent, plus
    30 cents. Integer arithmetic only: ``amount * 325 / 10000`` rounded half up."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValueError("The amount is a non-negative number of cents.")
    return (amount_cents * FEE_BASIS_POINTS_X100 + 5000) // 10000 + FEE_FIXED_CENTS


DIGITS = frozenset("0123456789")


class AmountError(ValueError):
    """Text that is not an acceptable amount; the message is fit to show the person."""


def parse_amount(text: str, currency: str | None = None) -> int:
    """Dollars and cents as typed (``1,234.56``, ``$1,234.56``, ``75``) to integer cents.

    ASCII digits, one decimal point and comma thousands separators only: other scripts'
    digits (Arabic-Indic, full-width …) are refused, not read as if they were 0-9. Decimal
    only, never float; at most two decimals; between 0.50 and 50,000.00."""

    symbol = SYMBOLS.get((currency or "").lower(), "$")
    raw = (text or "").strip()
    if currency and raw.upper().endswith(currency.upper()):
        raw = raw[: -len(currency)].strip()
    raw = raw.removeprefix(symbol).strip()
    if not raw:
        raise AmountError("Enter the amount, like 1,234.56.")
    if any(c.isdigit() and c not in DIGITS for c in raw):
        raise AmountError("Type the amount with the digits 0 to 9, like 1,234.56.")
    if raw.startswith(("-", "+")):
        raise AmountError("Enter an amount greater than zero.")
    if "," in raw:
        whole = raw.split(".", 1)[0]
        groups = whole.split(",")
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise AmountError("Enter the amount, like 1,234.56.")
        raw = raw.replace(",", "")
    if not all(c in DIGITS or c == "." for c in raw) or raw.count(".") > 1 or raw == ".":
        raise AmountError("Enter the amount, like 1,234.56.")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - filtered above
        raise AmountError("Enter the amount, like 1,234.56.") from exc
    if "." in raw and len(raw.split(".", 1)[1]) > 2:
        raise AmountError("Enter whole cents: at most two digits after the point.")
    cents = int(value * 100)
    if cents < MIN_AMOUNT_CENTS:
        raise AmountError(f"Enter at least {format_money(MIN_AMOUNT_CENTS, currency or 'usd')}.")
    if cents > MAX_AMOUNT_CENTS:
        raise AmountError(f"Enter at most {format_money(MAX_AMOUNT_CENTS, currency or 'usd')}.")
    return cents
