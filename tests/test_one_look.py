"""One look on every page: the status badge, the amount, the time and the empty state are the
components of accounts/ui.py (``{% load ui %}``), and every table scrolls in its holder with
its first column fixed on a phone. Read from the templates, so a page that writes its own
badge, amount or time fails here before anyone sees it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# E-mails carry their own inline styles (no stylesheet reaches a mail client); the demo's
# pages stand in for Stripe's own, which look like Stripe.
OWN_LOOK = ("payments/email/", "payments/demo/", "teams/invitation_email.html")
COMPONENTS = {"components/_empty.html", "allauth/elements/badge.html"}


def pages() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not str(path.relative_to(TEMPLATES)).startswith(OWN_LOOK)
        and str(path.relative_to(TEMPLATES)) not in COMPONENTS
    ]


def offences(pattern: str) -> list[str]:
    found = []
    for path in pages():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}")
    return found


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("a badge of its own ({% badge %})", r'class="badge\b'),
        ("an empty state of its own ({% empty_state %})", r'class="app-empty'),
        ("an amount printed bare ({% amount %})", r"\{\{ [\w.]+\|money:"),
        ("a time printed bare ({% timestamp %})", r"\{\{ [\w.|:\"]+\|local_time"),
        ("a time element of its own ({% timestamp %})", r"<time\b(?![^>]*\{\{ paid_at_iso)"),
        ("an amount in monospace ({% amount %})", r"font-monospace[^>]*>\{% amount"),
    ],
)
def test_pages_use_the_one_component(what, pattern):
    assert not offences(pattern), f"{what}: {offences(pattern)}"


def test_every_table_is_an_app_table_in_a_holder_that_scrolls():
    wrong = []
    for path in pages():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if '<table class="table' not in line:
                continue
            if "app-table" not in line or "table-responsive" not in lines[number - 2]:
                wrong.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not wrong, wrong


def test_the_checks_find_what_they_look_for(tmp_path, monkeypatch):
    """The patterns are not vacuous: a page with each fault is found."""
    page = tmp_path / "tickets" / "bad.html"
    page.parent.mkdir()
    page.write_text(
        '<span class="badge text-bg-success">Paid</span>\n'
        "{{ payment.amount_cents|money:payment.currency }}\n"
        "{{ payment.paid_at|local_time:zone }}\n"
        '<div class="table-wrapper">\n<table class="table">\n'
    )
    monkeypatch.setattr(f"{__name__}.TEMPLATES", tmp_path)
    assert offences(r'class="badge\b') == ["tickets/bad.html:1"]
    assert offences(r"\{\{ [\w.]+\|money:") == ["tickets/bad.html:2"]
    assert offences(r"\{\{ [\w.|:\"]+\|local_time") == ["tickets/bad.html:3"]
    with pytest.raises(AssertionError):
        test_every_table_is_an_app_table_in_a_holder_that_scrolls()
