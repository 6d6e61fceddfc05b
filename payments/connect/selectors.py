"""Reads of the organization's connected account."""

from __future__ import annotations

from payments.models import ConnectedAccount
from teams.models import Organization


def connected_account(*, organization: Organization) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(organization=organization).first()
