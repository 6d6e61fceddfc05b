from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Each part's webhook handlers register themselves when imported, and its tasks
        # with the worker (Celery's autodiscovery looks at payments.tasks only).
        from payments.connect import handlers as _connect_handlers  # noqa: F401
        from payments.gateway.demo import tasks as _demo_tasks  # noqa: F401
        from payments.ledger.selectors import payments_changed
        from payments.models import PaymentRequest
        from payments.payouts import handlers as _payout_handlers  # noqa: F401
        from payments.payouts import tasks as _payout_tasks  # noqa: F401
        from payments.refunds import handlers as _refund_handlers  # noqa: F401
        from payments.reports import tasks as _report_tasks  # noqa: F401
        from payments.requests import handlers as _request_handlers  # noqa: F401
        from payments.requests import tasks as _request_tasks  # noqa: F401
        from payments.webhooks import tasks as _webhook_tasks  # noqa: F401

        def changed(sender, instance: PaymentRequest, **kwargs) -> None:
            payments_changed(instance.organization_id)

        # Every save of a payment retires its organization's cached totals; code that
        # writes payments in bulk (QuerySet.update, bulk_create) calls payments_changed.
        post_save.connect(changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-save")
        post_delete.connect(
            changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-delete"
        )
