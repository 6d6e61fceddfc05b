"""The ledger's entries of the payments, refunds, disputes and payouts made before it, by
the rules of payments/movements.py (frozen here, as a migration must be)."""

from django.db import migrations

PAID = ("paid", "refunded", "disputed")


def backfill(apps, schema_editor):
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    PaymentRequest = apps.get_model("payments", "PaymentRequest")
    Refund = apps.get_model("payments", "Refund")
    Payout = apps.get_model("payments", "Payout")
    entries = []

    def add(kind, source, owner, currency, cents, at, **links):
        entries.append(
            LedgerEntry(
                kind=kind,
                source=source,
                organization_id=owner,
                currency=currency.lower(),
                amount_cents=cents,
                occurred_at=at,
                **links,
            )
        )

    payments = PaymentRequest.objects.filter(status__in=PAID, paid_at__isnull=False)
    for p in payments.iterator(chunk_size=2000):
        source = f"payment-{p.pk}"
        add("charge", source, p.organization_id, p.currency, p.amount_cents, p.paid_at, payment=p)
        add(
            "platform_fee",
            source,
            p.organization_id,
            p.currency,
            -p.fee_cents,
            p.paid_at,
            payment=p,
        )
        if p.status == "disputed" and p.disputed_at:
            add(
                "dispute",
                f"dispute-{p.pk}",
                p.organization_id,
                p.currency,
                -p.amount_cents,
                p.disputed_at,
                payment=p,
            )
    for r in Refund.objects.filter(status="succeeded").select_related("payment").iterator(2000):
        at = r.last_event_at or r.created_at
        source = f"refund-{r.pk}"
        add(
            "refund",
            source,
            r.organization_id,
            r.currency,
            -r.amount_cents,
            at,
            payment=r.payment,
            refund=r,
        )
        if r.fee_returned:
            add(
                "fee_returned",
                source,
                r.organization_id,
                r.currency,
                r.payment.fee_cents,
                at,
                payment=r.payment,
                refund=r,
            )
    for o in Payout.objects.iterator(chunk_size=2000):
        source = f"payout-{o.pk}"
        add(
            "payout",
            source,
            o.organization_id,
            o.currency,
            -o.amount_cents,
            o.stripe_created,
            payout=o,
        )
        if o.status in ("failed", "canceled"):
            add(
                "payout_reversal",
                source,
                o.organization_id,
                o.currency,
                o.amount_cents,
                o.synced_at,
                payout=o,
            )
    LedgerEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("payments", "0010_ledger")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
