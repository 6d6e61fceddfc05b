"""Reads of payouts: the list, and a payout's reconciliation (its lines, grouped and summed,
against the payout amount)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from payments.models import Payout, PayoutLine
from teams.models import Organization


def payout_list(*, organization: Organization, limit: int = 10) -> QuerySet[Payout]:
    return Payout.objects.filter(organization=organization).order_by("-arrival_date", "-pk")[:limit]


def payout_line_label(line: PayoutLine) -> str:
    """What a line is, in a word a person reads: a payment, a refund, a fee returned, a
    dispute and its fee, or Stripe's own kind of balance transaction."""
    described = line.description.lower()
    if line.stripe_type == "application_fee_refund":
        return _("Fee returned")
    if "dispute fee" in described:
        return _("Dispute fee")
    if line.stripe_type == "adjustment" and ("chargeback" in described or "dispute" in described):
        return _("Dispute")
    return str(line.get_kind_display())


def payout_reconciliation(*, payout: Payout, lines: Iterable[Any]) -> dict[str, Any]:
    """The lines' gross, fee and net (gross = fee + net, on each line and in total), a
    subtotal per kind of line, and the difference between their net and the payout amount:
    zero when the payout adds up. ``lines`` are PayoutLine rows, or anything with their
    ``amount_cents``, ``fee_cents`` and ``net_cents`` and a ``label``."""
    groups: dict[str, dict[str, Any]] = {}
    totals = {"count": 0, "gross": 0, "fees": 0, "net": 0}
    for line in lines:
        label = line.label if hasattr(line, "label") else payout_line_label(line)
        group = groups.setdefault(
            label, {"label": label, "count": 0, "gross": 0, "fees": 0, "net": 0}
        )
        for sums in (group, totals):
            sums["count"] += 1
            sums["gross"] += line.amount_cents
            sums["fees"] += line.fee_cents
            sums["net"] += line.net_cents
    return {
        "groups": list(groups.values()),
        "totals": totals,
        "difference": totals["net"] - payout.amount_cents,
        "difference_abs": abs(totals["net"] - payout.amount_cents),
    }
