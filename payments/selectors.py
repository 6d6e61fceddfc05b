"""Reads of payments data. Every function takes ``organization=``."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.models import ConnectedAccount, Payout
from teams.models import Organization


def connected_account(*, organization: Organization) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(organization=organization).first()


def payout_list(*, organization: Organization, limit: int = 10) -> QuerySet[Payout]:
    return Payout.objects.filter(organization=organization).order_by("-arrival_date", "-pk")[:limit]
