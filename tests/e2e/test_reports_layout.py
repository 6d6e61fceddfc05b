"""The Reports table keeps every date and amount on one line (issue 14).

A week of the demo's history, its daily reports built, read by the admin in English and in
Canadian French on a laptop (1280 by 800) and a phone (390 by 844). The table may scroll
sideways inside its card (``.table-responsive``) but may not squeeze: no day, amount or time
may wrap onto a second line, and nothing may overflow (``tests.e2e.layout``). On the laptop
it fits whole: the headings name the currency once, the cells carry the numbers alone. Each
view is kept as a full-page screenshot in tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from payments.management import demo_history
from teams.models import Organization, Team
from tests.e2e.layout import VIEWPORTS, layout_problems, screenshot

pytestmark = pytest.mark.e2e

# Every text in a cell of the table stays on one line: the day, the amounts, the time.
_WRAPPED = r"""
() => {
  const wrapped = [];
  const heads = [...document.querySelectorAll("#daily-reports thead th")]
    .map((th) => th.innerText.replace(/\s+/g, " ").trim());
  for (const cell of document.querySelectorAll("#daily-reports tbody td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
        .map((r) => Math.round(r.top)));
      if (tops.size > 1) wrapped.push(`${heads[cell.cellIndex]} «${node.data.trim()}»`);
    }
  }
  return wrapped;
}
"""


@pytest.fixture
def reports(request, settings, live_server):
    settings.SITE_URL = live_server.url  # the demo's webhooks reach this server
    demo = request.getfixturevalue("demo")
    organization = Organization.objects.get(slug=demo)
    service = Team.objects.get(organization=organization, name="Service")
    demo_history.seed(organization=organization, team=service, days=7)
    demo_history.build_reports(organization=organization, days=7)
    assert organization.daily_reports.exists()
    return reverse("report_list", args=[demo])


@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_the_reports_table_never_wraps_a_date_or_an_amount(page: Page, reports, login, language):
    User.objects.filter(email="admin@demo.test").update(language=language)
    login(page, "admin@demo.test")
    problems = []
    for device, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.goto(reports)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#daily-reports tbody tr").first).to_be_visible()
        screenshot(page, f"reports-{language}-{device}")
        problems += [f"{device}: {p} wraps" for p in page.evaluate(_WRAPPED)]
        if device == "desktop":  # a laptop shows the whole table, not a scroller
            shown, width = page.locator("#daily-reports .table-responsive").evaluate(
                "(box) => [box.clientWidth, box.scrollWidth]"
            )
            if width > shown + 1:
                problems.append(f"desktop: the table is {width}px wide in a {shown}px card")
        problems += [f"{device}: {p}" for p in layout_problems(page)]
    assert not problems, f"the Reports table in {language}:\n  " + "\n  ".join(problems)
