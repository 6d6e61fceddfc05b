"""Nothing is left in English by accident: every page a signed-in person can open, every e-mail
the product sends and every text it sends a customer, rendered in each language the reader may
have, shows no English word that its English rendering shows too, other than the product's
data (names, descriptions, amounts, dates, codes) and the names of products and companies.

Staff pages and e-mails are checked in Canadian French and Spanish; the customer's pages and
texts in the seven customer languages. The check reads what a person sees: the text of the page
(not its scripts or styles), its title, and the placeholder, aria-label, alt, title and
hx-confirm attributes and the value of input buttons."""

from __future__ import annotations

import gettext
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.internal.flows import login as login_flow
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template import Context, Template
from django.test import Client, TestCase
from django.test.utils import _TestState
from django.urls import get_resolver
from django.utils import timezone, translation
from django.utils.translation import trans_real
from django.views import defaults
from django_countries import countries
from localflavor.ca.ca_provinces import PROVINCE_CHOICES
from localflavor.us.us_states import US_STATES

from accounts import sms
from accounts.languages import AUTONYMS, CUSTOMER_LANGUAGES, stripe_locale
from payments.connect import services as connect_services
from payments.gateway import GatewayError
from payments.gateway.base import NewCheckout
from payments.gateway.demo.gateway import DemoGateway
from payments.management import demo_history
from payments.models import (
    DailyReport,
    DemoStripeCheckout,
    PaymentRequest,
    Payout,
    PayoutNotification,
    StripeReportRun,
)
from payments.models.payouts import PAYMENT_OF_CHARGE, REFUND_OF, PayoutLine
from payments.models.reports import STRIPE_TOOK_TOO_LONG
from payments.movements import charge_recorded
from payments.payouts import services as payouts_services
from payments.refunds import services as refunds_services
from payments.reports import services as reports_services
from payments.requests import checkout as requests_checkout
from payments.requests import public as requests_public
from payments.requests import reminders
from payments.requests import services as requests_services
from teams import services as team_services
from tests.factories import (
    PASSWORD,
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)
from tickets import services as ticket_services
from tickets.models import EVENT_LABELS, Customer, TeamNumber, TimelineEntry

STAFF_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
CUSTOMER_ONLY = [code for code in CUSTOMER_LANGUAGES if code != "en"]

# The checker ---------------------------------------------------------------------------------

SKIPPED_ELEMENTS = {"script", "style"}
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "hx-confirm")
BUTTON_INPUTS = {"submit", "button", "reset"}


class _VisibleText(HTMLParser):
    """The pieces of text a person reads or hears on a page, in order; but not a ``<span>``
    that says it is in a language of its own (``lang``): a text as the customer got it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fragments: list[str] = []
        self._skipping = 0
        self._foreign = 0  # the depth of spans inside a span with its own lang

    def _add(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        if text:
            self.fragments.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        values = dict(attrs)
        if tag == "span" and (self._foreign or values.get("lang")):
            self._foreign += 1
        for name in SHOWN_ATTRIBUTES:
            self._add(values.get(name))
        if tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS:
            self._add(values.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1
        if tag == "span" and self._foreign:
            self._foreign -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and not self._foreign:
            self._add(data)


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.fragments


def text_lines(text: str) -> list[str]:
    """A plain-text e-mail or SMS, as its lines."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


WORD = re.compile(r"\w+")


def latin_words(text: str) -> list[str]:
    """The words of ``text`` written in ASCII letters only, two letters or more ("Reçu" is no
    English word, nor a piece of one)."""
    return [
        word for word in WORD.findall(text) if len(word) > 1 and word.isascii() and word.isalpha()
    ]


@cache
def vocabulary(language: str) -> frozenset[str]:
    """Every word (lower case) of the translations into ``language`` the site uses: ours,
    and Django's and its apps' (allauth's...). A word a translation uses is no sign of English
    left: French says "Description" and "Total", German "Team" and "Status". An entry of
    another app's catalog "translated" by its English text says nothing of the language, and
    is left out unless it is a name ("Texas", "Sri Lanka"); ours are all reviewed, and stay."""
    found = gettext.find(
        "django", settings.LOCALE_PATHS[0], languages=[translation.to_locale(language)]
    )
    assert found, f"no {language} catalog compiled: run make messages"
    with open(found, "rb") as mo:
        ours = gettext.GNUTranslations(mo)
    merged = trans_real.translation(language)._catalog  # that language's own, no fallback
    texts = [str(msgstr) for msgstr in ours._catalog.values()]  # type: ignore[attr-defined]
    for msgid, msgstr in merged.items():
        text = str(msgstr)
        english = msgid[0] if isinstance(msgid, tuple) else msgid
        if text != english or (text[:1].isupper() and len(text.split()) <= 3):
            texts.append(text)
    return frozenset(
        word.lower() for text in texts for word in WORD.findall(NOT_WORDS.sub(" ", text))
    )


# In a translation, what is no word of its language: placeholders, tags, links and code
# ("payout.paid", "REDIS_URL").
NOT_WORDS = re.compile(r"%\(\w+\)\w|\{[^{}]*\}|<[^<>]*>|https?://\S+|\b\w+(?:[._]\w+)+\b")


# What a page may show untranslated: the product's and other companies' names, and the data.
NAMES = [
    settings.SITE_NAME,
    "Stripe Express",
    "Stripe",
    "Twilio",
    "Visa",
    "Mastercard",
    "Amex",
    "American Express",
    "Excel",
    "CSV",
    "XLSX",
    *AUTONYMS.values(),
]
# Codes and figures, whatever the language: e-mail addresses, links, Stripe ids, zone names,
# currency and zone abbreviations, document numbers; US-style dates and times (the formats are
# the formatting code's business, not this test's: a date written the same in both languages
# is no English sentence).
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?"
DATA_PATTERNS = [
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail address
    r"https?://\S+",  # link
    r"/\S*",  # path
    r"\b[a-z]+(?:_[A-Za-z0-9]+)+\b",  # Stripe id: acct_..., po_..., ch_...
    r"\b[a-z]+(?:\.[a-z_]+)+\b",  # Stripe's event types: payout.paid
    r"\bGMT[+-]\d\d:\d\d .*",  # a time zone in a menu: "GMT-05:00 America/New York"
    r"\b[A-Z][A-Za-z]+/[A-Z][A-Za-z_]+\b",  # zone name: America/Chicago
    rf"\b{WEEKDAY},? {MONTH} \d{{1,2}}\b",
    rf"\b{MONTH} \d{{1,2}}(?:, \d{{4}})?\b",
    rf"\b{MONTH} \d{{4}}\b",
    r"\b\d{1,2}(?::\d{2})? ?(?:AM|PM|a\.m\.|p\.m\.)",
    r"\b(?:UTC|GMT|CST|CDT|EST|EDT|MST|MDT|PST|PDT|[A-Z]{2,4}[+-]\d+)\b",
    r"\b(?:USD|CAD|usd|cad)\b",
    r"\b[A-Z]{1,4}-\d[\w-]*",  # RO-4411, R-000012
    r"\b\w*\d\w*\b",  # anything with a digit: 1st, 4242, cs_test_...
]
DATA_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in DATA_PATTERNS))


@cache
def place_names() -> frozenset[str]:
    """Countries, provinces and states, as English names them (lower case): many are named so
    in other languages too ("Texas", "Portugal"), and a name is no sentence left in English.
    They show as menus' options: a whole piece of text."""
    with translation.override("en"):
        names = (name for _code, name in (*countries, *PROVINCE_CHOICES, *US_STATES))
        return frozenset(str(name).lower() for name in names)


@cache
def _names_pattern(allowed: tuple[str, ...]) -> re.Pattern[str]:
    names = sorted({name for name in (*NAMES, *allowed) if name}, key=len, reverse=True)
    either = "|".join(re.escape(name) for name in names)
    # Whole words only: the team "Parts" is no reason to let "departs" through.
    return re.compile(rf"(?<!\w)(?:{either})(?!\w)", re.IGNORECASE)


@dataclass
class Checker:
    """Finds, in a rendering into ``language``, each piece of text that holds an English word
    the English rendering of the same page shows too, once the allowed names and data are
    taken out, and that no translation into ``language`` uses."""

    language: str
    allowed: list[str] = field(default_factory=list)

    def _words(self, fragment: str) -> list[str]:
        """The fragment's words, without the names and the data it holds."""
        if fragment.lower() in place_names():
            return []
        # A name leaves a mark, not a space: "http://testserver/x/" stays one link.
        named = _names_pattern(tuple(self.allowed)).sub("¤", fragment)
        return latin_words(DATA_PATTERN.sub(" ", named))

    def english_words(self, fragments: list[str]) -> frozenset[str]:
        return frozenset(word.lower() for fragment in fragments for word in self._words(fragment))

    def untranslated(
        self, fragments: list[str], english: list[str] | frozenset[str]
    ) -> dict[str, list[str]]:
        """Each fragment left (partly) in English, with the words that tell; ``english`` is
        the English rendering, or its words (``english_words``)."""
        in_english = english if isinstance(english, frozenset) else self.english_words(english)
        known = vocabulary(self.language)
        found = {}
        for fragment in dict.fromkeys(fragments):
            words = [
                word
                for word in self._words(fragment)
                if word.lower() in in_english and word.lower() not in known
            ]
            if words:
                found[fragment] = list(dict.fromkeys(words))
        return found


# The dataset: one dealership with everything each page can show ----------------------------

ORG = "lakeside"
PEOPLE = {
    # role: (full name, e-mail, mobile phone, teams)
    "admin": ("Alex Admin", "admin@lakeside.test", "+13125550101", []),
    "manager": ("Morgan Manager", "manager@lakeside.test", "+13125550102", ["Service"]),
    "advisor": ("Avery Advisor", "advisor@lakeside.test", "+13125550103", ["Service", "Parts"]),
}
ROLES = list(PEOPLE)
DANA = ("Dana Driver", "+13125550143")
CASEY = ("Casey Carter", "+13125550188")
CONVERSATION = [
    ("outbound", "Hi Dana, your brakes are done and the car is ready for pickup."),
    ("inbound", "Great, thanks! Can I pay before I come in?"),
]
INVITEES = ["Riley Reed", "Jamie Jones", "Taylor Tran", "Quinn Quist", "Sky Silva"]
STAFF_NAMES = [
    *(name for name, *_rest in PEOPLE.values()),
    "Harper Hill",  # Hilltop Auto's admin
    "Sam Tremblay",  # Maple Garage's admin
    "Olivia Operator",  # runs the site (Django's admin)
]
# Typed by the dealership's people or given by Stripe: shown as they are, in any language.
DATA = [
    "Lakeside Motors",
    "Hilltop Auto",
    "Maple Garage",
    "Service",
    "Parts",
    *STAFF_NAMES,
    *(name.split()[0] for name in STAFF_NAMES),  # "Welcome, Alex"
    DANA[0],
    CASEY[0],
    *INVITEES,
    *(body for _kind, body in CONVERSATION),
    "Brakes",
    "Brake service",
    "Tire rotation",
    "Oil change",
    "Wheel alignment",
    "Your card has insufficient funds.",  # Stripe's own message (Stripe writes it in English)
    "STOP",
    "testserver",  # the site's host name, which allauth's e-mails greet with
]


def _dataset() -> SimpleNamespace:
    """Lakeside Motors (US, Chicago), connected to Stripe (the demo gateway): an admin, a
    manager and an advisor, a payments team and one without; Dana's ticket with a
    conversation, requests open, paid, refunded, disputed and cancelled and every kind of
    timeline event; Casey, who replied STOP; three weeks of history (payments, refunds,
    payouts, daily reports, one revised); Stripe report runs; invitations in every state."""
    d = SimpleNamespace()
    d.organization = OrganizationFactory(name="Lakeside Motors", slug=ORG)
    d.teams = {
        "Service": TeamFactory(organization=d.organization, name="Service", payments_enabled=True),
        "Parts": TeamFactory(organization=d.organization, name="Parts", payments_enabled=False),
    }
    TeamNumber.objects.create(team=d.teams["Service"], number="+13125550100")
    d.members = {}
    for role, (full_name, email, phone, teams) in PEOPLE.items():
        membership = MembershipFactory(
            organization=d.organization,
            role=role,
            user__full_name=full_name,
            user__email=email,
            user__mobile_phone=phone,
        )
        for name in teams:
            d.teams[name].members.add(membership)
        d.members[role] = membership
    admin, manager, advisor = (d.members[role].user for role in ROLES)
    d.operator = UserFactory(full_name="Olivia Operator", email="ops@expertconnect.test")
    d.operator.is_staff = True
    d.operator.save(update_fields=["is_staff"])
    # Two other dealerships: one in the UK (no payments there), one in Canada that has not
    # finished Stripe's onboarding (Stripe still needs things).
    d.outsider = MembershipFactory(
        organization=OrganizationFactory(
            name="Hilltop Auto", slug="hilltop", country="GB", time_zone="Europe/London"
        ),
        role="admin",
        user__full_name="Harper Hill",
        user__email="admin@hilltop.test",
    )
    d.maple = MembershipFactory(
        organization=OrganizationFactory(
            name="Maple Garage", slug="maple", country="CA", time_zone="America/Toronto"
        ),
        role="admin",
        user__full_name="Sam Tremblay",
        user__email="admin@maple.test",
    )

    with TestCase.captureOnCommitCallbacks(execute=False):
        account = connect_services.connected_account_start(organization=d.organization, actor=admin)
        DemoGateway().complete_onboarding(
            account.stripe_account_id, business_name="Lakeside Motors", finish=True
        )
        d.account = connect_services.connected_account_refresh(account=account)
        connect_services.payout_recipients_set(
            account=d.account, actor=admin, members=[d.members["admin"], d.members["manager"]]
        )
        unfinished = connect_services.connected_account_start(
            organization=d.maple.organization, actor=d.maple.user
        )
        DemoGateway().complete_onboarding(
            unfinished.stripe_account_id, business_name="Maple Garage", finish=False
        )
        connect_services.connected_account_refresh(account=unfinished)

        # Dana's ticket: a conversation, and a request in every state.
        dana = ticket_services.customer_get_or_create(
            organization=d.organization, name=DANA[0], mobile_phone=DANA[1]
        )
        d.ticket = ticket_services.ticket_open(
            organization=d.organization,
            team=d.teams["Service"],
            customer=dana,
            advisor=d.members["advisor"],
            subject="Brakes",
        )
        for kind, body in CONVERSATION:
            if kind == "outbound":
                ticket_services.ticket_send_message(ticket=d.ticket, actor=advisor, body=body)
            else:
                ticket_services.timeline_add(ticket=d.ticket, kind=kind, body=body)

        def request(amount: int, description: str, reference: str = "RO-4411"):
            return requests_services.payment_request_create(
                ticket=d.ticket,
                actor=advisor,
                amount_cents=amount,
                description=description,
                reference=reference,
            )

        d.open = request(123_456, "Brake service")
        d.paid = request(45_000, "Tire rotation", "RO-4412")
        d.refunded = request(9_999, "Oil change", "")
        d.disputed = request(30_000, "Wheel alignment", "RO-4413")
        d.cancelled = request(5_000, "Oil change", "RO-4414")
        d.expired = request(7_500, "Wheel alignment", "RO-4415")
        site = settings.SITE_URL
        for paying in (d.paid, d.refunded, d.disputed, d.expired):
            requests_checkout.payment_request_checkout(
                payment_request=paying,
                success_url=site + "/success/?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=site + "/cancel/",
            )
            paying.refresh_from_db()
            if paying is d.expired:  # never paid: its Checkout expired
                DemoGateway().expire_checkout_session(paying.checkout_session_id)
                PaymentRequest.objects.filter(pk=paying.pk).update(
                    checkout_expires_at=timezone.now() - timedelta(hours=1)
                )
                continue
            DemoGateway().pay_checkout(paying.checkout_session_id, card_number="4242424242424242")
            requests_checkout.payment_request_sync_session(
                payment_request=paying,
                session=DemoGateway().retrieve_checkout_session(paying.checkout_session_id),
            )
        refund = refunds_services.refund_request(payment=d.refunded, actor=manager)
        refunds_services.refund_apply(  # Stripe's refund.updated: it succeeded
            refund=refund,
            obj={"id": refund.stripe_refund_id, "status": "succeeded"},
            at=timezone.now(),
        )
        PaymentRequest.objects.filter(pk=d.disputed.pk).update(
            status=PaymentRequest.Status.DISPUTED, disputed_at=timezone.now()
        )
        requests_checkout.payment_request_cancel(payment_request=d.cancelled, actor=advisor)
        requests_services.payment_request_mark_opened(payment_request=d.open)
        for each in (d.open, d.paid, d.refunded, d.disputed, d.cancelled, d.expired):
            each.refresh_from_db()
        states = [r.status for r in (d.paid, d.refunded, d.disputed, d.cancelled, d.expired)]
        assert states == ["paid", "refunded", "disputed", "cancelled", "open"]
        data = {"amount_cents": 45_000, "currency": "usd", "description": "Tire rotation"}
        for event in EVENT_LABELS:
            reason = {"reason": "Your card has insufficient funds."} if "failed" in event else {}
            ticket_services.timeline_add(
                ticket=d.ticket,
                kind=TimelineEntry.Kind.EVENT,
                event=event,
                data={**data, **reason},
            )

        # Casey replied STOP, in a team that takes no payments.
        casey = ticket_services.customer_get_or_create(
            organization=d.organization, name=CASEY[0], mobile_phone=CASEY[1]
        )
        d.opted_out_ticket = ticket_services.ticket_open(
            organization=d.organization, team=d.teams["Parts"], customer=casey, advisor=None
        )
        ticket_services.inbound_message(
            to_number="+13125550100", from_number=CASEY[1], body="STOP", provider_id="SM1"
        )
        casey.refresh_from_db()
        d.closed_ticket = ticket_services.ticket_open(
            organization=d.organization, team=d.teams["Parts"], customer=casey, advisor=None
        )
        ticket_services.ticket_close(ticket=d.closed_ticket, actor=advisor)

        # Three weeks of history; a day revised by a late payment; a payout that failed.
        demo_history.seed(organization=d.organization, team=d.teams["Service"], days=21)
        demo_history.build_reports(organization=d.organization, days=21)
        d.report = DailyReport.objects.filter(organization=d.organization).latest("day")
        reports = DailyReport.objects.filter(organization=d.organization).order_by("-day")
        d.report_with_payout = reports.filter(lines__kind="payout").first()
        d.report_with_refund = reports.filter(lines__kind="refund").first()
        if d.report_with_refund is None:  # the history's refunds were today's: Dana's is too
            d.report_with_refund, _built = reports_services.daily_report_build(
                organization=d.organization,
                day=timezone.localdate(timezone=d.organization.time_zone),
            )
        late = PaymentRequest.objects.create(
            organization=d.organization,
            ticket=d.ticket,
            team=d.teams["Service"],
            amount_cents=20_000,
            currency="usd",
            description="Brake service",
            token="late-payment-token",
            fee_cents=680,
            net_cents=19_320,
            status=PaymentRequest.Status.PAID,
            paid_at=d.report.starts_at + timedelta(hours=12),
            payment_intent_id="pi_late",
            charge_id="ch_late",
        )
        charge_recorded(payment=late)
        d.revised, _built = reports_services.daily_report_build(
            organization=d.organization, day=d.report.day
        )
        assert d.revised.revision == 2
        d.payout = Payout.objects.filter(organization=d.organization, lines__isnull=False).first()
        d.failed_payout = Payout.objects.create(
            organization=d.organization,
            stripe_payout_id="po_failed_demo",
            amount_cents=12_345,
            currency="usd",
            arrival_date=timezone.localdate(),
            status="failed",
            failure_message="The bank account has been closed.",
            stripe_created=timezone.now(),
            synced_at=timezone.now(),
        )
        # Its lines, as read from Stripe: a refund of one of ours, and lines Stripe did not
        # describe, of payments not ours.
        for n, (kind, description, payment) in enumerate(
            [
                ("refund", "Refund", d.refunded),
                ("payment", f"{PAYMENT_OF_CHARGE}ch_elsewhere", None),
                ("refund", f"{REFUND_OF}py_older", None),
                ("refund", "Refund", None),
            ]
        ):
            PayoutLine.objects.create(
                payout=d.failed_payout,
                payment=payment,
                kind=kind,
                amount_cents=1_000,
                net_cents=1_000,
                currency="usd",
                stripe_id=f"txn_unmatched_{n}",
                description=description,
                created=timezone.now(),
            )
        d.payout_notices = {
            status: PayoutNotification.objects.create(
                payout=payout, status=status, recipients=["admin@lakeside.test"]
            )
            for status, payout in (("paid", d.payout), ("failed", d.failed_payout))
        }
        day = timezone.now() - timedelta(days=7)
        d.stripe_reports = {
            status: StripeReportRun.objects.create(
                organization=d.organization,
                report_type="balance_change_from_activity.itemized.3",
                interval_start=day,
                interval_end=day + timedelta(days=1),
                status=status,
                error="",  # Stripe gave no reason: the page says it failed
                file_name="balance.csv" if status == "succeeded" else "",
                content="a,b\n1,2\n" if status == "succeeded" else "",
                requested_by=manager,
            )
            for status in StripeReportRun.Status.values
        }
        d.stripe_reports["too long"] = StripeReportRun.objects.create(
            organization=d.organization,
            report_type="payouts.summary.1",
            interval_start=day,
            interval_end=day + timedelta(days=1),
            status=StripeReportRun.Status.FAILED,
            error=STRIPE_TOOK_TOO_LONG,
        )

        # Invitations: open (to a new person and to the outsider), and closed in every way.
        def invite(name: str, **fields):
            return InvitationFactory(
                organization=d.organization,
                full_name=name,
                invited_by=admin,
                teams=[d.teams["Service"]],
                **fields,
            )

        d.invitation = invite(INVITEES[0])
        d.invitation_for_member = invite(INVITEES[1], email="admin@hilltop.test")
        d.closed_invitations = {
            "revoked": invite(INVITEES[2], revoked_at=timezone.now()),
            "expired": invite(INVITEES[3], expires_at=timezone.now() - timedelta(days=1)),
            "accepted": invite(INVITEES[4], accepted_at=timezone.now()),
        }
        # Links to Stripe's pages (the demo's): onboarding, the Express dashboard.
        d.onboarding_path = urlsplit(
            connect_services.onboarding_link(
                account=d.account, refresh_url=site + "/refresh/", return_url=site + "/return/"
            )
        ).path
        dashboard = urlsplit(
            connect_services.express_dashboard_link(account=d.account, actor=admin)
        )
        d.dashboard_path = f"{dashboard.path}?{dashboard.query}"

    # The admin uses two-factor authentication; a link to reset the manager's password.
    TOTP.activate(admin, generate_totp_secret())
    RecoveryCodes.activate(admin)
    key = default_token_generator.make_token(manager)
    d.reset_path = f"/accounts/password/reset/key/{user_pk_to_url_str(manager)}-{key}/"
    d.allowed = [
        *DATA,
        *(name for name, _phone in demo_history.CUSTOMERS),
        *(work for work, _low, _high in demo_history.WORK),
        d.failed_payout.failure_message,
        *(run.report_type for run in d.stripe_reports.values()),
        d.account.stripe_account_id,
    ]
    return d


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker) -> Iterator[SimpleNamespace]:
    """Built once for the module, inside a transaction rolled back at its end (each test runs
    in a savepoint of it, as pytest-django's ``db`` does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        with translation.override("en"):
            d = _dataset()
        yield d
        transaction.set_rollback(True)


# Rendering ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _templates_rendered_as_in_production() -> Iterator[None]:
    """Without the test client's record of every template and context it renders (three
    times faster here, and this module reads only the page)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Template, "_render", _TestState.saved_data.template_render)
        yield


def _get(client: Client, path: str, language: str, *, follow: bool = False):
    return client.get(path, headers={"Accept-Language": language}, follow=follow)


def _open(client: Client, page: Page, path: str, language: str):
    if page.post is None:
        return _get(client, path, language, follow=page.follow)
    return client.post(path, page.post, headers={"Accept-Language": language})


def untranslated_in(
    render: Callable[[str], list[str]], languages: list[str], allowed: list[str]
) -> dict[str, dict[str, list[str]]]:
    """``render(language)`` is the text of a page (or an e-mail, a text) in that language:
    what each of ``languages`` leaves in English, by language (nothing left: {})."""
    english = render("en")
    assert english, "it shows no text at all"
    in_english = Checker("en", allowed).english_words(english)
    found = {}
    for language in languages:
        left = Checker(language, allowed).untranslated(render(language), in_english)
        if left:
            found[language] = left
    return found


def report(found: dict[str, Any]) -> str:
    """What was left in English, one line each: where, the fragment, the English words."""
    lines = []

    def walk(value: Any, where: list[str]) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, [*where, str(key)])
        else:
            *place, fragment = where
            lines.append(f"{' · '.join(place)}: {fragment!r} ({', '.join(value)})")

    walk(found, [])
    return "left in English:\n" + "\n".join(lines)


@dataclass(frozen=True)
class Page:
    """A page of the URLconf (``url_name``), at the path ``path(dataset)`` gives, for
    ``who``: each role that may open it (the roles answered ``status`` in English), or
    nobody signed in (``()``), or someone else (another dealership's admin...)."""

    url_name: str
    path: Callable[[SimpleNamespace], str]
    who: tuple[str, ...] = tuple(ROLES)
    status: int = 200
    follow: bool = False
    post: dict[str, str] | None = None  # a form sent with mistakes: the page with its errors


def o(path: str) -> Callable[[SimpleNamespace], str]:
    return lambda d: f"/o/{ORG}/{path.format(d=d)}"


NOBODY: tuple[str, ...] = ()
OUTSIDER = ("outsider",)
STAFF_PAGES = {
    "overview": Page("overview", o("")),
    "home": Page("home", lambda d: "/", follow=True),
    "tickets": Page("ticket_list", o("tickets/")),
    "tickets closed": Page("ticket_list", o("tickets/?status=closed")),
    "new ticket": Page("ticket_new", o("tickets/new/")),
    "ticket": Page("ticket_detail", o("tickets/{d.ticket.pk}/")),
    "ticket opted out": Page("ticket_detail", o("tickets/{d.opted_out_ticket.pk}/")),
    "ticket closed": Page("ticket_detail", o("tickets/{d.closed_ticket.pk}/")),
    "payment requests": Page(
        "ticket_payment_requests", o("tickets/{d.ticket.pk}/payment-requests/")
    ),
    "payment requests opted out": Page(
        "ticket_payment_requests", o("tickets/{d.opted_out_ticket.pk}/payment-requests/")
    ),
    "payments": Page("payment_list", o("payments/")),
    "payments none found": Page("payment_list", o("payments/?q=nothing-like-this")),
    "payment open": Page("payment_detail", o("payments/{d.open.pk}/")),
    "payment paid": Page("payment_detail", o("payments/{d.paid.pk}/")),
    "payment refunded": Page("payment_detail", o("payments/{d.refunded.pk}/")),
    "payment disputed": Page("payment_detail", o("payments/{d.disputed.pk}/")),
    "payment cancelled": Page("payment_detail", o("payments/{d.cancelled.pk}/")),
    "refund": Page("payment_refund", o("payments/{d.paid.pk}/refund/")),
    "payouts": Page("payout_list", o("payouts/")),
    "payout": Page("payout_detail", o("payouts/{d.payout.pk}/")),
    "payout failed": Page("payout_detail", o("payouts/{d.failed_payout.pk}/")),
    "reports": Page("report_list", o("reports/")),
    "report": Page("report_detail", o("reports/{d.report.day:%Y-%m-%d}/")),
    "report revision 1": Page("report_detail", o("reports/{d.report.day:%Y-%m-%d}/?revision=1")),
    "report with a payout": Page(
        "report_detail",
        o("reports/{d.report_with_payout.day:%Y-%m-%d}/?revision={d.report_with_payout.revision}"),
    ),
    "report with a refund": Page(
        "report_detail",
        o("reports/{d.report_with_refund.day:%Y-%m-%d}/?revision={d.report_with_refund.revision}"),
    ),
    **{
        f"stripe report {status}": Page(
            "stripe_report_status", o(f"reports/stripe/{{d.stripe_reports[{status}].pk}}/")
        )
        for status in ("pending", "succeeded", "failed", "too long")
    },
    "admin tab": Page("admin_tab", o("admin/")),
    "payout settings": Page("payout_settings", o("admin/payouts/")),
    "admin tab, stripe needs more": Page("admin_tab", lambda d: "/o/maple/admin/", ("maple",)),
    "admin tab, no payments in the country": Page(
        "admin_tab", lambda d: "/o/hilltop/admin/", OUTSIDER
    ),
    "overview, not connected": Page("overview", lambda d: "/o/maple/", ("maple",)),
    "back from stripe": Page("stripe_return", o("admin/stripe/return/"), follow=True),
    "stripe onboarding again": Page("stripe_refresh", o("admin/stripe/refresh/"), follow=True),
    "manage": Page("manage", o("manage/")),
    "teams": Page("team_list", o("teams/")),
    "team with payments": Page("team_detail", o("teams/{d.teams[Service].pk}/")),
    "team without payments": Page("team_detail", o("teams/{d.teams[Parts].pk}/")),
    # The same for everyone (and long: every country and time zone): read by one person.
    "new dealership": Page("organization_create", lambda d: "/organizations/new/", ("advisor",)),
    # The invitation link, to a newcomer, to a person with an account, to the wrong person.
    "invitation": Page(
        "invitation_accept", lambda d: f"/invitations/{d.invitation.token}/", NOBODY
    ),
    "invitation to a member": Page(
        "invitation_accept", lambda d: f"/invitations/{d.invitation_for_member.token}/", NOBODY
    ),
    "invitation signed in": Page(
        "invitation_accept", lambda d: f"/invitations/{d.invitation_for_member.token}/", OUTSIDER
    ),
    "invitation for someone else": Page(
        "invitation_accept", lambda d: f"/invitations/{d.invitation.token}/", OUTSIDER, 403
    ),
    "invitation unknown": Page("invitation_accept", lambda d: "/invitations/nope/", NOBODY, 404),
    **{
        f"invitation {state}": Page(
            "invitation_accept",
            lambda d, state=state: f"/invitations/{d.closed_invitations[state].token}/",
            NOBODY,
            410,
        )
        for state in ("revoked", "expired", "accepted")
    },
    # The sign-in and account pages (django-allauth's, in our layout).
    "sign in": Page("account_login", lambda d: "/accounts/login/", NOBODY),
    "sign up": Page("account_signup", lambda d: "/accounts/signup/", NOBODY),
    "sign out": Page("account_logout", lambda d: "/accounts/logout/"),
    "password change": Page("account_change_password", lambda d: "/accounts/password/change/"),
    "password reset": Page("account_reset_password", lambda d: "/accounts/password/reset/", NOBODY),
    "password reset sent": Page(
        "account_reset_password_done", lambda d: "/accounts/password/reset/done/", NOBODY
    ),
    "password reset link": Page(
        "account_reset_password_from_key", lambda d: d.reset_path, NOBODY, follow=True
    ),
    "password reset link used": Page(
        "account_reset_password_from_key", lambda d: "/accounts/password/reset/key/1-bad/", NOBODY
    ),
    "password reset done": Page(
        "account_reset_password_from_key_done",
        lambda d: "/accounts/password/reset/key/done/",
        NOBODY,
    ),
    "confirm password": Page("account_reauthenticate", lambda d: "/accounts/reauthenticate/"),
    "two-factor": Page("mfa_index", lambda d: "/accounts/2fa/"),
    "two-factor activate": Page("mfa_activate_totp", lambda d: "/accounts/2fa/totp/activate/"),
    "two-factor deactivate": Page(
        "mfa_deactivate_totp", lambda d: "/accounts/2fa/totp/deactivate/"
    ),
    "two-factor code": Page("mfa_reauthenticate", lambda d: "/accounts/2fa/reauthenticate/"),
    "recovery codes": Page("mfa_view_recovery_codes", lambda d: "/accounts/2fa/recovery-codes/"),
    "recovery codes new": Page(
        "mfa_generate_recovery_codes", lambda d: "/accounts/2fa/recovery-codes/generate/"
    ),
    "account inactive": Page("account_inactive", lambda d: "/accounts/inactive/", NOBODY),
    "e-mail addresses": Page("account_email", lambda d: "/accounts/email/"),
    "e-mail sent": Page(
        "account_email_verification_sent", lambda d: "/accounts/confirm-email/", NOBODY
    ),
    "e-mail confirm link": Page(
        "account_confirm_email", lambda d: "/accounts/confirm-email/bad-key/", NOBODY
    ),
    # Stripe's hosted pages, as the demo gateway plays them (the staff's side of them).
    "demo onboarding": Page("demo_stripe_onboarding", lambda d: d.onboarding_path, NOBODY),
    "demo onboarding expired": Page(
        "demo_stripe_onboarding_expired",
        lambda d: f"/demo-stripe/{d.account.stripe_account_id}/link-expired/",
        NOBODY,
    ),
    "demo dashboard": Page("demo_stripe_dashboard", lambda d: d.dashboard_path, NOBODY),
    "demo dashboard denied": Page(
        "demo_stripe_dashboard",
        lambda d: f"/demo-stripe/{d.account.stripe_account_id}/dashboard/?t=bad",
        NOBODY,
        403,
    ),
    "two-factor step": Page(
        "mfa_authenticate", lambda d: "/accounts/2fa/authenticate/", ("admin, second step",)
    ),
    "django admin without two-factor": Page(
        "admin:login", lambda d: "/django-admin/login/", ("operator",), 403
    ),
    # Forms sent with mistakes: each says what is wrong.
    **{
        f"{name}, with mistakes": Page(url_name, path, who, status, post=data)
        for name, url_name, path, who, status, data in [
            ("new ticket", "ticket_new", o("tickets/new/"), ROLES, 422, {"mobile_phone": "12"}),
            ("message", "ticket_message", o("tickets/{d.ticket.pk}/messages/"), ROLES, 422, {}),
            (
                "payment request",
                "ticket_payment_requests",
                o("tickets/{d.ticket.pk}/payment-requests/"),
                ROLES,
                422,
                {"amount": "lots", "description": ""},
            ),
            (
                "repair order",
                "ticket_repair_orders",
                o("tickets/{d.ticket.pk}/repair-orders/"),
                ROLES,
                422,
                {"number": "", "total": "lots"},
            ),
            (
                "invitation",
                "invitation_create",
                o("manage/invitations/"),
                ROLES,
                422,
                {"email": "not an address", "mobile_phone": "12", "role": "advisor"},
            ),
            ("new team", "team_list", o("teams/"), ROLES, 422, {"name": ""}),
            ("team", "team_detail", o("teams/{d.teams[Parts].pk}/"), ROLES, 422, {"name": ""}),
            ("organization", "admin_tab", o("admin/"), ROLES, 422, {"name": "", "country": ""}),
            (
                "stripe checklist",
                "stripe_checklist",
                o("admin/stripe/checklist/"),
                ROLES,
                422,
                {"email": "not an address"},
            ),
            (
                "payout schedule",
                "payout_settings",
                o("admin/payouts/"),
                ROLES,
                422,
                {"form": "schedule", "interval": "monthly", "monthly_anchor": "40"},
            ),
            (
                "statement descriptor",
                "payout_settings",
                o("admin/payouts/"),
                ROLES,
                422,
                {"form": "descriptor", "descriptor": "<*>"},
            ),
            ("stripe report", "stripe_report_create", o("reports/stripe/"), ROLES, 400, {}),
            (
                "new dealership",
                "organization_create",
                lambda d: "/organizations/new/",
                ("advisor",),
                422,
                {"name": "", "country": ""},
            ),
            (
                "invitation sign-up",
                "invitation_accept",
                lambda d: f"/invitations/{d.invitation.token}/",
                NOBODY,
                422,
                {"password1": "short"},
            ),
            (
                "sign in",
                "account_login",
                lambda d: "/accounts/login/",
                NOBODY,
                200,
                {"login": "manager@lakeside.test", "password": "wrong"},
            ),
            (
                "password change",
                "account_change_password",
                lambda d: "/accounts/password/change/",
                ROLES,
                200,
                {"oldpassword": "wrong", "password1": "short", "password2": "other"},
            ),
        ]
    },
    # Error pages.
    "403": Page("payment_list", o("payments/"), ("advisor",), 403),
    "404": Page("ticket_detail", o("tickets/999999/"), status=404),
    "404 outside": Page("overview", lambda d: "/o/hilltop/", status=404),
}


def _client(d: SimpleNamespace, who: str | None) -> Client:
    """A browser signed in as ``who`` a moment ago, with their password (or nobody)."""
    client = Client()
    if who == "admin, second step":  # signed in with the password, the code still to give
        response = client.post(
            "/accounts/login/", {"login": PEOPLE["admin"][1], "password": PASSWORD}
        )
        assert response["Location"] == "/accounts/2fa/authenticate/"
    elif who:
        others = {"outsider": d.outsider.user, "maple": d.maple.user, "operator": d.operator}
        user = others.get(who) or d.members[who].user
        client.force_login(user)
        session = client.session
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
        ]
        session[login_flow._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
        session.save()
    return client


@pytest.mark.parametrize("staff_page", STAFF_PAGES.values(), ids=STAFF_PAGES.keys())
def test_a_staff_page_leaves_nothing_in_english(dataset, db, settings, staff_page):
    """Each page, for each role that may open it, in Canadian French and Spanish."""
    settings.ADMIN_REQUIRE_MFA = True
    page, path = staff_page, staff_page.path(dataset)
    seen, found = [], {}
    for who in page.who or [None]:
        client = _client(dataset, who)
        if _open(client, page, path, "en").status_code != page.status:
            continue  # not a page this role opens
        seen.append(who)

        def render(language: str, client: Client = client) -> list[str]:
            response = _open(client, page, path, language)
            assert response.status_code == page.status, (language, response.status_code)
            return visible_text(response.content.decode())

        left = untranslated_in(render, STAFF_LANGUAGES, dataset.allowed)
        if left:
            found[who or "signed out"] = left
    assert seen, f"{path} answered nobody {page.status}"
    assert not found, report(found)


# The customer's side: the payment pages, Stripe's (the demo's) and the texts ----------------


def _browser(language: str) -> str:
    """The Accept-Language a browser in ``language`` sends ("pt-br" as "pt-BR")."""
    code, _dash, region = language.partition("-")
    return f"{code}-{region.upper()},{code};q=0.9" if region else language


@dataclass(frozen=True)
class CustomerPage:
    """A customer's page: at ``path(dataset, language)``, asked by a browser in that language
    (the payment pages also get ``?lang=``, as the links at their foot give it). ``post``
    sends a form; ``broken`` breaks something first (given pytest's monkeypatch)."""

    url_name: str
    path: Callable[[SimpleNamespace, str], str]
    status: int = 200
    post: dict[str, str] | None = None
    broken: Callable[[pytest.MonkeyPatch], None] | None = None


def pay_page(
    which: str, suffix: str = "", query: str = ""
) -> Callable[[SimpleNamespace, str], str]:
    def path(d: SimpleNamespace, language: str) -> str:
        request = getattr(d, which)
        extra = query.format(d=d, request=request)
        return f"/p/{request.token}/{suffix}?lang={language}{extra}"

    return path


def _checkout_session(d: SimpleNamespace, language: str) -> str:
    """A Checkout Session of the open request, opened in ``language`` (Stripe's locale)."""
    payment = d.open
    with TestCase.captureOnCommitCallbacks(execute=False):
        session = DemoGateway().create_checkout_session(
            NewCheckout(
                account_id=d.account.stripe_account_id,
                amount_cents=payment.amount_cents,
                currency=payment.currency,
                description=payment.description,
                fee_cents=payment.fee_cents,
                request_id=payment.pk,
                organization_id=d.organization.pk,
                success_url=f"{settings.SITE_URL}/p/{payment.token}/success/",
                cancel_url=f"{settings.SITE_URL}/p/{payment.token}/cancel/",
                expires_at=int(time.time()) + 3600,
                locale=stripe_locale(language),
            ),
            idempotency_key=f"translated-{language}-{time.monotonic_ns()}",
        )
    return session["id"]


def demo_checkout(d: SimpleNamespace, language: str) -> str:
    return f"/demo-stripe/checkout/{_checkout_session(d, language)}/"


def demo_checkout_expired(d: SimpleNamespace, language: str) -> str:
    session_id = _checkout_session(d, language)
    with TestCase.captureOnCommitCallbacks(execute=False):
        DemoGateway().expire_checkout_session(session_id)
    return f"/demo-stripe/checkout/{session_id}/"


def demo_receipt(d: SimpleNamespace, language: str) -> str:
    """Stripe's receipt of a payment made on a Checkout opened in ``language``."""
    session_id = _checkout_session(d, language)
    with TestCase.captureOnCommitCallbacks(execute=False):
        DemoGateway().pay_checkout(session_id, card_number="4242424242424242")
    charge = DemoStripeCheckout.objects.get(stripe_id=session_id).data["_demo"]["charge"]
    return f"/demo-stripe/receipts/{charge['id']}/"


def _gateway_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs: Any) -> str:
        raise GatewayError("Stripe is unreachable.")

    monkeypatch.setattr(requests_public.requests_checkout, "payment_request_checkout", refuse)


def _too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(requests_public, "rate_limited", lambda request, token: True)


DECLINED = {"card_number": "4000 0000 0000 0002", "expiry": "12/34", "cvc": "123"}
CUSTOMER_PAGES = {
    "request": CustomerPage("payment_public", pay_page("open")),
    "request, back from checkout": CustomerPage(
        "payment_public_cancel", pay_page("open", "cancel/")
    ),
    "request, checkout expired": CustomerPage("payment_public", pay_page("expired")),
    "request, stripe unreachable": CustomerPage(
        "payment_public_pay", pay_page("open", "pay/"), 503, post={}, broken=_gateway_down
    ),
    "confirming": CustomerPage("payment_public_success", pay_page("open", "success/")),
    "paid just now": CustomerPage(
        "payment_public_success",
        pay_page("paid", "success/", "&session_id={request.checkout_session_id}"),
    ),
    "receipt": CustomerPage("payment_public", pay_page("paid")),
    "receipt refunded": CustomerPage("payment_public", pay_page("refunded")),
    "receipt disputed": CustomerPage("payment_public", pay_page("disputed")),
    "cancelled": CustomerPage("payment_public", pay_page("cancelled")),
    "too many attempts": CustomerPage("payment_public", pay_page("open"), 429, broken=_too_many),
    "unknown link": CustomerPage("payment_public", lambda d, language: "/p/no-such-link/", 404),
    # Stripe's Checkout and receipt, as the demo gateway plays them, in Checkout's locale.
    "demo checkout": CustomerPage("demo_stripe_checkout", demo_checkout),
    "demo checkout declined": CustomerPage(
        "demo_stripe_checkout", demo_checkout, 402, post=DECLINED
    ),
    "demo checkout expired": CustomerPage("demo_stripe_checkout", demo_checkout_expired, 410),
    "demo receipt": CustomerPage("demo_stripe_receipt", demo_receipt),
}


def _customer_reads(d: SimpleNamespace, language: str) -> None:
    """Dana's language, set by the advisor: her texts and Stripe's pages follow it."""
    Customer.objects.filter(pk=d.ticket.customer_id).update(language=language)


@pytest.mark.parametrize("customer_page", CUSTOMER_PAGES.values(), ids=CUSTOMER_PAGES.keys())
def test_a_customer_page_leaves_nothing_in_english(dataset, db, monkeypatch, customer_page):
    """Each state of the payment page, Stripe's pages and the error pages, in the seven
    languages of the customer's side."""
    page = customer_page
    if page.broken:
        page.broken(monkeypatch)

    def render(language: str) -> list[str]:
        _customer_reads(dataset, language)
        client, path = Client(), page.path(dataset, language)
        headers = {"Accept-Language": _browser(language)}
        if page.post is None:
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, page.post, headers=headers)
        assert response.status_code == page.status, (language, response.status_code)
        assert response["Content-Language"] == language, "not the customer's language"
        return visible_text(response.content.decode())

    found = untranslated_in(render, CUSTOMER_ONLY, dataset.allowed)
    assert not found, report(found)


def _reminder(d: SimpleNamespace) -> str:
    PaymentRequest.objects.filter(pk=d.open.pk).update(reminder_sent_at=None)
    noon = timezone.localtime(timezone=d.organization.time_zone).replace(hour=12)
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert reminders.payment_reminder_send(request_id=d.open.pk, now=noon)
    return PaymentRequest.objects.select_related("sms").get(pk=d.open.pk).sms.body


def _payment_text(d: SimpleNamespace) -> str:
    with TestCase.captureOnCommitCallbacks(execute=False):
        requests_services.payment_request_resend(
            payment_request=d.open, actor=d.members["advisor"].user
        )
    d.open.refresh_from_db()
    return d.open.sms.body


def _help_reply(d: SimpleNamespace) -> str:
    with TestCase.captureOnCommitCallbacks(execute=False):
        entry = ticket_services.customer_help_reply(
            ticket=d.ticket, team_number="+13125550100", language=d.ticket.customer.language
        )
    return entry.body


CUSTOMER_TEXTS = {
    "payment request": _payment_text,
    "reminder": _reminder,
    "help": _help_reply,
}


@pytest.mark.parametrize("text", CUSTOMER_TEXTS.values(), ids=CUSTOMER_TEXTS.keys())
def test_a_text_to_the_customer_leaves_nothing_in_english(dataset, db, text):
    def render(language: str) -> list[str]:
        _customer_reads(dataset, language)
        dataset.ticket.customer.refresh_from_db()
        return text_lines(text(dataset))

    found = untranslated_in(render, CUSTOMER_ONLY, dataset.allowed)
    assert not found, report(found)


# E-mails (and the invitation's text): written in the dealership's language -----------------


def _sent(send: Callable[[], Any]) -> list[Any]:
    """The e-mails ``send()`` sends, once its transaction would commit."""
    before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        send()
    return mail.outbox[before:]


def _invitation(d: SimpleNamespace, language: str) -> list[Any]:
    def send() -> None:
        team_services.invitation_create(
            organization=d.organization,
            actor=d.members["admin"].user,
            full_name=INVITEES[0],
            email=f"riley-{language}@example.com",
            mobile_phone="+13125550177",
            role="manager",
            teams=[d.teams["Service"]],
        )

    return _sent(send)


def _invitation_again(d: SimpleNamespace, language: str) -> list[Any]:
    return _sent(
        lambda: team_services.invitation_resend(
            invitation=d.invitation, actor=d.members["admin"].user
        )
    )


def _checklist(d: SimpleNamespace, language: str, email: str) -> list[Any]:
    return _sent(
        lambda: connect_services.checklist_send(
            organization=d.organization,
            actor=d.members["admin"].user,
            full_name=INVITEES[1],
            email=email.format(language=language),
            mobile_phone="+13125550178",
        )
    )


def _payout(d: SimpleNamespace, language: str, status: str) -> list[Any]:
    notice = d.payout_notices[status]
    return _sent(lambda: payouts_services.payout_email_deliver(notification_id=notice.pk))


def _daily_report(d: SimpleNamespace, language: str, report: str) -> list[Any]:
    report_id = getattr(d, report).pk
    return _sent(
        lambda: reports_services.daily_report_email_deliver(
            report_id=report_id, recipients=["manager@lakeside.test"]
        )
    )


def _password_reset(d: SimpleNamespace, language: str, email: str) -> list[Any]:
    """allauth's e-mail, in the language of the page that asked for it."""

    def send() -> None:
        response = Client().post(
            "/accounts/password/reset/", {"email": email}, headers={"Accept-Language": language}
        )
        assert response.status_code == 302

    return _sent(send)


EMAILS: dict[str, Callable[[SimpleNamespace, str], list[Any]]] = {
    "invitation": _invitation,
    "invitation sent again": _invitation_again,
    "stripe checklist, with an invitation": lambda d, lang: _checklist(
        d, lang, "accounting-{language}@example.com"
    ),
    "stripe checklist, to a member": lambda d, lang: _checklist(d, lang, "manager@lakeside.test"),
    "payout paid": lambda d, lang: _payout(d, lang, "paid"),
    "payout failed": lambda d, lang: _payout(d, lang, "failed"),
    "daily report": lambda d, lang: _daily_report(d, lang, "report"),
    "daily report revised": lambda d, lang: _daily_report(d, lang, "revised"),
    "password reset": lambda d, lang: _password_reset(d, lang, "manager@lakeside.test"),
    "password reset, no account": lambda d, lang: _password_reset(d, lang, "nobody@example.com"),
}


def email_text(message: Any) -> list[str]:
    """What the reader reads: the subject, the text and the HTML version."""
    fragments = [message.subject, *text_lines(message.body)]
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            fragments += visible_text(content)
    return fragments


@pytest.mark.parametrize("email", EMAILS.values(), ids=EMAILS.keys())
def test_an_email_leaves_nothing_in_english(dataset, db, email):
    """Each e-mail in Canadian French and Spanish: the dealership's language writes it (the
    invitation's text message with it)."""

    def render(language: str) -> list[str]:
        dataset.organization.language = language
        dataset.organization.save(update_fields=["language"])
        texts_before = len(sms.outbox)
        messages = email(dataset, language)
        assert messages, "no e-mail was sent"
        texts = [text.body for text in sms.outbox[texts_before:]]
        return [
            *(fragment for message in messages for fragment in email_text(message)),
            *(line for body in texts for line in text_lines(body)),
        ]

    found = untranslated_in(render, STAFF_LANGUAGES, dataset.allowed)
    assert not found, report(found)


def test_the_page_of_a_crash_leaves_nothing_in_english(rf):
    """The 500 page is rendered without context or request: its translations only."""

    def render(language: str) -> list[str]:
        with translation.override(language):
            response = defaults.server_error(rf.get("/"))
        assert response.status_code == 500
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        return visible_text(html)

    found = untranslated_in(render, CUSTOMER_ONLY, [])
    assert not found, report(found)


# The inventory: every page of the URLconf is checked, or says why not ----------------------

NOT_PAGES = {
    # A form's target: it answers with a redirect (its message shows on the page it leads
    # to) or an htmx fragment of a page checked above.
    **dict.fromkeys(
        [
            "language_set",
            "invitation_resend",
            "invitation_revoke",
            "member_role",
            "member_remove",
            "ticket_close",
            "ticket_customer_language",
            "payment_post",
            "payment_unpost",
            "payment_request_cancel",
            "payment_request_resend",
            "stripe_connect",
            "stripe_dashboard",
            "payout_refresh",
        ],
        "a form's target (POST): it redirects to a page checked here",
    ),
    **dict.fromkeys(
        [
            "payment_export_csv",
            "payment_export_xlsx",
            "report_csv",
            "report_xlsx",
            "stripe_report_download",
            "mfa_download_recovery_codes",
        ],
        "a file to download, not a page",
    ),
    **dict.fromkeys(
        [
            "stripe_webhook",
            "stripe_webhook_connect",
            "twilio_inbound_sms",
            "twilio_message_status",
            "health",
        ],
        "answers a machine (Stripe, Twilio, the load balancer), not a person",
    ),
    **dict.fromkeys(
        [
            "account_request_reauthentication_code",
            "account_confirm_reauthentication_code",
            "account_confirm_login_code",
        ],
        "signing in by e-mailed code is off: no such page",
    ),
    "account_set_password": "every account has a password: it redirects to change it",
}


def _url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


def test_every_page_of_the_urlconf_is_checked_or_says_why_not():
    names = {name for name in _url_names(get_resolver().url_patterns) if ":" not in name}
    checked = {page.url_name for page in (*STAFF_PAGES.values(), *CUSTOMER_PAGES.values())}
    assert names - checked - NOT_PAGES.keys() == set(), "add the new page to this test"
    assert checked & NOT_PAGES.keys() == set(), "checked after all: take it off NOT_PAGES"
    assert (checked | NOT_PAGES.keys()) - names - {"admin:login"} == set(), "gone from URLs"


# The checker itself ------------------------------------------------------------------------


def _rendered(source: str, language: str) -> list[str]:
    with translation.override(language):
        return visible_text(Template("{% load i18n %}" + source).render(Context()))


def test_the_checker_flags_a_sentence_someone_forgot_to_mark_for_translation():
    page = (
        "<h1>{% translate 'Payments' %}</h1>"
        "<p>Your payment was received.</p>"
        '<input type="submit" value="Send now">'
        '<button aria-label="Close this">x</button>'
        "<p>{% translate 'Total' %}: 3 {% translate 'Refunded' %} with your credit card</p>"
    )
    english = _rendered(page, "en")

    for language in [*STAFF_LANGUAGES, *CUSTOMER_ONLY]:
        left = Checker(language).untranslated(_rendered(page, language), english)
        assert list(left)[:3] == ["Your payment was received.", "Send now", "Close this"], language
        assert len(left) == 4 and "credit" in list(left.values())[3], language


def test_the_checker_lets_names_data_and_words_translations_share_through():
    checker = Checker("fr-ca", allowed=["Dana Driver", "Brake service"])
    english = [
        "ExpertConnect Pay · Payments by Stripe",
        "Dana Driver: Brake service",
        "$1,234.56 USD · Nov 27, 2026, 9:58 AM CST · America/Chicago",
        "RO-4411 · R-000012 · acct_demo123 · dana@example.com · https://pay.example/p/x/",
        "Description",
        "Total",
        "Visa •••• 4242",
        "English · Deutsch",
    ]
    french = [
        "ExpertConnect Pay · Paiements par Stripe",
        "Dana Driver: Brake service",
        "$1,234.56 USD · Nov 27, 2026, 9:58 AM CST · America/Chicago",
        "RO-4411 · R-000012 · acct_demo123 · dana@example.com · https://pay.example/p/x/",
        "Description",  # French says it so too
        "Total",
        "Visa •••• 4242",
        "English · Deutsch",  # each language named in itself
    ]

    assert checker.untranslated(french, english) == {}
    assert list(checker.untranslated([*french, "Payments by Stripe"], english)) == [
        "Payments by Stripe"
    ]
