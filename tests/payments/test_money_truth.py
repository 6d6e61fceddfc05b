"""One money truth, on generated histories: random charges, refunds (fee kept and returned),
disputes and payouts around local midnight and both daylight-saving days, in two
organizations (USD in America/Chicago, CAD in America/Toronto). For every local day touched:
each card of the Payments tab = its column = the CSV totals row = the XLSX totals row = the
daily report = the sum of the day's ledger entries; every report line has gross = fee + net;
each payout's line is the payout."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from openpyxl import load_workbook

from payments import movements
from payments.dates import local_day_bounds
from payments.figures import Figures
from payments.models import LedgerEntry, PaymentRequest, Payout, Refund
from payments.money import platform_fee
from payments.reports import export as reports_export
from payments.reports import selectors as reports_selectors
from payments.reports import services as reports_services
from teams.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory
from tickets.services import customer_get_or_create, ticket_open

DAYS = [date(2026, 3, 8), date(2026, 3, 9), date(2026, 11, 1), date(2026, 11, 2)]
# Minutes after local midnight, in elapsed time: midnight itself, the hours daylight saving
# skips or repeats, the last minutes of a 23-, 24- or 25-hour day.
EDGES = [0, 1, 59, 60, 61, 90, 119, 120, 121, 1379, 1380, 1439, 1440, 1499]
_numbers = itertools.count(1)

moment = st.tuples(st.sampled_from(DAYS), st.one_of(st.sampled_from(EDGES), st.integers(0, 1499)))
operation = st.one_of(
    st.tuples(st.just("charge"), st.integers(0, 1), moment, st.integers(50, 500_000)),
    st.tuples(st.just("refund"), st.integers(0, 20), moment, st.integers(1, 100), st.booleans()),
    st.tuples(st.just("dispute"), st.integers(0, 20), moment, st.integers(0, 1_500)),
    st.tuples(st.just("payout"), st.integers(0, 1), moment, st.integers(1, 900_000)),
)


def _cents(text: str) -> int:
    return int(text.replace(",", "").replace(".", "")) if text else 0


class OneMoneyTruth(TestCase):
    def setUp(self) -> None:
        self.orgs = []
        for slug, zone, country in (
            ("chicago", "America/Chicago", "US"),
            ("toronto", "America/Toronto", "CA"),
        ):
            org = OrganizationFactory(
                slug=f"{slug}-{next(_numbers)}", time_zone=zone, country=country
            )
            team = TeamFactory(organization=org, name="Service", payments_enabled=True)
            admin = MembershipFactory(organization=org, role=Role.ADMIN)
            customer = customer_get_or_create(
                organization=org, name="Dana Driver", mobile_phone="+13125550100"
            )
            ticket = ticket_open(organization=org, team=team, customer=customer)
            self.orgs.append((org, ticket, admin))

    # A history, written as the webhook handlers write it ------------------------------

    def _at(self, org, when) -> datetime:
        day, minutes = when
        start, _end = local_day_bounds(day, str(org.time_zone))
        return start + timedelta(minutes=minutes)

    def _play(self, operations) -> None:
        paid: dict[int, list[PaymentRequest]] = defaultdict(list)
        for op in operations:
            kind, which, when = op[0], op[1], op[2]
            org, ticket, _admin = self.orgs[which % 2]
            at = self._at(org, when)
            currency = org.currency
            if kind == "charge":
                amount = op[3]
                n = next(_numbers)
                payment = PaymentRequest.objects.create(
                    organization=org,
                    ticket=ticket,
                    team=ticket.team,
                    amount_cents=amount,
                    currency=currency,
                    description=f"Service {n}",
                    token=f"tok-truth-{n}",
                    fee_cents=platform_fee(amount),
                    net_cents=amount - platform_fee(amount),
                    status=PaymentRequest.Status.PAID,
                    paid_at=at,
                    created_at=at - timedelta(minutes=20),
                    payment_intent_id=f"pi_truth_{n}",
                )
                movements.charge_recorded(payment=payment)
                paid[org.pk].append(payment)
            elif kind == "refund" and paid[org.pk]:
                payment = paid[org.pk][which % len(paid[org.pk])]
                left = payment.amount_cents - payment.refunded_cents
                if payment.refunded_cents or at < payment.paid_at:
                    continue  # one refund a payment, as the product allows
                amount = max(1, left * op[3] // 100)
                fee_returned = op[4] and amount == payment.amount_cents
                refund = Refund.objects.create(
                    organization=org,
                    payment=payment,
                    stripe_refund_id=f"re_truth_{next(_numbers)}",
                    amount_cents=amount,
                    currency=currency,
                    status=Refund.Status.SUCCEEDED,
                    fee_returned=fee_returned,
                    created_at=at,
                )
                payment.refunded_cents += amount
                payment.save(update_fields=["refunded_cents"])
                movements.refund_recorded(refund=refund, at=at)
            elif kind == "dispute" and paid[org.pk]:
                payment = paid[org.pk][which % len(paid[org.pk])]
                left = payment.amount_cents - payment.refunded_cents
                if (
                    left <= 0
                    or at < payment.paid_at
                    or payment.ledger_entries.filter(kind="dispute").exists()
                ):
                    continue
                movements.dispute_recorded(
                    payment=payment,
                    dispute={
                        "id": f"dp_truth_{next(_numbers)}",
                        "amount": left,
                        "currency": currency,
                        "balance_transactions": [{"fee": op[3]}] if op[3] else [],
                    },
                    at=at,
                )
            elif kind == "payout":
                payout = Payout.objects.create(
                    organization=org,
                    stripe_payout_id=f"po_truth_{next(_numbers)}",
                    amount_cents=op[3],
                    currency=currency,
                    arrival_date=at.date() + timedelta(days=2),
                    status="paid",
                    stripe_created=at,
                    synced_at=at,
                )
                movements.payout_recorded(payout=payout, at=at)

    # What each place says of a day ----------------------------------------------------

    def _entries(self, org, day) -> Figures:
        start, end = local_day_bounds(day, str(org.time_zone))
        sums = dict(
            LedgerEntry.objects.filter(
                organization=org, occurred_at__gte=start, occurred_at__lt=end
            )
            .values_list("kind")
            .annotate(total=Sum("amount_cents"))
        )
        return Figures.from_kinds(sums)

    def _payments_tab(self, org, admin, day):
        self.client.force_login(admin.user)
        query = {"range": "custom", "date_from": day.isoformat(), "date_to": day.isoformat()}
        base = f"/o/{org.slug}/payments/"
        page = self.client.get(base, query)
        self.assertEqual(page.status_code, 200)
        assert page.context["next_cursor"] in ("", None), "a day's rows fit one page here"
        cards = dict(page.context["cards"])
        column = Figures()
        for row in page.context["rows"]:
            column = column + row["figures"]
        exported = b"".join(self.client.get(base + "export.csv", query).streaming_content)
        rows = list(csv.reader(io.StringIO(exported.decode())))
        header = rows[0]
        (csv_total,) = [r for r in rows if r[0].startswith("Total")]
        workbook = load_workbook(
            io.BytesIO(b"".join(self.client.get(base + "export.xlsx", query).streaming_content))
        )
        sheet_rows = list(workbook.active.iter_rows(values_only=True))
        (xlsx_total,) = [r for r in sheet_rows if str(r[0] or "").startswith("Total")]

        def from_row(values, parse) -> Figures:
            names = ("Collected", "Refunds", "Disputes", "Fee")
            named = {name: parse(values[header.index(name)]) for name in names}
            return Figures(named["Collected"], named["Refunds"], named["Disputes"], named["Fee"])

        csv_figures = from_row(csv_total, _cents)
        xlsx_figures = from_row(xlsx_total, lambda v: round((v or 0) * 100))
        return cards.get(org.currency, Figures()), column, csv_figures, xlsx_figures

    def _report(self, org, day):
        report, _built = reports_services.daily_report_build(organization=org, day=day)
        lines = list(report.lines.all())
        for line in lines:
            assert line.gross_cents == line.fee_cents + line.net_cents
        found = [t for t in reports_selectors.report_totals(report) if t.currency == org.currency]
        figures = found[0].figures if found else Figures()
        paid_out = found[0].payouts if found else 0
        rows = list(csv.reader(io.StringIO("".join(reports_export.report_csv_lines(report, None)))))
        header = rows[0]
        (total,) = [r for r in rows if r[0] == "Total"]
        gross, fee, net = (_cents(total[header.index(c)]) for c in ("Gross", "Fee", "Net"))
        assert (gross, fee, net) == (figures.gross, figures.fees, figures.net)
        start, end = local_day_bounds(day, str(org.time_zone))
        payouts = {
            p.pk: p.amount_cents
            for p in Payout.objects.filter(
                organization=org, stripe_created__gte=start, stripe_created__lt=end
            )
        }
        for line in lines:
            if line.kind == "payout":
                assert line.payout_cents == payouts[int(line.source.split("-")[1])]
        assert paid_out == sum(payouts.values())
        return figures

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=14))
    def test_every_figure_of_a_day_is_the_sum_of_its_ledger_entries(self, operations):
        self._play(operations)
        for org, _ticket, admin in self.orgs:
            days = set()
            for at in LedgerEntry.objects.filter(organization=org).values_list(
                "occurred_at", flat=True
            ):
                days.add(at.astimezone(ZoneInfo(str(org.time_zone))).date())
            for day in sorted(days):
                truth = self._entries(org, day)
                cards, column, in_csv, in_xlsx = self._payments_tab(org, admin, day)
                report = self._report(org, day)
                assert cards == column == in_csv == in_xlsx == truth, (org.slug, day)
                assert report == truth, (org.slug, day)
                assert truth.gross == truth.fees + truth.net
