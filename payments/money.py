"""Money is integer minor units plus a currency code. One place formats it."""

from __future__ import annotations

SYMBOLS = {"usd": "$", "cad": "$"}


def format_money(amount_cents: int, currency: str) -> str:
    """``123456, "usd"`` → ``$1,234.56 USD``; negative amounts keep their sign in front."""
    sign = "-" if amount_cents < 0 else ""
    units, cents = divmod(abs(int(amount_cents)), 100)
    symbol = SYMBOLS.get(currency.lower(), "")
    return f"{sign}{symbol}{units:,}.{cents:02d} {currency.upper()}"
