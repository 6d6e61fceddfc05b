"""Instants as people read them: local time in a zone, in the reader's language, always
followed by the zone the instant is in ("1:30 AM CDT", then "1:30 AM CST" an hour later on the
day daylight saving ends; "13 h 30 HNE" in Canadian French).

Django's ``T`` format prints nothing for the repeated hour, so every time shown to a person,
in a page, an e-mail or a file, goes through ``local_time``, and every day through
``local_date``. The patterns, month and weekday names and zone names are CLDR's (Babel), for
the locale of the active language (``accounts.formats.format_locale``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, get_timezone_name
from django.utils import timezone

from accounts.formats import format_locale

LONG = "long"  # "Nov 1, 2026, 1:30 AM CST"
SHORT = "short"  # "Nov 1, 1:30 AM CST"

# Days: CLDR skeletons (the fields a day is written with; each locale orders and spells them).
DAY_STYLES = {
    "short": "yMMMd",  # Nov 3, 2026 · 3 nov. 2026
    "weekday": "yMMMEd",  # Tue, Nov 3, 2026 · mar. 3 nov. 2026
    "month_day": "MMMd",  # Nov 3 · 3 nov.
    "full": "",  # Tuesday, November 3, 2026 · mardi 3 novembre 2026
}


@dataclass(frozen=True)
class _Patterns:
    locale: Locale
    days: dict[str, DateTimePattern]
    clock: DateTimePattern
    joined: str  # "{1}, {0}": the day, then the time


@lru_cache(maxsize=16)
def _patterns(locale: str) -> _Patterns:
    """A locale's patterns, parsed once (Babel parses a pattern each time it is given one,
    and a page of the Payments tab writes a hundred times)."""
    cldr = Locale.parse(locale)
    return _Patterns(
        locale=cldr,
        days={
            style: cldr.datetime_skeletons[skeleton] if skeleton else cldr.date_formats["full"]
            for style, skeleton in DAY_STYLES.items()
        },
        clock=cldr.time_formats["short"],
        joined=str(cldr.datetime_formats["medium"]),
    )


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
    """The name the reader's language gives the instant's zone ("CST", "CDT", "HNC" in
    Canadian French), else its abbreviation ("CST", "UTC"), else its UTC offset ("UTC-03:00")
    where the zone's database gives only a number. Without a zone, the zone the aware
    datetime already carries."""
    local = value.astimezone(as_zone(zone)) if zone is not None else value
    abbreviation = local.tzname() or ""
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    key = (format_locale(), getattr(local.tzinfo, "key", ""), abbreviation, minutes)
    label = _ZONE_LABELS.get(key)
    if label is None:
        label = _ZONE_LABELS[key] = _zone_name(local, key[0], abbreviation, minutes)
    return label


# By locale, zone, abbreviation and offset: what the label depends on, looked up once each.
_ZONE_LABELS: dict[tuple[str, str, str, int], str] = {}


def _zone_name(local: datetime, locale: str, abbreviation: str, minutes: int) -> str:
    if abbreviation != "UTC":
        named = get_timezone_name(local, "short", locale=locale)
        if named.isalpha():  # CLDR's own name; otherwise an offset it made up ("-0500")
            return named
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_time(value: datetime | None, zone: tzinfo | str | None = None, fmt: str = LONG) -> str:
    """ "Nov 1, 2026, 1:30 AM CST": the instant in the zone, in the reader's language, with
    (``LONG``) or without (``SHORT``) its year, followed by its zone label."""
    if value is None:
        return ""
    local = value.astimezone(as_zone(zone))
    return f"{_formatted(local, fmt)} {zone_label(local)}"


def _formatted(local: datetime, fmt: str) -> str:
    locale = format_locale()
    day = _day(locale, "short" if fmt == LONG else "month_day", local.date())
    clock = _clock(locale, local.hour, local.minute)
    return _patterns(locale).joined.replace("{1}", day).replace("{0}", clock)


# Each day and each minute of the clock is written once per locale and process: a page of the
# Payments tab writes a hundred times, mostly the same few days (Babel takes 4 µs a field).
@lru_cache(maxsize=4096)
def _day(locale: str, style: str, day: date) -> str:
    patterns = _patterns(locale)
    return patterns.days[style].apply(day, patterns.locale)


@lru_cache(maxsize=4096)
def _clock(locale: str, hour: int, minute: int) -> str:
    patterns = _patterns(locale)
    return patterns.clock.apply(datetime(2000, 1, 1, hour, minute), patterns.locale)


def local_date(value: date | datetime | None, style: str = "short") -> str:
    """A day in the reader's language: ``style`` one of DAY_STYLES ("Nov 3, 2026",
    "Tue, Nov 3, 2026", "Nov 3", "Tuesday, November 3, 2026"). A datetime is first taken to
    the active zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.get_current_timezone()).date()
    return _day(format_locale(), style, value)
