"""The demo (DEBUG on) shows the product's own 404 and 500 pages to people not signed in."""

import pytest
from django.test import Client

from payments.requests import public as requests_public

pytestmark = pytest.mark.django_db

DEBUG_PAGE = "Using the URLconf defined in"  # Django's technical 404: the whole URL list


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.parametrize("path", ["/p/mistyped-link/", "/p/mistyped-link", "/no-such-page/"])
def test_a_mistyped_link_shows_the_products_404_in_the_demo(client, debug, path):
    response = client.get(path, follow=True)
    page = response.content.decode()
    assert response.status_code == 404
    assert DEBUG_PAGE not in page and "urlpatterns" not in page
    assert "<title>" in page and "Page not found" in page


def test_staff_signed_in_to_the_demo_keep_the_debug_page(admin_client, debug):
    response = admin_client.get("/no-such-page/")
    assert response.status_code == 404
    assert DEBUG_PAGE in response.content.decode()


def test_a_crash_on_a_public_page_shows_the_products_500_in_the_demo(debug, monkeypatch, caplog):
    def crash(request, token):
        raise RuntimeError("secret detail of the crash")

    monkeypatch.setattr(requests_public, "_request_for", crash)
    response = Client(raise_request_exception=False).get("/p/some-token/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "secret detail of the crash" not in page and "Traceback" not in page
    assert "secret detail of the crash" in caplog.text  # the log has it
