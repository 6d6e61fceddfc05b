"""A real Celery worker on Redis delivers an invitation's SMS and e-mail (locmem backends)."""

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail

from accounts import sms
from accounts.models import SmsMessage
from expertconnect.celery import app
from teams import services
from teams.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory
from tests.helpers import REDIS_URL, require_redis, wait_for


@pytest.fixture
def celery_worker_on_redis():
    require_redis()
    saved = {
        "broker_url": app.conf.broker_url,
        "task_always_eager": app.conf.task_always_eager,
    }
    app.conf.broker_url = REDIS_URL
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)


@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_sends_the_invitation_sms_and_email(celery_worker_on_redis):
    ran = []

    def record(sender=None, task=None, **kwargs):
        ran.append((task.name, task.request.is_eager, task.request.hostname))

    task_postrun.connect(record, weak=False)
    organization = OrganizationFactory(name="Worker Motors")
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    team = TeamFactory(organization=organization, name="Service", payments_enabled=True)

    invitation = services.invitation_create(
        organization=organization,
        actor=admin.user,
        full_name="Casey Cashier",
        email="casey@example.com",
        mobile_phone="+13125550188",
        role=Role.MANAGER,
        teams=[team],
    )

    try:
        assert wait_for(lambda: len(sms.outbox) == 1 and len(mail.outbox) == 1 and len(ran) == 2), (
            "the worker did not deliver the SMS and the e-mail"
        )
    finally:
        task_postrun.disconnect(record)
    # Both ran in the worker, taken from Redis, not inline in the caller.
    assert sorted(name for name, _, _ in ran) == [
        "accounts.tasks.email_send",
        "accounts.tasks.sms_send",
    ]
    assert all(not eager and hostname for _, eager, hostname in ran)
    text = sms.outbox[0]
    assert text.to == "+13125550188"
    assert "/invitations/" in text.body
    assert "Worker Motors" in text.body
    assert mail.outbox[0].to == ["casey@example.com"]
    link = text.body.split()[-1]
    assert link in mail.outbox[0].body
    stored = SmsMessage.objects.get(to="+13125550188")
    assert stored.status == SmsMessage.Status.SENT
    assert stored.attempts == 1
    assert link not in stored.body  # the token never reaches the database
    assert invitation.email == "casey@example.com"
