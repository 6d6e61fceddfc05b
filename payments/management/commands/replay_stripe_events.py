"""Queue Stripe events again: the failed ones, or those named."""

from django.core.management.base import BaseCommand
from django.db import transaction

from payments.models import WebhookEvent
from payments.webhooks.pipeline import webhook_event_replay


class Command(BaseCommand):
    help = "Replay failed (or the named) Stripe webhook events through the Celery task."

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="*", help="Stripe event ids (evt_...)")
        parser.add_argument("--failed", action="store_true", help="every failed event")

    def handle(self, *args, event_ids, failed, **options):
        events = WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.PENDING]
        )
        if event_ids:
            events = events.filter(stripe_id__in=event_ids)
        elif failed:
            events = events.filter(status=WebhookEvent.Status.FAILED)
        else:
            self.stderr.write("Name event ids or pass --failed.")
            return
        with transaction.atomic():
            count = 0
            for event in events:
                webhook_event_replay(event=event)
                count += 1
        self.stdout.write(f"{count} event(s) queued again.")
