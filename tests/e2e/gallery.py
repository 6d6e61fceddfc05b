"""`make screenshots`: every page, for each role, at 1280x800 and 390x844, from the demo data.

Run as ``python -m tests.e2e.gallery`` (not a test: pytest collects ``test_*.py`` only). It
migrates and seeds the demo dealership (``seed_demo``, with its three weeks of history), serves
the app on a free port (``runserver``, tasks inline), signs in as each demo login through the
real login page and takes a full-page screenshot of every page of ``tests/e2e/pages.py`` that
role may open, at both widths; customer pages without signing in, and the demo gateway's
checkout behind Pay. So that the customer has something to pay, the advisor first asks Casey
Driver for one payment on the demo ticket (once). Pictures go to the git-ignored
``screenshots/<role>/<width>/<name>.png``, with the overflows ``tests/e2e/layout.py`` finds in
``screenshots/layout.txt`` and the server's output in ``screenshots/server.log``; the four the
README shows are taken again, first screen only, into ``docs/screenshots/``.

With ``DATABASE_URL`` unset it starts the embedded PostgreSQL (``expertconnect/embedded_db.py``)
and uses a database of its own on it, ``expertconnect_gallery``, created afresh each run so the
history is dated from today; a ``make demo`` running on the same server is left alone, and the
server is stopped at the end only when this run started it. Any page answering an error status
(or an htmx part of it) makes the command exit 1. ``GALLERY_PORT`` picks the port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "screenshots"
README_DIR = BASE_DIR / "docs" / "screenshots"
PYTHON = sys.executable
GALLERY_DB = "expertconnect_gallery"
ORG = "demo-motors"
PASSWORD = "demo-dealer-2026"  # the demo's, as seed_demo sets it
LOGINS = {
    "admin": "admin@demo.test",
    "manager": "manager@demo.test",
    "advisor": "advisor@demo.test",
}
SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
WIDTHS: dict[str, dict[str, Any]] = {
    "1280": {"viewport": {"width": 1280, "height": 800}},
    "390": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
# The README's four: (file in docs/screenshots/, role, width, page name).
README_SHOTS = [
    ("ticket.png", "advisor", "1280", "ticket"),
    ("customer-phone.png", "customer", "390", "customer-request"),
    ("payments.png", "manager", "1280", "payments"),
    ("admin.png", "admin", "1280", "admin"),
]
# Pages meant to answer an error (the customer's unknown link).
EXPECTED_STATUS = {"customer-404": 404}
# htmx parts still on their way (hx-trigger="load" panels, swaps settling).
HTMX_BUSY = "document.querySelectorAll('.htmx-request, .htmx-settling, .htmx-swapping').length"


@dataclass
class Run:
    shots: int = 0
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    layout: dict[str, list[str]] = field(default_factory=dict)  # tests/e2e/layout.py's findings


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)  # noqa: S603


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database() -> Iterator[None]:
    """DATABASE_URL as given, or a fresh database of our own on the embedded PostgreSQL."""
    if os.environ.get("DATABASE_URL"):
        yield
        return
    from expertconnect import embedded_db

    server = embedded_db.start()
    try:
        server.psql(f'DROP DATABASE IF EXISTS "{GALLERY_DB}" WITH (FORCE);')
        db = embedded_db.database_settings(name=GALLERY_DB)
        os.environ["DATABASE_URL"] = (
            f"postgres://postgres@/{GALLERY_DB}?host={db['HOST']}&port={db['PORT']}"
        )
        print(f"Embedded PostgreSQL ({embedded_db.DATA_DIR}), database {GALLERY_DB}")
        yield
    finally:
        embedded_db.stop_if_started_here()


@contextmanager
def web_server(port: int) -> Iterator[str]:
    """``runserver`` in a child process, its output in screenshots/server.log."""
    url = f"http://127.0.0.1:{port}"
    log = (OUT / "server.log").open("w")
    child = subprocess.Popen(  # noqa: S603
        [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env={**os.environ, "SITE_URL": url},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health/", timeout=2):  # noqa: S310
                    break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the web server did not start: see {log.name}") from None
                time.sleep(0.3)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
        log.close()


def open_request_for_the_demo_ticket() -> None:
    """The customer's page needs a request still to pay: the advisor asks Casey Driver for one
    on the demo ticket (once; texted to the console like any request)."""
    from accounts.models import User
    from payments.models import PaymentRequest
    from payments.requests.services import payment_request_create
    from tickets.models import Ticket

    ticket = Ticket.objects.get(organization__slug=ORG, subject="F-150 service")
    if not PaymentRequest.objects.filter(ticket=ticket, status="open").exists():
        payment_request_create(
            ticket=ticket,
            actor=User.objects.get(email=LOGINS["advisor"]),
            amount_cents=48_650,
            description="F-150 60k mile service",
            reference="RO-4411",
            submission_key=f"gallery-{time.time_ns()}",
        )


def settle(page: Any) -> None:
    """Wait for the page's htmx parts (``hx-trigger="load"`` panels) to arrive and settle, and
    for its fonts: no htmx request under way, twice, 150 ms apart. Polled from here, since the
    pages' Content-Security-Policy forbids the eval that ``wait_for_function`` needs."""
    for _ in range(2):
        deadline = time.monotonic() + 10
        while page.evaluate(HTMX_BUSY) and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        page.wait_for_timeout(150)
    page.evaluate("document.fonts.ready")


def shoot(page: Any, base: str, gallery_page: Any, role: str, width: str, run: Run) -> None:
    """One page, full length, into screenshots/<role>/<width>/<name>.png (and, for the README's
    four, its first screen into docs/screenshots/); what went wrong goes to ``run.errors``."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.e2e.layout import layout_problems

    where = f"{role}/{width}/{gallery_page.name} ({gallery_page.path})"
    failed: list[str] = []

    def on_response(response: Any) -> None:
        if (
            response.status >= 400
            and response.url.startswith(base)
            and not response.request.is_navigation_request()
        ):
            failed.append(f"{response.status} {response.url.removeprefix(base)}")

    page.on("response", on_response)
    began = time.monotonic()
    try:
        response = page.goto(base + gallery_page.path, wait_until="load")
        settle(page)
        expected = EXPECTED_STATUS.get(gallery_page.name, 200)
        if response is None:
            run.errors.append(f"{where}: no response")
        elif response.status != expected:
            run.errors.append(f"{where}: answered {response.status}, not {expected}")
        elif "/accounts/login/" in page.url and role != "customer":
            run.errors.append(f"{where}: sent to the login page")
        for item in dict.fromkeys(failed):
            run.errors.append(f"{where}: {item}")
        if problems := layout_problems(page):
            run.layout[where] = problems
        target = OUT / role / width / f"{gallery_page.name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True, animations="disabled")
        run.shots += 1
        if os.environ.get("GALLERY_TIMES"):
            print(f"    {time.monotonic() - began:5.1f}s {role}/{width}/{gallery_page.name}")
        for readme_name, readme_role, readme_width, name in README_SHOTS:
            if (readme_role, readme_width, name) == (role, width, gallery_page.name):
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(README_DIR / readme_name), animations="disabled")
    except PlaywrightError as error:  # a page that never loads: the others are still taken
        run.errors.append(f"{where}: {error.message.splitlines()[0]}")
    finally:
        page.remove_listener("response", on_response)


def checkout(page: Any, base: str, pages: list[Any], width: str, run: Run) -> None:
    """The demo gateway's hosted checkout: the customer presses Pay on the open request (the
    same session however often it is pressed) and sees the Stripe stand-in's card form."""
    request = next((p for p in pages if p.name == "customer-request"), None)
    if request is None:
        run.missing.append("no customer-request page: no demo checkout shot")
        return
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(base + request.path)
        # Pay, pressed from this page's own form (its cookies and CSRF token), read without
        # following: a request pressed in an earlier run (DATABASE_URL kept) keeps its session,
        # whose address names that run's server. The same page, on this one.
        form = page.locator("form[action$='/pay/']").first
        pressed = page.request.post(
            urljoin(page.url, form.get_attribute("action") or ""),
            form={"csrfmiddlewaretoken": form.locator("[name=csrfmiddlewaretoken]").input_value()},
            max_redirects=0,
        )
        location = urlsplit(pressed.headers.get("location", ""))
        if not location.path.startswith("/demo-stripe/checkout/"):
            where = location.geturl() or f"{pressed.status}, no redirect"
            run.errors.append(f"customer/{width}/demo-checkout: Pay led to {where}")
            return
        page.goto(f"{base}{location.path}?{location.query}")
        settle(page)
        page.screenshot(
            path=str(OUT / "customer" / width / "demo-checkout.png"),
            full_page=True,
            animations="disabled",
        )
    except PlaywrightError as error:
        run.errors.append(f"customer/{width}/demo-checkout: {str(error).splitlines()[0]}")
        return
    run.shots += 1


def sign_in(browser: Any, base: str, role: str) -> Any:
    context = browser.new_context(base_url=base, locale="en-US", **WIDTHS["1280"])
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(LOGINS[role])
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"{LOGINS[role]} could not sign in")
    state = context.storage_state()
    context.close()
    return state


def photograph(base: str, pages: list[Any], run: Run) -> None:
    from playwright.sync_api import sync_playwright

    launch: dict[str, Any] = {"args": CHROMIUM_ARGS}
    if os.path.exists(SYSTEM_CHROMIUM):
        launch["executable_path"] = SYSTEM_CHROMIUM
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch)
        try:
            for role in [*LOGINS, "customer"]:
                mine = [p for p in pages if role in p.roles]
                if not mine:
                    run.missing.append(f"no page for {role}")
                    continue
                state = sign_in(browser, base, role) if role in LOGINS else None
                for width, options in WIDTHS.items():
                    context = browser.new_context(locale="en-US", storage_state=state, **options)
                    page = context.new_page()
                    for gallery_page in mine:
                        shoot(page, base, gallery_page, role, width, run)
                    if role == "customer":
                        checkout(page, base, pages, width, run)
                    context.close()
                print(f"  {role}: {len(mine)} pages x {len(WIDTHS)} widths")
        finally:
            browser.close()


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "expertconnect.settings.dev")
    sys.path.insert(0, str(BASE_DIR))
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    port = int(os.environ.get("GALLERY_PORT") or free_port())
    # Links in the seeded texts read as in `make demo`; the server's own (its checkout's
    # return pages, the demo gateway's webhooks) point at itself.
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
    os.environ["CONN_MAX_AGE"] = "0"
    os.environ["REDIS_URL"] = ""  # tasks inline, as in `make demo` without Redis: no worker needed
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    README_DIR.mkdir(parents=True, exist_ok=True)
    run = Run()
    with database():
        manage("migrate", "--noinput", "-v", "0")
        seeded = time.monotonic()
        manage("seed_demo")
        print(f"seed_demo took {time.monotonic() - seeded:.1f}s")
        import django

        django.setup()
        open_request_for_the_demo_ticket()
        from tests.e2e.pages import demo_pages

        pages = demo_pages(ORG)
        from django.db import connections

        connections.close_all()
        with web_server(port) as base:
            print(f"Serving {base}; photographing {len(pages)} pages")
            photograph(base, pages, run)
    for readme_name, role, width, name in README_SHOTS:
        if not (OUT / role / width / f"{name}.png").exists():
            run.missing.append(f"docs/screenshots/{readme_name}: no {role} page {name!r}")
    elapsed = time.monotonic() - started
    print(f"\n{run.shots} screenshots in {OUT.relative_to(BASE_DIR)}/ in {elapsed:.0f}s")
    print(f"README images in {README_DIR.relative_to(BASE_DIR)}/")
    if run.layout:
        report = OUT / "layout.txt"
        report.write_text(
            "".join(
                f"{where}\n" + "".join(f"  {p}\n" for p in found) + "\n"
                for where, found in run.layout.items()
            )
        )
        print(f"{len(run.layout)} shots with layout warnings (tests/e2e/layout.py): see {report}")
    for line in run.missing:
        print(f"MISSING {line}")
    for line in run.errors:
        print(f"ERROR {line}")
    return 1 if run.errors or run.missing else 0


if __name__ == "__main__":
    sys.exit(main())
