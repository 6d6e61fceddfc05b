"""``{% load reauthentication %}``: the confirmation page's sentence (accounts.decorators)."""

from django import template

from accounts.decorators import reauthentication_sentence

register = template.Library()


@register.simple_tag(takes_context=True)
def reauthentication_purpose(context) -> str:
    """``{% reauthentication_purpose %}`` → "Enter your password to refund R-000123 ($482.50).",
    from the page's ``next`` URL (allauth's ``redirect_field_value``)."""
    return reauthentication_sentence(context["request"], context.get("redirect_field_value"))
