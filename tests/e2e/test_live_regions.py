"""The parts of a page that refresh themselves say so politely: a refresh that brings what the
page shows already changes nothing (not swapped, nothing announced); a new text from the
customer is swapped in and announced once, in the page's polite live region."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tickets import services as ticket_services
from tickets.models import Ticket

pytestmark = pytest.mark.e2e


def test_a_ticket_announces_a_new_text_once_and_nothing_on_a_poll_that_brings_nothing(
    page: Page, demo, login
):
    ticket = Ticket.objects.get(organization__slug=demo, customer__name="Casey Driver")
    login(page, "advisor@demo.test")
    page.goto(f"/o/{demo}/tickets/{ticket.pk}/")
    announcer = page.locator("#live-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    page.evaluate("document.getElementById('timeline').dataset.seen = 'yes'")
    polls = []
    page.on("response", lambda r: polls.append(r) if f"/tickets/{ticket.pk}/" in r.url else None)

    page.wait_for_timeout(4_800)  # one poll (every 4 s) that brings the same conversation
    assert polls, "the conversation did not refresh itself"
    assert page.evaluate("document.getElementById('timeline').dataset.seen") == "yes"
    expect(announcer).to_have_text("")

    ticket_services.timeline_add(ticket=ticket, kind="inbound", body="Is it ready yet?")

    expect(page.locator("#timeline")).to_contain_text("Is it ready yet?", timeout=10_000)
    expect(announcer).to_have_text("New text from Casey Driver.")
    assert page.evaluate("document.getElementById('timeline').dataset.seen") is None
