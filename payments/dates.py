"""Days and instants: Stripe's timestamps, and the organization's local days and zone.

A dealership's day is its own (zoneinfo: a day around a DST change has 23 or 25 hours); every
filter, report and export of a day goes through ``local_day_bounds``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from django.utils import timezone

from accounts.formats import format_locale
from teams.models import Organization

# Stripe's weekly payout anchors, Monday first (as CLDR and Python number the days).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def from_timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def organization_zone(organization: Organization) -> ZoneInfo:
    tz = organization.time_zone
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def local_day_bounds(
    day: date, tz: ZoneInfo | str, *, through: date | None = None
) -> tuple[datetime, datetime]:
    """The UTC instants [start of ``day``, start of the day after ``through``, or after
    ``day`` itself) in ``tz``: a local day is 23, 24 or 25 hours long, as its clocks say. (UTC,
    because Python subtracts two times of one zone by their wall clocks.)"""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    last = through or day
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def previous_local_day(organization: Organization, now: datetime | None = None) -> date:
    """Yesterday, in the organization's zone, at ``now``."""
    now = now or timezone.now()
    return now.astimezone(organization_zone(organization)).date() - timedelta(days=1)


def weekday_name(anchor: str) -> str:
    """Stripe's weekly anchor ("friday") as the reader's language writes the day inside a
    sentence (CLDR's names: "Friday", "vendredi", "Freitag", "piątek"); an unknown one as is."""
    day = (anchor or "").lower()
    if day not in WEEKDAYS:
        return anchor
    return get_day_names("wide", "format", locale=format_locale())[WEEKDAYS.index(day)]
