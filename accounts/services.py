"""Writes of the accounts layer: queueing and sending SMS and e-mail, a person's language."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SmsMessage, User
from accounts.sms import SmsError, get_backend
from accounts.tasks import sms_send

# What replaces a secret in a stored body. The sweep never sends such a row: its text is
# incomplete, the secret travels only in the task's message.
SECRET_MASK = "…"  # noqa: S105 (not a secret: what hides one)


def sms_queue(*, to: str, body: str, secret: str = "") -> SmsMessage:
    """Store an outbound SMS and send it from a Celery task once the transaction commits.

    ``secret`` (a sign-in or invitation token inside ``body``) is never written to the
    database: the stored body shows it masked, and only the task message carries it.
    """
    stored = body.replace(secret, SECRET_MASK) if secret else body
    message = SmsMessage.objects.create(to=to, body=stored)
    full_body = body if secret else None

    def publish() -> None:
        # With the broker down, a message without a secret waits for the sweep
        # (accounts.tasks.sms_sweep); one with a secret cannot be sent from its row.
        if sms_send.delay(message.pk, full_body) is None and secret:
            SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.QUEUED).update(
                status=SmsMessage.Status.FAILED,
                error="Not sent: the task queue was unreachable. Send it again.",
            )

    transaction.on_commit(publish)
    return message


def sms_deliver(*, message_id: int, body: str | None = None) -> SmsMessage:
    """Send a queued SMS once. Idempotent: a message already sent is left alone.

    Raises ``SmsError`` when the provider refused; the row is then marked failed with why.
    """
    failure: SmsError | None = None
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status in (
            SmsMessage.Status.SENT,
            SmsMessage.Status.DELIVERED,
            SmsMessage.Status.UNDELIVERED,
        ):
            return message  # gone out already: Celery re-ran the task
        message.attempts += 1
        try:
            message.provider_id = get_backend().send(to=str(message.to), body=body or message.body)
        except SmsError as exc:
            message.status = SmsMessage.Status.FAILED
            message.error = exc.reason
            message.error_code = exc.code
            failure = exc
        else:
            message.status = SmsMessage.Status.SENT
            message.error = ""
            message.sent_at = timezone.now()
        message.save(
            update_fields=["status", "error", "error_code", "attempts", "provider_id", "sent_at"]
        )
    if failure is not None:
        raise failure
    return message


def user_set_language(*, user: User, language: str) -> User:
    """The language the person reads the product in: one of settings.LANGUAGES, or "" for
    their browser's."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError(_("That language is not offered. Choose one from the menu."))
    user.language = language
    user.save(update_fields=["language"])
    return user
