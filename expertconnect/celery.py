"""The Celery application: tasks on Redis, schedules in the database (django-celery-beat).

Publishing a task never fails the caller when the broker is down or refuses writes:
``apply_async`` (and so ``delay``) logs the error and answers None instead of raising. Work
is never lost by that: what a task does is stored first (a webhook event, an SMS row) and a
periodic sweep of the beat queues what was never queued (payments.tasks
webhook_events_dispatch_task, accounts.tasks sms_sweep).
"""

import logging
import os
from typing import Any

from celery import Celery, Task
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "expertconnect.settings.dev")

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot take a message: kombu's OperationalError
# (connection refused or lost), redis-py's errors (READONLY, MISCONF, OOM), socket errors.
PUBLISH_ERRORS = (KombuError, RedisError, OSError)


class PublishSafeTask(Task):
    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)  # runs inline: its errors are its own
        try:
            return super().apply_async(*args, **kwargs)
        except PUBLISH_ERRORS as exc:
            logger.warning(
                "Task %s not queued, the broker is unreachable (%s: %s); "
                "its stored work is queued again by the beat's sweep",
                self.name,
                type(exc).__name__,
                exc,
            )
            return None


app = Celery("expertconnect", task_cls=PublishSafeTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
