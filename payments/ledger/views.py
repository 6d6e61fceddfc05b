"""The Payments tab (F6): the list, its totals and exports, and each payment's page."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from phonenumber_field.phonenumber import PhoneNumber

from accounts.formats import format_money, format_number
from accounts.models import User
from accounts.times import SHORT, local_time
from accounts.ui import badge_class
from payments import scope
from payments.badges import status_badge
from payments.ledger import export as ledger_export
from payments.ledger import selectors as ledger_selectors
from payments.ledger import services as ledger_services
from payments.ledger.forms import PaymentFilterForm
from payments.models import PaymentRequest, display_number
from payments.refunds.services import may_refund
from payments.scope import COLLECTED_STATUSES
from payments.timeline import TIMELINE_LABELS
from teams.access import OrganizationRequest, organization_view, payment_teams_seen
from teams.models import Team
from teams.roles import Capability, Role
from tickets.models import TimelineEntry


def _filter_form(request: OrganizationRequest) -> PaymentFilterForm:
    organization = request.organization
    membership = request.membership
    seen = payment_teams_seen(membership)
    if seen is None:
        teams = list(Team.objects.filter(organization=organization).order_by("name", "pk"))
        on_teams = Q(memberships__teams__organization=organization)
    else:  # the member's own teams, and their people
        teams = membership.payment_teams
        on_teams = Q(memberships__teams__in=seen)
    # The advisors of those teams: one filter, so role and team belong to the same membership
    # (a manager of the team who is an advisor elsewhere is no advisor of it).
    advisors = (
        User.objects.filter(
            on_teams, memberships__organization=organization, memberships__role=Role.ADVISOR
        )
        .distinct()
        .order_by("full_name", "email")
        .only("pk", "full_name", "email")
    )
    return PaymentFilterForm(request.GET, teams=teams, advisors=list(advisors))


def _selection(
    request: OrganizationRequest, filters: ledger_selectors.PaymentFilters
) -> ledger_selectors.Selection:
    organization = request.organization
    queryset = scope.payments_visible(organization=organization, membership=request.membership)
    return ledger_selectors.payments_filter(queryset, organization=organization, filters=filters)


def _filter_query(request: OrganizationRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("part", None)
    return params.urlencode()


def _status(status: str) -> dict:
    label, tone = status_badge(status)
    return {
        "badge": str(label),
        "tone": tone,
        "badge_class": badge_class(tone),
        "collected": status in COLLECTED_STATUSES,
    }


@lru_cache(maxsize=4096)
def _national(phone: str) -> str:
    """An E.164 number as its country writes it ("(312) 555-0142"); the table's polls show
    the same customers every 10 s, so each number is parsed once per process."""
    return PhoneNumber.from_string(phone).as_national


# A line of the table, written here as the Django admin writes its change list's cells
# (in Python, every value escaped: _html): a page is 50 lines of 13 cells, and the template
# engine's cost per printed value made the table most of the page's time.
_LINE = (
    '<tr id="payment-{pk}">'
    '<td class="text-nowrap"><a href="{url}" class="text-decoration-none">{when}</a>'
    '<div class="small text-body-secondary">{number}</div></td>'
    "{utc_cell}"
    '<td>{customer}<div class="small text-body-secondary text-nowrap">{phone}</div></td>'
    '<td class="d-none d-xxl-table-cell">{team}'
    '<div class="small text-body-secondary">{advisor}</div></td>'
    '<td class="d-none d-xxl-table-cell small">{description}{asked}</td>'
    '<td class="d-none d-xl-table-cell text-nowrap small">{reference}</td>'
    '<td><span class="{badge_class}" data-status="{status}">{badge}</span></td>'
    '<td class="app-num" data-col="collected"><span class="app-amount">{collected}</span></td>'
    '<td class="app-num d-none d-xl-table-cell" data-col="refunds">'
    '<span class="app-amount">{refunds}</span></td>'
    '<td class="app-num d-none d-xl-table-cell" data-col="disputes">'
    '<span class="app-amount">{disputes}</span></td>'
    '<td class="app-num d-none d-md-table-cell" data-col="fees">'
    '<span class="app-amount">{fee}</span></td>'
    '<td class="app-num d-none d-md-table-cell" data-col="net">'
    '<span class="app-amount">{net}</span></td>'
    '<td class="d-none d-md-table-cell">{posted}</td>'
    "</tr>"
)
_LINE_VALUES = (
    *("pk", "url", "number", "customer", "phone", "team", "advisor", "description"),
    *("reference", "badge_class", "status", "badge", "collected", "refunds", "disputes"),
    *("fee", "net"),
)
# accounts.ui.time_html's element, written here for the table's speed.
_PAID_AT = '<time class="app-time" datetime="{iso}" title="{utc} UTC">{when}</time>'
_UTC_CELL = '<td class="text-nowrap small d-none d-lg-table-cell" data-utc>{utc}</td>'
_ASKED = '<div class="text-body-secondary">{label} {asked}</div>'
_POSTED = (
    f'<span class="{badge_class("success")}" title="{{title}}">'
    '<i class="bi bi-check2" aria-hidden="true"></i> {label}</span>'
)
_NOT_POSTED = '<span class="text-body-secondary small" title="{}">—</span>'


def _html(template: str, values: dict[str, Any]) -> SafeString:
    """``format_html`` for the table's lines, with the same escaping (``html.escape`` of each
    value as text, which is django.utils.html.escape) but none of its checks for lazy
    translations, a page's thousand values being plain text; a value already HTML (a
    SafeString) goes in as it is."""
    return mark_safe(  # noqa: S308 - every value is escaped here, or is already safe HTML
        template.format_map(
            {
                name: value if isinstance(value, SafeString) else html.escape(str(value))
                for name, value in values.items()
            }
        )
    )


@dataclass(frozen=True)
class _Page:
    """What every line of a page shares: computed once a page, not once a line."""

    zone: ZoneInfo
    detail_prefix: str  # payment_detail is payment_list's URL + "<pk>/"
    order: str  # the time the table lists by: "paid_at", or for requests "created_at"
    states: dict[str, dict]  # each status's badge, translated on first use
    teams: dict[int, str]  # the names of the teams the member sees (the filter's choices)
    posted: str = field(default_factory=lambda: _("Posted"))
    not_posted: str = field(
        default_factory=lambda: format_html(_NOT_POSTED, _("Not posted to the DBS"))
    )
    requested: str = field(default_factory=lambda: capfirst(_("requested")))

    @property
    def collected(self) -> bool:
        return self.order == "paid_at"


def _row(values: dict[str, Any], page: _Page) -> dict[str, Any]:
    """One line of the table, every text ready, and its HTML. Money columns are the
    payment's ledger figures within the chosen days; an unpaid request has none."""
    status = values["status"]
    state = page.states.get(status) or page.states.setdefault(status, _status(status))
    currency = values["currency"]
    figures = ledger_selectors.Figures.from_signed(values["figures"])

    def amount(cents: int) -> str:  # the table's header names the currency
        return format_number(cents)

    def out(cents: int) -> str:  # money out of the balance: signed, and a dash for none
        return amount(cents) if cents else "—"

    zone = page.zone
    posted_at = values["posted_at"]
    phone = values["customer_phone"]
    posted_title = ""
    if posted_at:
        posted_title = f"{values['posted_reference']} · {local_time(posted_at, zone, SHORT)}"
    moved = state["collected"]
    shown_at = values[page.order].astimezone(UTC)  # paid, or for a request asked
    row = {
        "pk": values["pk"],
        "url": f"{page.detail_prefix}{values['pk']}/",
        "number": display_number(values["number"]),
        "iso": shown_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc": shown_at.strftime("%Y-%m-%d %H:%M"),
        "when": local_time(values[page.order], zone, SHORT),
        "customer": values["customer_name"],
        "phone": _national(phone) if phone else "",
        "team": page.teams.get(values["team_id"], ""),
        "advisor": values["advisor_name"] or values["advisor_email"] or "",
        "description": values["description"],
        "reference": values["reference"],
        "status": status,
        **state,
        "asked": format_money(values["amount_cents"], currency),
        "figures": figures,
        "collected": amount(figures.collected) if moved else "—",
        "refunds": out(figures.refunds) if moved else "—",
        "disputes": out(figures.disputes) if moved else "—",
        "fee": amount(figures.fees) if moved else "—",
        "net": amount(figures.net) if moved else "—",
        "posted_title": posted_title,
    }
    cells = {name: row[name] for name in _LINE_VALUES}
    cells["when"] = _html(_PAID_AT, {name: row[name] for name in ("iso", "utc", "when")})
    cells["utc_cell"] = _html(_UTC_CELL, {"utc": row["utc"]}) if page.collected else ""
    cells["asked"] = (
        "" if moved else _html(_ASKED, {"label": page.requested, "asked": row["asked"]})
    )
    cells["posted"] = (
        _html(_POSTED, {"title": posted_title, "label": page.posted})
        if posted_title
        else page.not_posted
    )
    row["html"] = _html(_LINE, cells)
    return row


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: OrganizationRequest) -> HttpResponse:
    """F6: every payment of the member's teams, filtered, totalled, newest first, in pages.

    The table part refreshes itself every 10 s (htmx) with the same filters."""
    organization = request.organization
    membership = request.membership
    form = _filter_form(request)
    zone = str(organization.time_zone)
    filters = form.filters(zone)
    selection = _selection(request, filters)
    rows, next_cursor = ledger_selectors.payments_page(
        selection, cursor=request.GET.get("cursor", "")
    )
    seen = payment_teams_seen(membership)
    seen_scope = "all" if seen is None else sorted(seen)
    page = _Page(
        zone=ZoneInfo(zone),
        detail_prefix=reverse("payment_list", args=[organization.slug]),
        order=selection.order,
        states={},
        teams={team.pk: team.name for team in form.teams},
    )
    totals = ledger_selectors.payments_totals_cached(
        selection, organization_id=organization.pk, scope=f"{seen_scope}|{filters!r}|{zone}"
    )
    currency = organization.currency or "usd"
    context = {
        "form": form,
        "options": form.options(),
        "rows": [_row(r, page) for r in rows],
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("cursor")),
        "collected": selection.collected,
        "totals": totals,
        # the cards: the organization's currency, then any other its history holds
        "cards": [
            (c, totals.figures(c)) for c in dict.fromkeys([currency.lower(), *totals.by_currency])
        ],
        "currency": currency,
        "zone_name": zone,
        "filter_query": _filter_query(request),
        # the table's poll asks for the page it shows
        "cursor_query": "&" + urlencode({"cursor": request.GET["cursor"]})
        if request.GET.get("cursor")
        else "",
    }
    template = "payments/payment_list.html"
    if request.htmx and request.GET.get("part") == "table":
        template += "#payment-table"
    return render(request, template, context)


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_export(request: OrganizationRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered set as CSV (streamed) or XLSX (written to a temporary file)."""
    organization = request.organization
    zone = str(organization.time_zone)
    selection = _selection(request, _filter_form(request).filters(zone))
    if fmt == "xlsx":
        return ledger_export.xlsx_response(selection, zone=zone, organization=organization)
    return ledger_export.csv_response(selection, zone=zone, organization=organization)


def _payment_for(request: OrganizationRequest, pk: int, capability: Capability) -> PaymentRequest:
    return scope.payment_for(
        membership=request.membership,
        pk=pk,
        capability=capability,
        queryset=PaymentRequest.objects.select_related(
            "ticket__customer", "team", "created_by", "posted_by", "payout"
        ),
    )


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_detail(request: OrganizationRequest, pk: int) -> HttpResponse:
    payment = _payment_for(request, pk, Capability.VIEW_PAYMENTS)
    return _render_payment(request, payment)


def _render_payment(
    request: OrganizationRequest, payment: PaymentRequest, *, error: str = "", status: int = 200
) -> HttpResponse:

    organization = request.organization
    membership = request.membership
    entries = list(
        TimelineEntry.objects.filter(
            ticket_id=payment.ticket_id,
            kind=TimelineEntry.Kind.EVENT,
            data__payment_request_id=payment.pk,
        )
        .select_related("author")
        .order_by("created_at", "pk")
    )
    timeline = [
        {"entry": e, "label": TIMELINE_LABELS.get(e.event) or e.event_label} for e in entries
    ]
    context = {
        "payment": payment,
        "row": _status(payment.status),
        "amounts": ledger_selectors.payment_amounts(payment),
        "timeline": timeline,
        "zone_name": str(organization.time_zone),
        "receipt_url": reverse("payment_public", kwargs={"token": payment.token}),
        # What the viewer may do here, decided as the views that do it decide.
        "may_post": scope.payment_allows(membership, payment, Capability.POST_TO_DBS),
        "may_refund": may_refund(membership, payment),
        "post_error": error,
        "reference_value": request.POST.get("reference", payment.reference)
        if request.method == "POST"
        else payment.reference,
    }
    return render(request, "payments/payment_detail.html", context, status=status)


@require_POST
@organization_view(Capability.POST_TO_DBS)
def payment_post(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Mark posted to the DBS, with its reference (audited)."""
    payment = _payment_for(request, pk, Capability.POST_TO_DBS)
    try:
        ledger_services.payment_post_to_dbs(
            payment=payment, actor=request.user, reference=request.POST.get("reference", "")
        )
    except ValidationError as error:
        return _render_payment(
            request, payment, error=error.messages[0], status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    messages.success(request, _("Marked posted to the DBS."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)


@require_POST
@organization_view(Capability.POST_TO_DBS)
def payment_unpost(request: OrganizationRequest, pk: int) -> HttpResponse:
    """Undo "posted to the DBS" (audited)."""
    payment = _payment_for(request, pk, Capability.POST_TO_DBS)
    try:
        ledger_services.payment_unpost(payment=payment, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Posting to the DBS undone."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)
