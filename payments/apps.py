from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Each part's webhook handlers register themselves when imported (the pipeline looks
        # them up and never imports them); the worker's tasks are settings.CELERY_IMPORTS.
        from payments.connect import handlers as _connect_handlers  # noqa: F401
        from payments.ledger.selectors import payments_changed
        from payments.models import LedgerEntry, PaymentRequest
        from payments.payouts import handlers as _payout_handlers  # noqa: F401
        from payments.refunds import handlers as _refund_handlers  # noqa: F401

        # The payment requests' cards in the tickets' conversations (tickets.selectors).
        from payments.requests import conversation as _conversation  # noqa: F401
        from payments.requests import handlers as _request_handlers  # noqa: F401

        def changed(sender, instance: PaymentRequest | LedgerEntry, **kwargs) -> None:
            payments_changed(instance.organization_id)

        # Every save of a payment or of a ledger entry (the totals are its sums) retires its
        # organization's cached totals; code that writes payments in bulk (QuerySet.update,
        # bulk_create) calls payments_changed.
        post_save.connect(changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-save")
        post_delete.connect(
            changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-delete"
        )
        post_save.connect(
            changed, sender=LedgerEntry, weak=False, dispatch_uid="payments-ledger-save"
        )
