from django.contrib import admin, messages
from django.db import transaction

from payments.models import ConnectedAccount, Payout, PayoutNotification, WebhookEvent
from payments.webhooks.pipeline import webhook_event_replay


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("stripe_id", "type", "endpoint", "account", "status", "attempts", "created")
    list_filter = ("status", "endpoint", "type")
    search_fields = ("stripe_id", "account", "type")
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]
    actions = ["replay"]
    date_hierarchy = "created"

    @admin.action(description="Replay the selected failed or pending events")
    def replay(self, request, queryset):
        count = 0
        with transaction.atomic():
            for event in queryset.filter(
                status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.PENDING]
            ):
                webhook_event_replay(event=event)
                count += 1
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = (
        "organization",
        "stripe_account_id",
        "country",
        "charges_enabled",
        "payouts_enabled",
        "synced_at",
    )
    search_fields = ("stripe_account_id", "organization__name")
    readonly_fields = ("synced_at", "connected_at", "deauthorized_at", "created_at")


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = (
        "stripe_payout_id",
        "organization",
        "amount_cents",
        "currency",
        "status",
        "arrival_date",
    )
    list_filter = ("status",)
    search_fields = ("stripe_payout_id",)


admin.site.register(PayoutNotification)
