"""``{% load times %}``: every time shown with the zone its instant is in, every day in the
reader's language (accounts.times)."""

from django import template

from accounts.times import LONG, SHORT, local_date, local_time

register = template.Library()


@register.filter(name="local_time")
def local_time_filter(value, zone=None):
    """``{{ payment.paid_at|local_time:current_organization.time_zone }}`` → "Nov 1, 2026,
    1:30 AM CST"; without a zone, the active one (inside ``{% timezone %}``)."""
    return local_time(value, zone, LONG) if value else ""


@register.filter
def local_time_short(value, zone=None):
    """The same without the year: "Nov 1, 1:30 AM CST"."""
    return local_time(value, zone, SHORT) if value else ""


@register.filter(name="day")
def day_filter(value, style="short"):
    """``{{ report.day|day }}`` → "Nov 3, 2026"; ``|day:"weekday"`` → "Tue, Nov 3, 2026";
    ``|day:"month_day"`` → "Nov 3"; ``|day:"full"`` → "Tuesday, November 3, 2026"."""
    return local_date(value, style)
