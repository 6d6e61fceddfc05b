"""Reads of the Payments tab: filters, search, totals (cached per organization version)
and keyset pages. Every function takes the member's scope."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, CharField, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from payments.dates import local_day_bounds
from payments.figures import FIGURE_KINDS, Figures
from payments.models import LedgerEntry, PaymentCounters, PaymentRequest
from payments.scope import COLLECTED_STATUSES, keyset_after
from teams.models import Organization
from tickets.models import Customer

PAGE_SIZE = 50


# re.ASCII: \d is 0-9 only, never another script's digits.
_DISPLAY_NUMBER = re.compile(r"^r-?0*(\d{1,12})$", re.IGNORECASE | re.ASCII)


_AMOUNT = re.compile(r"^\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$", re.ASCII)


_PHONE = re.compile(r"^[\d\s().+-]+$", re.ASCII)


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


def parse_search_amount(text: str) -> int | None:
    """``1234.56``, ``1,234.56`` or ``$75`` → cents; anything else → None. Decimal only."""
    match = _AMOUNT.match(text.strip())
    if not match:
        return None
    units = int(match.group(1).replace(",", ""))
    cents = match.group(2) or "0"
    return units * 100 + int(cents.ljust(2, "0"))


def _search(
    queryset: QuerySet[PaymentRequest], text: str, organization_id: int
) -> QuerySet[PaymentRequest]:
    """Payments whose customer's name or phone, or whose own reference, number, amount or
    Stripe ids match ``text``. Two indexed lookups joined by UNION (customers through the
    trigram indexes on their name and phone; the payment's own columns through theirs), so
    a search costs what it finds, not the size of the organization's history."""
    text = " ".join(text.split())
    if not text:
        return queryset
    customers = Q(name__icontains=text)
    if _PHONE.match(text):
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) >= 4:
            customers |= Q(mobile_phone__contains=digits)
    own = (
        Q(reference__icontains=text)
        | Q(posted_reference__iexact=text)
        | Q(payment_intent_id=text)
        | Q(charge_id=text)
        | Q(checkout_session_id=text)
    )
    number = _DISPLAY_NUMBER.match(text)
    if number:
        own |= Q(number=int(number.group(1)))
    amount = parse_search_amount(text)
    if amount is not None:
        own |= Q(amount_cents=amount)
    scope = PaymentRequest.objects.filter(organization_id=organization_id)
    by_customer = scope.filter(
        ticket__customer__in=Customer.objects.filter(
            customers, organization_id=organization_id
        ).values("pk")
    ).values("pk")
    return queryset.filter(pk__in=by_customer.union(scope.filter(own).values("pk")))


@dataclass(frozen=True)
class Selection:
    """The payments a filter selects, and which of their money counts.

    Money is counted on the local day it moved (the ledger's ``occurred_at``): a payment paid
    on a day is listed on it with its charge and fee; a refund or dispute of it on a later day
    lists it on that day too, with that movement only. ``bounds`` are the UTC instants of the
    chosen days (None: every day). Unpaid requests (a status filter that asks for them) have
    moved no money: they are picked and ordered by when they were requested."""

    queryset: QuerySet[PaymentRequest]
    bounds: tuple[datetime, datetime] | None
    order: str  # "paid_at" or "created_at": the keyset's time column

    @property
    def collected(self) -> bool:
        return self.order == "paid_at"


def payments_filter(
    queryset: QuerySet[PaymentRequest], *, organization: Organization, filters: PaymentFilters
) -> Selection:
    zone = str(organization.time_zone)
    collected = not filters.status or filters.status in COLLECTED_STATUSES
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.filter(status__in=COLLECTED_STATUSES)
    if collected:
        # Said although the statuses imply it: the scan of the (organization, -paid_at)
        # index then starts after the unpaid requests, whose NULL sorts first.
        queryset = queryset.filter(paid_at__isnull=False)
    bounds = None
    if filters.date_from or filters.date_to:
        first = filters.date_from or filters.date_to
        assert first is not None
        start, end = local_day_bounds(first, zone, through=filters.date_to or first)
        if not filters.date_from:
            start = datetime.min.replace(tzinfo=UTC)
        if not filters.date_to:
            end = datetime.max.replace(tzinfo=UTC)
        bounds = (start, end)
        if collected:
            # Paid in the days, or paid before them with a refund or dispute in them (the
            # bound on paid_at alone lets the index scan start at the days' end).
            later = LedgerEntry.objects.filter(
                organization=organization,
                occurred_at__gte=start,
                occurred_at__lt=end,
                payment__isnull=False,
            ).exclude(kind__in=(LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.PLATFORM_FEE))
            queryset = queryset.filter(paid_at__lt=end).filter(
                Q(paid_at__gte=start) | Q(pk__in=later.values("payment_id"))
            )
        else:
            queryset = queryset.filter(created_at__gte=start, created_at__lt=end)
    if filters.team:
        queryset = queryset.filter(team_id=filters.team)
    if filters.advisor:
        queryset = queryset.filter(created_by_id=filters.advisor)
    if filters.posted == "yes":
        queryset = queryset.filter(posted_at__isnull=False)
    elif filters.posted == "no":
        queryset = queryset.filter(posted_at__isnull=True)
    if filters.q:
        queryset = _search(queryset, filters.q, organization.pk)
    return Selection(queryset, bounds, "paid_at" if collected else "created_at")


_FIGURE_SUMS = ", ".join(
    "COALESCE(SUM(e.amount_cents) FILTER (WHERE e.kind = ANY(%s)), 0)::bigint" for _ in FIGURE_KINDS
)
_FIGURES_SQL = (
    f"(SELECT ARRAY[{_FIGURE_SUMS}] FROM {LedgerEntry._meta.db_table} e "  # noqa: S608 - names only
    f"WHERE e.payment_id = {PaymentRequest._meta.db_table}.id{{bounds}})"
)


def figures_sql(bounds: tuple[datetime, datetime] | None) -> RawSQL:
    """Each payment's figures within ``bounds`` as one array [collected, refunds, disputes,
    signed fees] (zeros when nothing moved; Figures.from_signed reads it): one lookup of the
    ledger's payment index per row, for a page or a million-line export alike. Written as
    SQL over the payments table by its own name (as the page and export queries have it):
    the same Subquery built with the ORM takes a millisecond a page to resolve."""
    params: list[Any] = [[str(kind) for kind in kinds] for kinds in FIGURE_KINDS.values()]
    bounded = ""
    if bounds is not None:
        bounded = " AND e.occurred_at >= %s AND e.occurred_at < %s"
        params += bounds
    return RawSQL(  # noqa: S611 - static SQL, values as parameters
        _FIGURES_SQL.format(bounds=bounded), params, output_field=ARRAY_OF_CENTS
    )


ARRAY_OF_CENTS = ArrayField(BigIntegerField())


@dataclass(frozen=True)
class Totals:
    """The cards of a selection: how many payments it lists, and their figures per currency
    (one currency per organization once it has been paid; never two added together)."""

    count: int
    by_currency: dict[str, Figures]

    def figures(self, currency: str) -> Figures:
        return self.by_currency.get(currency.lower(), Figures())


def payments_totals(selection: Selection) -> Totals:
    """Two queries in the database: the count of the listed payments, and their ledger
    entries within the selection's days summed by currency and kind."""
    count = selection.queryset.order_by().count()
    entries = LedgerEntry.objects.filter(payment__in=selection.queryset.order_by().values("pk"))
    if selection.bounds is not None:
        entries = entries.filter(
            occurred_at__gte=selection.bounds[0], occurred_at__lt=selection.bounds[1]
        )
    sums: dict[str, dict[str, int]] = {}
    for currency, kind, total in (
        entries.order_by()
        .values("currency", "kind")
        .annotate(total=Sum("amount_cents"))
        .values_list("currency", "kind", "total")
    ):
        sums.setdefault(currency, {})[kind] = total
    return Totals(count, {c: Figures.from_kinds(k) for c, k in sorted(sums.items())})


# The totals of a filtered set are kept in the cache under the organization's payments
# version, a counter in the database (PaymentCounters.version) that every change of one of its
# payments raises in its own transaction (payments_changed, called on save and delete): a
# page or a poll reads them instead of summing the whole history again. The cache holds
# nothing needed for a right figure: lost, it is refilled; stale, its keys are never read.
TOTALS_TTL = 6 * 3600


COUNTERS_TABLE = PaymentCounters._meta.db_table


def payments_changed(organization_id: int) -> None:
    """Retire the cached totals of the organization, atomically with the change: the new
    version becomes visible when, and only when, the changed payments do. It rises by a
    random step, so totals cached under a version that was rolled back never match the
    version a later change commits."""
    step = "1 + floor(random() * 1000000000)::bigint"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {COUNTERS_TABLE} (organization_id, version) VALUES (%s, {step}) "  # noqa: S608
            "ON CONFLICT (organization_id) DO UPDATE "
            f"SET version = {COUNTERS_TABLE}.version + {step}",
            [organization_id],
        )


def payments_totals_cached(selection: Selection, *, organization_id: int, scope: str) -> Totals:
    """``payments_totals(selection)``, from the cache while none of the organization's payments
    changed. ``scope`` names the set exactly (the member's teams, the filters, the zone).
    Without a cache shared by every process (settings.SHARED_CACHE), computed each time."""
    if not settings.SHARED_CACHE:
        return payments_totals(selection)
    version = (
        PaymentCounters.objects.filter(organization_id=organization_id)
        .values_list("version", flat=True)
        .first()
    ) or 0
    digest = hashlib.sha256(f"{organization_id}|{version}|{scope}".encode()).hexdigest()
    key = f"payments:totals:v2:{digest}"
    totals = cache.get(key)
    if totals is None:
        totals = payments_totals(selection)
        cache.set(key, totals, TOTALS_TTL)
    return totals


def encode_cursor(created_at: datetime, pk: int) -> str:
    """The keyset position after a row: its creation time (µs since the epoch) and id."""
    micros = int(created_at.timestamp()) * 1_000_000 + created_at.microsecond
    return f"{micros}_{pk}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    try:
        micros_text, pk_text = text.split("_", 1)
        micros, pk = int(micros_text), int(pk_text)
        seconds, rest = divmod(micros, 1_000_000)
        at = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=rest)
    except (ValueError, OverflowError, OSError):
        return None
    return at, pk


# What a page of the list reads: the table's columns as values, not four models per row
# (the phone as stored, E.164 text: the view formats it once).
PAGE_FIELDS = (
    "pk",
    "number",
    "created_at",
    "paid_at",
    "status",
    "currency",
    "amount_cents",
    "description",
    "reference",
    "posted_at",
    "posted_reference",
    "team_id",
)


PAGE_COLUMNS = {
    "customer_name": F("ticket__customer__name"),
    "customer_phone": Cast("ticket__customer__mobile_phone", CharField()),
    "advisor_name": F("created_by__full_name"),
    "advisor_email": F("created_by__email"),
}


def ordered(selection: Selection) -> QuerySet[PaymentRequest]:
    """The selection newest first by its time column, each row with its ``figures``."""
    return selection.queryset.annotate(figures=figures_sql(selection.bounds)).order_by(
        f"-{selection.order}", "-pk"
    )


def payments_page(
    selection: Selection, *, cursor: str = "", size: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str]:
    """One keyset page, newest first (paid, or for unpaid requests requested, desc; id desc),
    as PAGE_FIELDS and PAGE_COLUMNS values with their ``figures``, and the cursor of the next
    page ("" when this is the last). One query whatever the page size."""
    queryset = ordered(selection)
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        queryset = queryset.filter(keyset_after(*position, field=selection.order))
    rows = list(queryset.values(*PAGE_FIELDS, "figures", **PAGE_COLUMNS)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more and rows else None
    return rows, encode_cursor(last[selection.order], last["pk"]) if last else ""


@dataclass(frozen=True)
class PaymentAmounts:
    """A payment's figures, summed from its ledger entries (cents, signed as the entries):
    gross = what the customer's money did (charge, refunds, disputes), fees = what the
    dealership paid for it (our fee, less a fee returned, plus Stripe's dispute fee), and
    net = gross - fees = the sum of every entry: what the payment left the dealership."""

    charged: int
    refunded: int
    disputed: int
    platform_fee: int
    fee_returned: int
    dispute_fee: int
    moved: bool

    @property
    def gross(self) -> int:
        return self.charged - self.refunded - self.disputed

    @property
    def fees(self) -> int:
        return self.platform_fee - self.fee_returned + self.dispute_fee

    @property
    def net(self) -> int:
        return self.gross - self.fees


def payment_amounts(payment: PaymentRequest) -> PaymentAmounts:
    """One query: the payment's entries summed by kind."""
    kind = LedgerEntry.Kind
    sums = dict(
        LedgerEntry.objects.filter(payment=payment)
        .values("kind")
        .annotate(total=Sum("amount_cents"))
        .values_list("kind", "total")
    )
    return PaymentAmounts(
        charged=sums.get(kind.CHARGE, 0),
        refunded=-sums.get(kind.REFUND, 0) - sums.get(kind.ADJUSTMENT, 0),
        disputed=-sums.get(kind.DISPUTE, 0) - sums.get(kind.DISPUTE_WON, 0),
        platform_fee=-sums.get(kind.PLATFORM_FEE, 0),
        fee_returned=sums.get(kind.FEE_RETURNED, 0),
        dispute_fee=-sums.get(kind.DISPUTE_FEE, 0),
        moved=bool(sums),
    )
