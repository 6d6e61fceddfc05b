from django import template

from accounts.formats import format_money, format_number

register = template.Library()


@register.filter
def money(amount_cents, currency):
    """``{{ payout.amount_cents|money:payout.currency }}``"""
    if amount_cents is None:
        return ""
    return format_money(amount_cents, currency or "")


@register.filter
def number(amount_cents):
    """``{{ cents|number }}`` → "1,234.56", "1 234,56": an amount whose currency a table's
    heading names."""
    if amount_cents is None:
        return ""
    return format_number(amount_cents)
