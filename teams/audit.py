"""The audit log as data: every action is a member of ``AuditAction``, and ``describe`` turns
an entry into the sentence a dealership reads, from one table of translatable templates.

A sentence's placeholders are the entry's ``data`` keys, plus ``actor`` (the person's name).
An amount is kept in ``data`` as ``amount_cents`` and ``currency`` and written in the reader's
language when the sentence is (``accounts.formats``); ``amount`` holds it as first written, for
entries that lack the two. An entry whose data lacks a placeholder (an old row) or whose
action is unknown reads as a generic sentence; a raw action code is never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.formats import format_money
from teams.roles import Role

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class AuditEntry(Protocol):
    """What a sentence is made of: an AuditLog row, or anything shaped like one."""

    action: str
    data: Any
    actor: Any


class AuditAction(models.TextChoices):
    # Organizations, members, teams, invitations
    ORGANIZATION_CREATED = "organization.created", _lazy("Organization created")
    ORGANIZATION_UPDATED = "organization.updated", _lazy("Organization settings changed")
    MEMBERSHIP_CREATED = "membership.created", _lazy("Member joined")
    MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", _lazy("Member's role changed")
    MEMBERSHIP_REMOVED = "membership.removed", _lazy("Member removed")
    TEAM_CREATED = "team.created", _lazy("Team created")
    TEAM_UPDATED = "team.updated", _lazy("Team changed")
    INVITATION_CREATED = "invitation.created", _lazy("Invitation sent")
    INVITATION_RESENT = "invitation.resent", _lazy("Invitation sent again")
    INVITATION_REVOKED = "invitation.revoked", _lazy("Invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _lazy("Invitation accepted")
    # The Stripe connection and its settings
    STRIPE_CONNECT_STARTED = "stripe.connect_started", _lazy("Stripe connection started")
    STRIPE_RECONNECT_STARTED = "stripe.reconnect_started", _lazy("Stripe connection restarted")
    STRIPE_CONNECTED = "stripe.connected", _lazy("Stripe connected")
    STRIPE_RESTRICTED = "stripe.restricted", _lazy("Stripe needs more details")
    STRIPE_DEAUTHORIZED = "stripe.deauthorized", _lazy("Stripe disconnected")
    STRIPE_DASHBOARD_OPENED = "stripe.dashboard_opened", _lazy("Stripe dashboard opened")
    STRIPE_CHECKLIST_SENT = "stripe.checklist_sent", _lazy("Stripe checklist sent")
    STRIPE_PAYOUT_SCHEDULE_UPDATED = (
        "stripe.payout_schedule_updated",
        _lazy("Payout schedule changed"),
    )
    STRIPE_STATEMENT_DESCRIPTOR_UPDATED = (
        "stripe.statement_descriptor_updated",
        _lazy("Statement descriptor changed"),
    )
    PAYOUTS_RECIPIENTS_CHANGED = "payouts.recipients_changed", _lazy("Payout e-mails changed")
    PAYMENTS_REMINDERS_CHANGED = "payments.reminders_changed", _lazy("Reminders changed")
    # Payment requests and what became of their money
    PAYMENT_REQUEST_CREATED = "payment_request.created", _lazy("Payment requested")
    PAYMENT_REQUEST_RESENT = "payment_request.resent", _lazy("Payment request sent again")
    PAYMENT_REQUEST_CANCELLED = "payment_request.cancelled", _lazy("Payment request cancelled")
    PAYMENT_REQUEST_PAID = "payment_request.paid", _lazy("Payment received")
    PAYMENT_REQUEST_DISPUTED = "payment_request.disputed", _lazy("Payment disputed")
    PAYMENT_REQUEST_DISPUTE_WON = "payment_request.dispute_won", _lazy("Dispute won")
    PAYMENT_REQUEST_POSTED = "payment_request.posted", _lazy("Posted to the DBS")
    PAYMENT_REQUEST_UNPOSTED = "payment_request.unposted", _lazy("Posting to the DBS undone")
    PAYMENT_DUPLICATE_DETECTED = "payment.duplicate_detected", _lazy("Paid a second time")
    PAYMENT_DUPLICATE_REFUNDED = "payment.duplicate_refunded", _lazy("Second payment refunded")
    PAYMENT_REFUND_REQUESTED = "payment.refund_requested", _lazy("Refund requested")
    REFUND_SUCCEEDED = "refund.succeeded", _lazy("Refund succeeded")
    REFUND_FAILED = "refund.failed", _lazy("Refund failed")
    # Repair orders
    REPAIR_ORDER_CREATED = "repair_order.created", _lazy("Repair order created")
    REPAIR_ORDER_TOTAL_CHANGED = "repair_order.total_changed", _lazy("Repair order total changed")
    REPAIR_ORDER_PAID = "repair_order.paid", _lazy("Repair order paid in full")
    # Payouts
    PAYOUT_PAID = "payout.paid", _lazy("Payout paid")
    PAYOUT_FAILED = "payout.failed", _lazy("Payout failed")
    PAYOUT_REFRESHED = "payout.refreshed", _lazy("Payout refreshed from Stripe")


A = AuditAction

# The sentence of each action. Placeholders: ``actor`` and the keys of the entry's data.
SENTENCES: dict[AuditAction, _StrPromise] = {
    A.ORGANIZATION_CREATED: _lazy("%(actor)s created the organization %(name)s"),
    A.ORGANIZATION_UPDATED: _lazy("%(actor)s changed the organization settings"),
    A.MEMBERSHIP_CREATED: _lazy("%(email)s joined as %(role)s"),
    A.MEMBERSHIP_ROLE_CHANGED: _lazy(
        "%(actor)s changed the role of %(email)s from %(from)s to %(to)s"
    ),
    A.MEMBERSHIP_REMOVED: _lazy("%(actor)s removed %(email)s (%(role)s)"),
    A.TEAM_CREATED: _lazy("%(actor)s created the team %(name)s"),
    A.TEAM_UPDATED: _lazy("%(actor)s changed a team's name, members or payments"),
    A.INVITATION_CREATED: _lazy("%(actor)s invited %(email)s as %(role)s"),
    A.INVITATION_RESENT: _lazy("%(actor)s sent the invitation to %(email)s again"),
    A.INVITATION_REVOKED: _lazy("%(actor)s revoked the invitation of %(email)s"),
    A.INVITATION_ACCEPTED: _lazy("%(email)s accepted the invitation to join as %(role)s"),
    A.STRIPE_CONNECT_STARTED: _lazy("%(actor)s started connecting Stripe"),
    A.STRIPE_RECONNECT_STARTED: _lazy("%(actor)s started connecting a new Stripe account"),
    A.STRIPE_CONNECTED: _lazy("Stripe is connected: the dealership can take payments"),
    A.STRIPE_RESTRICTED: _lazy("Stripe needs more details before payments can go on"),
    A.STRIPE_DEAUTHORIZED: _lazy("The Stripe account was disconnected from the dealership"),
    A.STRIPE_DASHBOARD_OPENED: _lazy("%(actor)s opened the Stripe dashboard"),
    A.STRIPE_CHECKLIST_SENT: _lazy("%(actor)s e-mailed what Stripe will ask for to %(email)s"),
    A.STRIPE_PAYOUT_SCHEDULE_UPDATED: _lazy("%(actor)s changed the payout schedule"),
    A.STRIPE_STATEMENT_DESCRIPTOR_UPDATED: _lazy(
        "%(actor)s changed the statement descriptor to %(descriptor)s"
    ),
    A.PAYOUTS_RECIPIENTS_CHANGED: _lazy("%(actor)s changed who receives payout e-mails"),
    A.PAYMENTS_REMINDERS_CHANGED: _lazy("%(actor)s changed the payment reminders"),
    A.PAYMENT_REQUEST_CREATED: _lazy(
        "%(actor)s requested %(amount)s from %(customer)s (%(number)s)"
    ),
    A.PAYMENT_REQUEST_RESENT: _lazy("%(actor)s texted %(number)s to %(customer)s again"),
    A.PAYMENT_REQUEST_CANCELLED: _lazy("%(actor)s cancelled %(number)s of %(amount)s"),
    A.PAYMENT_REQUEST_PAID: _lazy("%(customer)s paid %(amount)s (%(number)s)"),
    A.PAYMENT_REQUEST_DISPUTED: _lazy(
        "%(customer)s disputed the payment of %(amount)s (%(number)s)"
    ),
    A.PAYMENT_REQUEST_DISPUTE_WON: _lazy(
        "The dispute of %(number)s was won: %(amount)s came back from the bank of %(customer)s"
    ),
    A.PAYMENT_REQUEST_POSTED: _lazy("%(actor)s posted %(number)s to the DBS as %(reference)s"),
    A.REPAIR_ORDER_CREATED: _lazy(
        "%(actor)s opened repair order %(order)s of %(amount)s for %(customer)s"
    ),
    A.REPAIR_ORDER_TOTAL_CHANGED: _lazy(
        "%(actor)s changed the total of repair order %(order)s from %(before)s to %(amount)s"
    ),
    A.REPAIR_ORDER_PAID: _lazy("Repair order %(order)s of %(amount)s is paid in full"),
    A.PAYMENT_REQUEST_UNPOSTED: _lazy(
        "%(actor)s undid the posting of %(number)s to the DBS as %(reference)s"
    ),
    A.PAYMENT_DUPLICATE_DETECTED: _lazy(
        "%(customer)s paid %(number)s a second time (%(amount)s): it is being refunded"
    ),
    A.PAYMENT_DUPLICATE_REFUNDED: _lazy(
        "The second payment of %(amount)s for %(number)s was refunded to %(customer)s"
    ),
    A.PAYMENT_REFUND_REQUESTED: _lazy("%(actor)s asked to refund %(amount)s to %(customer)s"),
    A.REFUND_SUCCEEDED: _lazy("Refund of %(amount)s to %(customer)s succeeded"),
    A.REFUND_FAILED: _lazy("Refund of %(amount)s to %(customer)s failed: %(reason)s"),
    A.PAYOUT_PAID: _lazy("Payout of %(amount)s paid"),
    A.PAYOUT_FAILED: _lazy("Payout of %(amount)s failed"),
    A.PAYOUT_REFRESHED: _lazy("%(actor)s refreshed the payout of %(amount)s from Stripe"),
}

# Keys whose stored value is a role code: the sentence names the role instead.
ROLE_KEYS = ("role", "from", "to")


def _values(entry: AuditEntry) -> dict[str, Any]:
    data = entry.data if isinstance(entry.data, dict) else {}
    values: dict[str, Any] = dict(data)
    for key in ROLE_KEYS:
        if isinstance(values.get(key), str) and values[key] in Role.values:
            values[key] = Role(values[key]).label
    if isinstance(values.get("amount_cents"), int) and values.get("currency"):
        values["amount"] = format_money(values["amount_cents"], values["currency"])
    values["actor"] = str(entry.actor) if entry.actor else _("Someone")
    return values


def describe(entry: AuditEntry) -> str:
    """The entry as a sentence a dealership reads (in the active language)."""
    action = AuditAction(entry.action) if entry.action in AuditAction.values else None
    if action is None:
        if entry.actor:
            return _("%(actor)s made a change") % {"actor": entry.actor}
        return _("A change was recorded")
    try:
        return str(SENTENCES[action]) % _values(entry)
    except (KeyError, TypeError, ValueError):
        # An entry written before its data held what the sentence needs.
        if entry.actor:
            return _("%(what)s, by %(actor)s") % {"what": action.label, "actor": entry.actor}
        return str(action.label)
