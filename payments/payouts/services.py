"""Payouts: what each contains, from the connected account's balance transactions (stored as
PayoutLine rows and linked to our payments), and the payout e-mails to the members an admin
chose."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.formats import format_money
from accounts.models import User
from accounts.times import local_date
from payments.audit import money_data
from payments.gateway import GatewayError, get_gateway
from payments.models import ConnectedAccount, PaymentRequest, Payout, PayoutLine, PayoutNotification
from payments.models.payouts import PAYMENT_OF_CHARGE, REFUND_OF
from payments.payouts.selectors import payout_reconciliation
from payments.payouts.tasks import payout_email_send
from teams.audit import AuditAction
from teams.services import audit_record

PAYOUT_OUTCOMES = {"paid": AuditAction.PAYOUT_PAID, "failed": AuditAction.PAYOUT_FAILED}


def _payout_data(payout: Payout, **extra: Any) -> dict[str, Any]:
    return {
        "payout_id": payout.stripe_payout_id,
        "arrival_date": payout.arrival_date.isoformat() if payout.arrival_date else None,
        **money_data(payout.amount_cents, payout.currency),
        **extra,
    }


def payout_notify(*, payout: Payout, account: ConnectedAccount, status: str) -> None:
    """Audit and e-mail the chosen members once per payout and status (the unique row
    decides). Stripe's webhook tells us: the audit has no actor."""

    recipients = sorted(
        account.payout_recipients.select_related("user").values_list("user__email", flat=True)
    )
    notification, created = PayoutNotification.objects.get_or_create(
        payout=payout,
        status=status,
        defaults={"recipients": recipients, "created_at": timezone.now()},
    )
    if created and status in PAYOUT_OUTCOMES:
        extra = {"failure_message": payout.failure_message} if status == "failed" else {}
        audit_record(
            PAYOUT_OUTCOMES[status],
            payout,
            actor=None,
            data=_payout_data(payout, **extra),
            organization=account.organization,
        )
    if created and recipients:
        transaction.on_commit(lambda: payout_email_send.delay(notification.pk))


KINDS = {
    "charge": PayoutLine.Kind.PAYMENT,
    "payment": PayoutLine.Kind.PAYMENT,
    "payment_refund": PayoutLine.Kind.REFUND,
    "refund": PayoutLine.Kind.REFUND,
    "payment_failure_refund": PayoutLine.Kind.REFUND,
    "transfer_refund": PayoutLine.Kind.REFUND,
    "adjustment": PayoutLine.Kind.ADJUSTMENT,
    "stripe_fee": PayoutLine.Kind.FEE,
    "application_fee": PayoutLine.Kind.FEE,
    "application_fee_refund": PayoutLine.Kind.FEE,
    "tax_fee": PayoutLine.Kind.FEE,
    "stripe_fx_fee": PayoutLine.Kind.FEE,
}


# The payout's own balance transaction (and its failure) is the total, not a line.
SKIPPED = {"payout", "payout_cancel", "payout_failure"}


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _platform_charge(source: Any) -> tuple[str, str]:
    """Our platform charge id and its PaymentIntent id (when expanded), through the
    connected-account payment's transfer."""
    if not isinstance(source, dict):
        return "", ""
    transfer = source.get("source_transfer")
    if not isinstance(transfer, dict):
        return "", ""
    charge = transfer.get("source_transaction")
    intent = charge.get("payment_intent") if isinstance(charge, dict) else ""
    return _id(charge), _id(intent)


def _refunded(txn: dict[str, Any]) -> str:
    """The connected-account payment (py_...) a refund, returned fee or dispute line
    belongs to, when its source names it."""
    source = txn.get("source")
    return _id(source.get("charge")) if isinstance(source, dict) else ""


def _describe(txn: dict[str, Any], kind: str, charge_id: str) -> str:
    text = str(txn.get("description") or "")
    if kind == PayoutLine.Kind.PAYMENT:
        return text or (f"{PAYMENT_OF_CHARGE}{charge_id}" if charge_id else "Payment")
    if kind == PayoutLine.Kind.REFUND:
        refunded = _refunded(txn)
        return text or (f"{REFUND_OF}{refunded}" if refunded else "Refund")
    return text or str(txn.get("type") or "").replace("_", " ").capitalize()


def payout_composition_sync(*, payout: Payout) -> list[PayoutLine]:
    """Replace the payout's lines with what Stripe lists for it (idempotent) and link our
    payments to the payout. Unmatched lines stay, described by their Stripe data."""
    account = ConnectedAccount.objects.filter(organization_id=payout.organization_id).first()
    if account is None or not account.stripe_account_id:
        raise GatewayError("The organization has no Stripe account.")
    transactions = get_gateway().list_payout_transactions(
        account_id=account.stripe_account_id, payout_id=payout.stripe_payout_id
    )
    rows = []
    for txn in transactions:
        type_ = str(txn.get("type") or "")
        if type_ in SKIPPED:
            continue
        kind = KINDS.get(type_, PayoutLine.Kind.OTHER)
        charge_id, intent_id = _platform_charge(txn.get("source"))
        rows.append((txn, kind, charge_id, intent_id))

    charge_ids = {charge for _t, _k, charge, _i in rows if charge}
    intent_ids = {intent for _t, _k, _c, intent in rows if intent}
    payments = PaymentRequest.objects.filter(organization=payout.organization).filter(
        charge_id__in=charge_ids
    ) | PaymentRequest.objects.filter(
        organization=payout.organization, payment_intent_id__in=intent_ids
    )
    by_charge = {p.charge_id: p for p in payments if p.charge_id}
    by_intent = {p.payment_intent_id: p for p in payments if p.payment_intent_id}

    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        payout.lines.all().delete()
        lines: list[PayoutLine] = []
        by_source: dict[str, PaymentRequest] = {}
        for txn, kind, charge_id, intent_id in rows:
            payment = by_charge.get(charge_id) or by_intent.get(intent_id)
            source_id = _id(txn.get("source"))
            if payment is not None and source_id:
                by_source[source_id] = payment
            lines.append(
                PayoutLine(
                    payout=payout,
                    kind=kind,
                    amount_cents=int(txn.get("amount") or 0),
                    fee_cents=int(txn.get("fee") or 0),
                    net_cents=int(txn.get("net") or 0),
                    currency=str(txn.get("currency") or payout.currency),
                    payment=payment,
                    stripe_id=_id(txn),
                    source_id=source_id,
                    stripe_type=str(txn.get("type") or ""),
                    description=_describe(txn, kind, charge_id),
                    created=datetime.fromtimestamp(int(txn.get("created") or 0), tz=UTC),
                )
            )
        refunds = [
            (line, _refunded(txn))
            for line, (txn, kind, _c, _i) in zip(lines, rows, strict=True)
            if kind != PayoutLine.Kind.PAYMENT and line.payment is None
        ]
        _link_refunds(payout, refunds, by_source)
        PayoutLine.objects.bulk_create(lines)
        matched = {line.payment.pk for line in lines if line.payment and line.kind == "payment"}
        PaymentRequest.objects.filter(pk__in=matched).update(payout=payout)
    return lines


def payout_refresh(*, payout: Payout, actor: User) -> list[PayoutLine]:
    """The payout page's refresh: its lines read from Stripe again, and audited."""
    lines = payout_composition_sync(payout=payout)
    audit_record(
        AuditAction.PAYOUT_REFRESHED,
        payout,
        actor=actor,
        data=_payout_data(payout, lines=len(lines)),
    )
    return lines


def _link_refunds(
    payout: Payout,
    refunds: list[tuple[PayoutLine, str]],
    by_source: dict[str, PaymentRequest],
) -> None:
    """A refund (or fee returned, or dispute) line names the connected-account payment
    (py_...) it belongs to: the payment of this payout, or one an earlier payout's lines
    matched."""
    wanted: dict[str, list[PayoutLine]] = {}
    for line, refunded in refunds:
        if refunded:
            wanted.setdefault(refunded, []).append(line)
    missing = [source for source in wanted if source not in by_source]
    if missing:
        earlier = PayoutLine.objects.filter(
            payout__organization=payout.organization,
            kind=PayoutLine.Kind.PAYMENT,
            source_id__in=missing,
            payment__isnull=False,
        ).select_related("payment")
        for line in earlier:
            by_source.setdefault(line.source_id, line.payment)  # type: ignore[arg-type]
    for source, refund_lines in wanted.items():
        for line in refund_lines:
            line.payment = by_source.get(source)


def _email_reconciliation(payout: Payout) -> dict[str, Any] | None:
    """What the paid payout contains, grouped by kind, for its e-mail: Stripe's lines, read
    now when the composition has not been synced yet (the e-mail may go first). None when
    Stripe cannot be read or lists nothing: the e-mail then gives the amount alone."""
    lines = list(payout.lines.all())
    if not lines:
        try:
            lines = payout_composition_sync(payout=payout)
        except GatewayError:
            return None
    if not lines:
        return None
    return payout_reconciliation(payout=payout, lines=lines)


def payout_email_deliver(*, notification_id: int) -> None:
    notification = PayoutNotification.objects.select_related("payout__organization").get(
        pk=notification_id
    )
    payout = notification.payout
    organization = payout.organization
    with translation.override(organization.email_language):
        if not notification.recipients:
            return
        reconciliation = None
        if notification.status == "paid":
            reconciliation = _email_reconciliation(payout)
        context = {
            "reconciliation": reconciliation,
            "organization": organization,
            "payout": payout,
            "status": notification.status,
            "amount": format_money(payout.amount_cents, payout.currency),
            "arrival_date": payout.arrival_date,  # a calendar date: never converted
            "sent_at": notification.created_at,
            "time_zone": organization.time_zone,
            "site_name": settings.SITE_NAME,
            "url": settings.SITE_URL,
        }
        if notification.status == "paid":
            subject = _("%(org)s: payout of %(amount)s expected on %(date)s") % {
                "org": organization,
                "amount": context["amount"],
                "date": local_date(payout.arrival_date),
            }
        else:
            subject = _("%(org)s: payout of %(amount)s failed") % {
                "org": organization,
                "amount": context["amount"],
            }
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("payments/email/payout.txt", context),
            to=list(notification.recipients),
        )
        message.attach_alternative(
            render_to_string("payments/email/payout.html", context), "text/html"
        )
        message.send()
