"""Reads of payouts."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.models import Payout
from teams.models import Organization


def payout_list(*, organization: Organization, limit: int = 10) -> QuerySet[Payout]:
    return Payout.objects.filter(organization=organization).order_by("-arrival_date", "-pk")[:limit]
