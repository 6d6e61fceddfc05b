from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from payments.models import PaymentRequest
        from payments.selectors import payments_changed

        def changed(sender, instance: PaymentRequest, **kwargs) -> None:
            payments_changed(instance.organization_id)

        # Every save of a payment retires its organization's cached totals; code that
        # writes payments in bulk (QuerySet.update, bulk_create) calls payments_changed.
        post_save.connect(changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-save")
        post_delete.connect(
            changed, sender=PaymentRequest, weak=False, dispatch_uid="payments-delete"
        )
