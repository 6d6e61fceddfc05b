from django import template

from accounts.formats import format_money

register = template.Library()


@register.filter
def money(amount_cents, currency):
    """``{{ payout.amount_cents|money:payout.currency }}``"""
    if amount_cents is None:
        return ""
    return format_money(amount_cents, currency or "")
