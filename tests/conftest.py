"""Shared fixtures: a dealership with one person per role, and another dealership."""

import os

import pytest

from accounts import sms
from teams.roles import Role
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, TeamFactory

# Playwright's sync API keeps an event loop running in the test thread for the whole session;
# Django's ORM refuses to run beside one unless told it is safe (the browser tests drive the
# browser, the live server answers from its own thread). Subprocesses started by tests
# (tests/test_deploy.py) drop this variable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_unconfigure(config):
    """A run without DATABASE_URL started the embedded PostgreSQL: stop it again."""
    from expertconnect import embedded_db

    embedded_db.stop_if_started_here()


@pytest.fixture(scope="session", autouse=True)
def _urls_of_the_test_settings():
    """The URLconf is read once, with the test settings (the demo gateway, so its pages are
    mounted), before any test switches the gateway to Stripe."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - loading is the point


@pytest.fixture(autouse=True)
def _clean_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request activates the language it reads in
    for its thread (as Django's LocaleMiddleware does), and the test client's requests run in
    the tests' thread, so code a test calls afterwards would otherwise speak that language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def eager_retries():
    """Let eager Celery run retries in turn (as a worker would, without the wait)."""
    from expertconnect.celery import app

    before = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = before


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Lakeside Motors", slug="lakeside")


@pytest.fixture
def service_team(organization):
    return TeamFactory(organization=organization, name="Service", payments_enabled=True)


@pytest.fixture
def parts_team(organization):
    return TeamFactory(organization=organization, name="Parts", payments_enabled=False)


@pytest.fixture
def admin_membership(organization):
    return MembershipFactory(
        organization=organization, role=Role.ADMIN, user__email="admin@lakeside.test"
    )


@pytest.fixture
def manager_membership(organization, service_team):
    membership = MembershipFactory(
        organization=organization, role=Role.MANAGER, user__email="manager@lakeside.test"
    )
    service_team.members.add(membership)
    return membership


@pytest.fixture
def advisor_membership(organization, service_team):
    membership = MembershipFactory(
        organization=organization, role=Role.ADVISOR, user__email="advisor@lakeside.test"
    )
    service_team.members.add(membership)
    return membership


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Hilltop Auto", slug="hilltop")


@pytest.fixture
def outsider_membership(other_organization):
    """An admin of another dealership: must see nothing of ours."""
    return MembershipFactory(
        organization=other_organization, role=Role.ADMIN, user__email="admin@hilltop.test"
    )


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client


@pytest.fixture
def manager_client(client, manager_membership):
    client.force_login(manager_membership.user)
    return client


@pytest.fixture
def advisor_client(client, advisor_membership):
    client.force_login(advisor_membership.user)
    return client


@pytest.fixture
def own_redis():
    """A Redis server of the test's own, to stop or make refuse writes (tests/redis_server.py)."""
    from tests.redis_server import own_redis_server

    yield from own_redis_server()
