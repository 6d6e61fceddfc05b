"""Repair orders (issue: repair-order payments): what the customer owes for one job, and the
payment requests asked against it, never together more than it still owes.

What was paid is read from the ledger (charges less refunds of the order's payments); what is
still asked is the amount of its open requests. Every check of what is owed runs with the
order's row locked (``select_for_update``), so two advisors asking at once take turns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.formats import format_money
from accounts.models import User
from payments.audit import money_data
from payments.models import LedgerEntry, PaymentRequest, RepairOrder
from payments.money import MAX_TOTAL_CENTS, MIN_AMOUNT_CENTS
from teams.access import has_capability
from teams.audit import AuditAction
from teams.models import Membership
from teams.roles import Capability
from teams.services import audit_record
from tickets.models import Ticket, TimelineEntry
from tickets.services import timeline_add


@dataclass(frozen=True)
class Balance:
    """A repair order's figures, in its currency: ``paid`` is net of refunds."""

    total: int
    paid: int
    asked: int  # the open requests' amounts

    @property
    def owed(self) -> int:
        """What may still be asked: the total less what was paid and what is being asked."""
        return max(self.total - self.paid - self.asked, 0)

    @property
    def remaining(self) -> int:
        """What is left to pay, the open requests included."""
        return max(self.total - self.paid, 0)


def repair_order_balance(order: RepairOrder) -> Balance:
    return repair_order_balances([order])[order.pk]


def repair_order_balances(orders: Sequence[RepairOrder]) -> dict[int, Balance]:
    """Two queries, however many orders: the ledger's charges and refunds of their payments
    (what was paid, net of refunds), and their open requests (what is being asked)."""
    kind = LedgerEntry.Kind
    ids = [order.pk for order in orders]
    paid = dict(
        LedgerEntry.objects.filter(
            payment__repair_order__in=ids,
            kind__in=[kind.CHARGE, kind.REFUND, kind.ADJUSTMENT],
        )
        .values("payment__repair_order")
        .annotate(total=Sum("amount_cents"))
        .values_list("payment__repair_order", "total")
    )
    asked = dict(
        PaymentRequest.objects.filter(repair_order__in=ids, status=PaymentRequest.Status.OPEN)
        .values("repair_order")
        .annotate(total=Sum("amount_cents"))
        .values_list("repair_order", "total")
    )
    return {
        order.pk: Balance(
            total=order.total_cents, paid=paid.get(order.pk, 0), asked=asked.get(order.pk, 0)
        )
        for order in orders
    }


def repair_orders_of(ticket: Ticket) -> list[RepairOrder]:
    """The ticket's repair orders, open ones first, newest first."""
    return sorted(
        RepairOrder.objects.filter(organization_id=ticket.organization_id, ticket=ticket),
        key=lambda order: (order.status != RepairOrder.Status.OPEN, -order.pk),
    )


def _order_data(order: RepairOrder, **extra) -> dict:
    return {
        "order": str(order),
        "customer": order.ticket.customer.name,
        **money_data(order.total_cents, order.currency),
        **extra,
    }


def _check_total(total_cents: int, currency: str) -> None:
    if not MIN_AMOUNT_CENTS <= total_cents <= MAX_TOTAL_CENTS:
        raise ValidationError(
            {
                "total": _("Enter a total from %(low)s to %(high)s.")
                % {
                    "low": format_money(MIN_AMOUNT_CENTS, currency),
                    "high": format_money(MAX_TOTAL_CENTS, currency),
                }
            }
        )


def repair_order_create(
    *, ticket: Ticket, actor: User, number: str, total_cents: int
) -> RepairOrder:
    """Open a repair order for the ticket's customer and team. ``number`` (the DBS's RO or
    invoice number) is unique in the organization when given."""
    organization = ticket.organization
    number = (number or "").strip()
    assert organization.currency
    _check_total(total_cents, organization.currency)
    if number and RepairOrder.objects.filter(organization=organization, number=number).exists():
        raise ValidationError({"number": _used(number)})
    try:
        with transaction.atomic():
            order = RepairOrder.objects.create(
                organization=organization,
                team=ticket.team,
                ticket=ticket,
                number=number,
                total_cents=total_cents,
                currency=organization.currency,
                created_by=actor,
            )
            audit_record(
                AuditAction.REPAIR_ORDER_CREATED, order, actor=actor, data=_order_data(order)
            )
    except IntegrityError as exc:  # the same number, at the same moment
        raise ValidationError({"number": _used(number)}) from exc
    return order


def _used(number: str) -> str:
    return _(
        "Repair order %(number)s exists already in this dealership: use it, or check the number."
    ) % {"number": number}


def repair_order_locked(order: RepairOrder) -> RepairOrder:
    """The order's row, locked to the end of the transaction (the caller is in one)."""
    return (
        RepairOrder.objects.select_for_update().select_related("ticket__customer").get(pk=order.pk)
    )


def repair_order_check_request(order: RepairOrder, amount_cents: int) -> None:
    """Refuse to ask more than the order still owes (call with the order locked)."""
    if order.status != RepairOrder.Status.OPEN:
        raise ValidationError(
            _("Nothing more can be asked against repair order %(order)s: it reads “%(status)s”.")
            % {"order": order, "status": order.get_status_display()}
        )
    owed = repair_order_balance(order).owed
    if amount_cents > owed:
        raise ValidationError(
            {
                "amount": _(
                    "At most %(owed)s can be asked: repair order %(order)s has %(owed)s left to "
                    "ask, after what was paid and the requests still open."
                )
                % {"owed": format_money(owed, order.currency), "order": order}
            }
        )


@transaction.atomic
def repair_order_set_total(
    *, order: RepairOrder, membership: Membership, total_cents: int
) -> RepairOrder:
    """Change the total: any member who may request payments while nothing is paid; once
    something is, only one who holds CHANGE_PAID_REPAIR_ORDER. Never below what was paid and
    what is being asked."""
    order = repair_order_locked(order)
    if not has_capability(membership, Capability.SEND_PAYMENT_REQUEST, order.team):
        raise PermissionDenied(_("Only members who may request payments can change a total."))
    _check_total(total_cents, order.currency)
    balance = repair_order_balance(order)
    if balance.paid and not has_capability(
        membership, Capability.CHANGE_PAID_REPAIR_ORDER, order.team
    ):
        raise PermissionDenied(
            _("Part of %(order)s is paid: ask a manager to change its total.") % {"order": order}
        )
    floor = balance.paid + balance.asked
    if total_cents < floor:
        raise ValidationError(
            {
                "total": _(
                    "The total cannot go below %(floor)s: what was paid and what is being asked."
                )
                % {"floor": format_money(floor, order.currency)}
            }
        )
    before = order.total_cents
    order.total_cents = total_cents
    order.save(update_fields=["total_cents"])
    audit_record(
        AuditAction.REPAIR_ORDER_TOTAL_CHANGED,
        order,
        actor=membership.user,
        data=_order_data(order, before=format_money(before, order.currency)),
    )
    repair_order_settle(order)
    return order


def repair_order_settle(order: RepairOrder) -> bool:
    """Mark the order paid in full once what was paid reaches its total (call with the order
    locked, after the ledger has the payment): the ticket's conversation says so."""
    if order.status != RepairOrder.Status.OPEN:
        return False
    if repair_order_balance(order).remaining:
        return False
    order.status = RepairOrder.Status.PAID
    order.paid_at = timezone.now()
    order.save(update_fields=["status", "paid_at"])
    timeline_add(
        ticket=order.ticket,
        kind=TimelineEntry.Kind.EVENT,
        event="repair_order.paid",
        data={
            "repair_order_id": order.pk,
            "number": str(order),
            **money_data(order.total_cents, order.currency),
        },
    )
    audit_record(AuditAction.REPAIR_ORDER_PAID, order, actor=None, data=_order_data(order))
    return True


def repair_order_part(payment: PaymentRequest) -> dict | None:
    """What an open request is of its repair order, as the customer's page says it: "Deposit
    2" (the second request that does not pay the rest) or "Balance" (it pays what is left),
    with the order's total, what was paid before and what will be left after it."""
    order = payment.repair_order
    if order is None:
        return None
    balance = repair_order_balance(order)
    left_after = max(balance.remaining - payment.amount_cents, 0)
    number = (
        PaymentRequest.objects.filter(repair_order=order, pk__lte=payment.pk)
        .exclude(status=PaymentRequest.Status.CANCELLED)
        .count()
    )
    return {
        "order": str(order),
        "balance": left_after == 0,
        "number": number,
        "total": order.total_cents,
        "paid": balance.paid,
        "left_after": left_after,
        "currency": order.currency,
    }
