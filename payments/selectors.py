"""Reads of payments data. Every function takes ``organization=``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from payments.models import ConnectedAccount, PaymentRequest, Payout
from teams.models import Membership, Organization
from teams.roles import Role


def connected_account(*, organization: Organization) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(organization=organization).first()


def payout_list(*, organization: Organization, limit: int = 10) -> QuerySet[Payout]:
    return Payout.objects.filter(organization=organization).order_by("-arrival_date", "-pk")[:limit]


# The Payments tab (F6): the payments of the member's scope, filtered, totalled, paged ----

COLLECTED_STATUSES = ("paid", "refunded", "disputed")
PAGE_SIZE = 50
_DISPLAY_NUMBER = re.compile(r"^r-?0*(\d{1,12})$", re.IGNORECASE)
_AMOUNT = re.compile(r"^\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
_PHONE = re.compile(r"^[\d\s().+-]+$")


def payments_visible(
    *, organization: Organization, membership: Membership
) -> QuerySet[PaymentRequest]:
    """Every request of the member's scope that reached Stripe: paid, refunded or disputed,
    and open ones whose Checkout was started. Admins see every team; managers (and anyone
    else holding VIEW_PAYMENTS through a team) only their payments-enabled teams."""
    queryset = PaymentRequest.objects.filter(organization=organization).filter(
        Q(status__in=COLLECTED_STATUSES)
        | Q(status=PaymentRequest.Status.OPEN, checkout_session_id__gt="")
    )
    return payments_scoped(queryset, membership=membership)


def payments_scoped(
    queryset: QuerySet[PaymentRequest], *, membership: Membership
) -> QuerySet[PaymentRequest]:
    queryset = queryset.filter(organization_id=membership.organization_id)
    if membership.role != Role.ADMIN:
        queryset = queryset.filter(team_id__in=membership.payment_team_ids)
    return queryset


@dataclass(frozen=True)
class PaymentFilters:
    """The Payments tab's filters, already validated; dates are local calendar days."""

    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    team: int | None = None
    advisor: int | None = None
    posted: str = ""  # "yes", "no" or ""
    q: str = ""


def local_day_bounds(day_from: date, day_to: date, zone: str) -> tuple[datetime, datetime]:
    """The aware instants [start of ``day_from``, start of the day after ``day_to``) in
    ``zone``, in UTC: a local day is 23, 24 or 25 hours long, as its clocks say. (UTC,
    because Python subtracts two times of one zone by their wall clocks.)"""
    tz = ZoneInfo(zone)
    start = datetime.combine(day_from, time.min, tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_search_amount(text: str) -> int | None:
    """``1234.56``, ``1,234.56`` or ``$75`` → cents; anything else → None. Decimal only."""
    match = _AMOUNT.match(text.strip())
    if not match:
        return None
    units = int(match.group(1).replace(",", ""))
    cents = match.group(2) or "0"
    return units * 100 + int(cents.ljust(2, "0"))


def _search(queryset: QuerySet[PaymentRequest], text: str) -> QuerySet[PaymentRequest]:
    text = " ".join(text.split())
    if not text:
        return queryset
    condition = (
        Q(ticket__customer__name__icontains=text)
        | Q(reference__iexact=text)
        | Q(reference__icontains=text)
        | Q(posted_reference__iexact=text)
        | Q(payment_intent_id=text)
        | Q(charge_id=text)
        | Q(checkout_session_id=text)
    )
    number = _DISPLAY_NUMBER.match(text)
    if number:
        condition |= Q(pk=int(number.group(1)))
    amount = parse_search_amount(text)
    if amount is not None:
        condition |= Q(amount_cents=amount)
    if _PHONE.match(text):
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) >= 4:
            condition |= Q(ticket__customer__mobile_phone__contains=digits)
    return queryset.filter(condition)


def payments_filter(
    queryset: QuerySet[PaymentRequest], *, filters: PaymentFilters, zone: str
) -> QuerySet[PaymentRequest]:
    if filters.date_from or filters.date_to:
        start, end = local_day_bounds(
            filters.date_from or filters.date_to,  # type: ignore[arg-type]
            filters.date_to or filters.date_from,  # type: ignore[arg-type]
            zone,
        )
        if filters.date_from:
            queryset = queryset.filter(created_at__gte=start)
        if filters.date_to:
            queryset = queryset.filter(created_at__lt=end)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.team:
        queryset = queryset.filter(team_id=filters.team)
    if filters.advisor:
        queryset = queryset.filter(created_by_id=filters.advisor)
    if filters.posted == "yes":
        queryset = queryset.filter(posted_at__isnull=False)
    elif filters.posted == "no":
        queryset = queryset.filter(posted_at__isnull=True)
    if filters.q:
        queryset = _search(queryset, filters.q)
    return queryset


def payments_totals(queryset: QuerySet[PaymentRequest]) -> dict[str, int]:
    """Count, gross, fees, net and refunded of the set, in one query in the database.

    Gross, fees and net count money taken only (paid, refunded, disputed): an open request
    whose Checkout was started is listed and counted, but it has collected nothing yet."""
    collected = Q(status__in=COLLECTED_STATUSES)
    zero = Value(0, output_field=BigIntegerField())
    return queryset.order_by().aggregate(
        count=Count("pk"),
        gross=Coalesce(Sum("amount_cents", filter=collected), zero),
        fees=Coalesce(Sum("fee_cents", filter=collected), zero),
        net=Coalesce(
            Sum(
                Coalesce("net_cents", F("amount_cents") - F("fee_cents")),
                filter=collected,
            ),
            zero,
        ),
        refunded=Coalesce(Sum("refunded_cents"), zero),
    )


def encode_cursor(payment: PaymentRequest) -> str:
    """The keyset position after ``payment``: its creation time (µs since the epoch) and id."""
    micros = int(payment.created_at.timestamp()) * 1_000_000 + payment.created_at.microsecond
    return f"{micros}_{payment.pk}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    try:
        micros_text, pk_text = text.split("_", 1)
        micros, pk = int(micros_text), int(pk_text)
        seconds, rest = divmod(micros, 1_000_000)
        at = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
    except (ValueError, OverflowError, OSError):
        return None
    return at, pk


def payments_page(
    queryset: QuerySet[PaymentRequest], *, cursor: str = "", size: int = PAGE_SIZE
) -> tuple[list[PaymentRequest], str]:
    """One keyset page, newest first (created_at desc, id desc), and the cursor of the next
    page ("" when this is the last). One query whatever the page size."""
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        at, pk = position
        queryset = queryset.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(
        queryset.select_related("ticket__customer", "team", "created_by", "posted_by").order_by(
            "-created_at", "-pk"
        )[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return rows, encode_cursor(rows[-1]) if more and rows else ""
