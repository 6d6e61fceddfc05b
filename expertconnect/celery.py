"""The Celery application: tasks on Redis, schedules in the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "expertconnect.settings.dev")

app = Celery("expertconnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
