"""The product's one look, as markup written in one place: the status badge, the amount and the
time. Templates use them through ``{% load ui %}``; tables written in Python (the Payments
tab's lines) call these functions, so both print the same elements.

- A badge always says its status in words; its tone only adds colour (never colour alone).
- An amount never wraps and has tabular figures; in a table it is right-aligned (``app-num``).
- A time is the local time with its zone, the UTC instant in its ``datetime`` and ``title``.
- A live region polls the server; static/js/app.js swaps an answer only when its version (a
  hash of what it shows) differs from the page's, and then says the region's ``announce``
  sentence once in the page's polite live region: a screen reader hears a change, not a poll.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, tzinfo

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.formats import format_money, format_number
from accounts.times import LONG, local_time

# A tone is what a status means; each has one colour, with enough contrast for its text.
BADGE_TONES = {
    "success": "text-bg-success",
    "danger": "text-bg-danger",
    "warning": "text-bg-warning",
    "info": "text-bg-info",
    "primary": "text-bg-primary",
    "secondary": "text-bg-secondary",
    "neutral": "text-bg-light border",
}


def badge_class(tone: str) -> str:
    return f"badge app-badge {BADGE_TONES.get(tone, BADGE_TONES['neutral'])}"


def badge_html(
    label: object,
    tone: str = "neutral",
    *,
    status: str = "",
    title: str = "",
    id: str = "",
    icon: str = "",
) -> SafeString:
    """``<span class="badge app-badge text-bg-success" data-status="paid">Paid</span>``; an
    ``icon`` (Bootstrap Icons' name) goes before the words, hidden from screen readers."""
    attributes = {"id": id, "data-status": status, "title": title}
    return format_html(
        '<span class="{}"{}>{}{}</span>',
        badge_class(tone),
        format_html_join("", ' {}="{}"', ((k, v) for k, v in attributes.items() if v)),
        format_html('<i class="bi bi-{}" aria-hidden="true"></i> ', icon) if icon else "",
        label,
    )


def amount_html(amount_cents: int | None, currency: str = "") -> SafeString:
    """The amount in the reader's format; without ``currency``, the bare number (a table whose
    heading names the currency)."""
    if amount_cents is None:
        return SafeString("")
    text = format_money(amount_cents, currency) if currency else format_number(amount_cents)
    return format_html('<span class="app-amount">{}</span>', text)


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def time_html(
    value: datetime | None, style: str = LONG, zone: tzinfo | str | None = None
) -> SafeString:
    """``<time datetime="2026-11-03T18:30:00Z" title="2026-11-03 18:30 UTC">Nov 3, 2026,
    1:30 PM EST</time>``: local with its zone (the organization's, or the active one)."""
    if not value:
        return SafeString("")
    instant = value.astimezone(UTC)
    return format_html(
        '<time class="app-time" datetime="{}" title="{}">{}</time>',
        instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc_text(instant),
        local_time(value, zone, style),
    )


def live_region_html(inner: str, attributes: dict[str, object]) -> SafeString:
    """``<div id=… hx-get=… hx-trigger="every 4s" hx-swap="outerHTML" data-live-version=…
    data-live-announce=…>inner</div>``; ``every`` is the polling period, ``also`` any other
    trigger (an event the page sends), ``announce`` the sentence a change is announced with,
    any other attribute is the element's."""
    every = attributes.pop("every", "")
    also = attributes.pop("also", "")  # more triggers: "conversation-changed from:body"
    announce = attributes.pop("announce", "")
    version = hashlib.blake2b(inner.encode(), digest_size=8).hexdigest()
    attributes = {
        **attributes,
        **(
            {
                "hx-trigger": ", ".join(filter(None, [f"every {every}", str(also)])),
                "hx-swap": "outerHTML",
            }
            if every
            else {}
        ),
        "data-live-version": version,
        "data-live-announce": announce,
    }
    return format_html(
        "<div{}>{}</div>",
        format_html_join(
            "",
            ' {}="{}"',
            (
                (name, value)
                for name, value in attributes.items()
                if value is not None and value != ""
            ),
        ),
        mark_safe(inner),  # noqa: S308 - rendered by the template engine, escaped there
    )
