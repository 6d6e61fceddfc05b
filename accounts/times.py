"""Instants as people read them: local time in a zone, always followed by the zone the instant
is in ("1:30 AM CDT", then "1:30 AM CST" an hour later on the day daylight saving ends).

Django's ``T`` format prints nothing for the repeated hour, so every time shown to a person,
in a page, an e-mail or a file, goes through ``local_time``."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext

LONG = "M j, Y, g:i A"
SHORT = "M j, g:i A"


def as_zone(zone: tzinfo | str | None) -> tzinfo:
    """A zone from a ZoneInfo, its name, or None for the active one."""
    if zone is None or zone == "":
        return timezone.get_current_timezone()
    if isinstance(zone, str):
        return UTC if zone == "UTC" else ZoneInfo(zone)
    if not isinstance(zone, ZoneInfo) and hasattr(zone, "key"):
        return ZoneInfo(str(zone))
    return zone


def zone_label(value: datetime, zone: tzinfo | str | None = None) -> str:
    """The abbreviation the instant has in the zone ("CST", "CDT", "UTC"), or its UTC offset
    ("UTC-03:00") where the zone's database gives only a number. Without a zone, the zone
    the aware datetime already carries."""
    local = value.astimezone(as_zone(zone)) if zone is not None else value
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_time(value: datetime | None, zone: tzinfo | str | None = None, fmt: str = LONG) -> str:
    """ "Nov 1, 2026, 1:30 AM CST": the instant in the zone, in Django's date format ``fmt``
    (a format without a zone), followed by its zone label."""
    if value is None:
        return ""
    local = value.astimezone(as_zone(zone))
    return f"{_formatted(local, fmt)} {zone_label(local)}"


_MERIDIEMS: dict[str | None, tuple[str, str]] = {}


def _meridiem() -> tuple[str, str]:
    """("AM", "PM") in the active language, translated once per language and process."""
    language = get_language()
    pair = _MERIDIEMS.get(language)
    if pair is None:
        pair = _MERIDIEMS[language] = (gettext("AM"), gettext("PM"))
    return pair


def _formatted(local: datetime, fmt: str) -> str:
    """``date_format(local, fmt)``, written directly for LONG and SHORT: what Django's
    format characters M, j, Y, g, i and A give, with the same translated month and AM/PM
    (a page of the Payments tab formats a hundred times; DateFormat costs 40 µs each)."""
    if fmt not in (LONG, SHORT):
        return date_format(local, fmt)
    month = MONTHS_3[local.month].title()
    clock = f"{local.hour % 12 or 12}:{local.minute:02d} {_meridiem()[local.hour > 11]}"
    if fmt == LONG:
        return f"{month} {local.day}, {local.year}, {clock}"
    return f"{month} {local.day}, {clock}"
