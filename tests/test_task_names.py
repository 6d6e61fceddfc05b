"""Queued Celery messages and django-celery-beat rows name tasks by their registered name, so
a task's name is part of the product's contract: moving its code must not change it."""

from django.conf import settings

from expertconnect.celery import app

TASK_NAMES = {
    "accounts.tasks.email_send",
    "accounts.tasks.sms_send",
    "accounts.tasks.sms_sweep",
    "payments.tasks.daily_report_email_send",
    "payments.tasks.daily_reports_run",
    "payments.tasks.demo_deliver_event",
    "payments.tasks.duplicate_charge_refund_task",
    "payments.tasks.payment_reminders_send",
    "payments.tasks.payment_reminders_send_batch",
    "payments.tasks.payout_composition_sync_task",
    "payments.tasks.payout_email_send",
    "payments.tasks.stripe_report_poll_task",
    "payments.tasks.webhook_event_process_task",
    "payments.tasks.webhook_events_dispatch_task",
    "payments.tasks.webhook_events_process_task",
}


def test_task_names_stay_what_queued_messages_name():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.split(".")[0] in {"accounts", "payments"}}
    assert ours == TASK_NAMES


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
