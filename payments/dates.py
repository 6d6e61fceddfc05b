"""Days and instants: Stripe's timestamps, the organization's local days and zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from teams.models import Organization


def from_timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _zone(organization: Organization) -> ZoneInfo:
    tz = organization.time_zone
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of ``day`` in ``tz``: 23, 24 or 25 hours apart."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


def previous_local_day(organization: Organization, now: datetime | None = None) -> date:
    """Yesterday, in the organization's zone, at ``now``."""
    now = now or timezone.now()
    return now.astimezone(_zone(organization)).date() - timedelta(days=1)
