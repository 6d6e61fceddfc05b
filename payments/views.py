"""The Payments tab and the Admin tab's Stripe connection (flows F0 and F1)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from payments import exports, selectors, services
from payments.forms import ChecklistForm
from payments.models import ConnectedAccount, PaymentRequest, display_number
from payments.money import format_money
from payments.requirements import (
    describe_disabled_reason,
    describe_requirements,
    onboarding_checklist,
)
from payments.stripe_api import GatewayError, gateway_message
from teams import selectors as team_selectors
from teams import services as team_services
from teams.access import organization_view, require
from teams.forms import OrganizationForm
from teams.models import Team
from teams.roles import Capability, payment_teams_seen

UNPROCESSABLE = 422


# The Payments tab (F6) --------------------------------------------------------------------

STATUS_BADGES = {
    PaymentRequest.Status.PAID: (_lazy("Paid"), "text-bg-success"),
    PaymentRequest.Status.REFUNDED: (_lazy("Refunded"), "text-bg-secondary"),
    PaymentRequest.Status.DISPUTED: (_lazy("Disputed"), "text-bg-danger"),
    PaymentRequest.Status.OPEN: (_lazy("Unpaid"), "text-bg-light border"),
    PaymentRequest.Status.CANCELLED: (_lazy("Cancelled"), "text-bg-light border"),
}
TIMELINE_LABELS = {
    "payment_request.posted": _lazy("Posted to the DBS"),
    "payment_request.unposted": _lazy("Posting to the DBS undone"),
}


class PaymentFilterForm(forms.Form):
    """The filter bar: GET parameters, each optional; bad values are simply ignored."""

    RANGES = [
        ("", _lazy("Any date")),
        ("today", _lazy("Today")),
        ("yesterday", _lazy("Yesterday")),
        ("week", _lazy("This week")),
        ("custom", _lazy("Custom")),
    ]
    range = forms.ChoiceField(choices=RANGES, required=False, label=_lazy("Date"))
    date_from = forms.DateField(required=False, label=_lazy("From"))
    date_to = forms.DateField(required=False, label=_lazy("To"))
    status = forms.ChoiceField(required=False, label=_lazy("Status"))
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    advisor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    posted = forms.ChoiceField(
        choices=[
            ("", _lazy("Posted or not")),
            ("yes", _lazy("Posted")),
            ("no", _lazy("Not posted")),
        ],
        required=False,
        label=_lazy("DBS"),
    )
    q = forms.CharField(required=False, max_length=100, label=_lazy("Search"))

    def __init__(self, data, *, teams, advisors):
        super().__init__(data)
        self.fields["status"].choices = [("", _lazy("Any status"))] + [
            (status.value, label)
            for status, (label, _css) in STATUS_BADGES.items()
            if status != PaymentRequest.Status.CANCELLED
        ]
        self.fields["team"].choices = [("", _lazy("All teams"))] + [(t.pk, t.name) for t in teams]
        self.fields["advisor"].choices = [("", _lazy("All advisors"))] + [
            (u.pk, u.get_full_name()) for u in advisors
        ]

    def options(self) -> dict[str, list[tuple[str, str, bool]]]:
        """Each select's options as (value, label, selected), computed once per page: a
        group's advisor list is long, and comparing in the template costs per option."""
        out = {}
        for name in ("range", "status", "team", "advisor", "posted"):
            current = str(self[name].value() or "")
            out[name] = [
                (str(value), str(label), str(value) == current)
                for value, label in self.fields[name].choices  # type: ignore[attr-defined]
            ]
        return out

    def filters(self, zone: str) -> selectors.PaymentFilters:
        self.is_valid()  # an invalid field drops out of cleaned_data; the others apply
        data = self.cleaned_data
        today = timezone.now().astimezone(ZoneInfo(zone)).date()
        date_from = date_to = None
        preset = data.get("range") or ""
        if preset == "today":
            date_from = date_to = today
        elif preset == "yesterday":
            date_from = date_to = today - timedelta(days=1)
        elif preset == "week":
            date_from, date_to = today - timedelta(days=today.weekday()), today
        elif preset == "custom" or data.get("date_from") or data.get("date_to"):
            date_from, date_to = data.get("date_from"), data.get("date_to")
        return selectors.PaymentFilters(
            date_from=date_from,
            date_to=date_to,
            status=data.get("status") or "",
            team=data.get("team"),
            advisor=data.get("advisor"),
            posted=data.get("posted") or "",
            q=(data.get("q") or "").strip(),
        )


def _filter_form(request: HttpRequest) -> PaymentFilterForm:
    organization = request.organization  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    teams = Team.objects.filter(organization=organization).order_by("name")
    advisors = User.objects.filter(memberships__organization=organization)
    seen = payment_teams_seen(membership)
    if seen is not None:  # the people of the member's own teams
        teams = teams.filter(pk__in=seen)
        advisors = advisors.filter(memberships__teams__in=seen).distinct()
    advisors = advisors.order_by("full_name", "email").only("pk", "full_name", "email")
    return PaymentFilterForm(request.GET, teams=list(teams), advisors=list(advisors))


def _filtered_payments(
    request: HttpRequest, filters: selectors.PaymentFilters
) -> QuerySet[PaymentRequest]:
    organization = request.organization  # type: ignore[attr-defined]
    queryset = selectors.payments_visible(
        organization=organization,
        membership=request.membership,  # type: ignore[attr-defined]
    )
    return selectors.payments_filter(queryset, organization=organization, filters=filters)


def _filter_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("part", None)
    return params.urlencode()


def _status(status: str, amount_cents: int, fee_cents: int, net_cents: int | None) -> dict:
    """The badge of a payment's status, and its net once collected (else None)."""
    label, css = STATUS_BADGES.get(status, (status, "text-bg-light border"))
    collected = status in selectors.COLLECTED_STATUSES
    net = net_cents if net_cents is not None else amount_cents - fee_cents
    return {
        "badge": label,
        "badge_class": css,
        "collected": collected,
        "net_cents": net if collected else None,
    }


def _row(values: dict[str, Any], zone: ZoneInfo, detail_prefix: str) -> dict[str, Any]:
    """One line of the table, every text ready: the template only prints (a page is 50
    lines, and each tag or filter there costs per line)."""
    status = values["status"]
    state = _status(status, values["amount_cents"], values["fee_cents"], values["net_cents"])
    collected, net = state["collected"], state["net_cents"]
    currency = values["currency"]

    def amount(cents: int) -> str:  # the table's header names the currency
        return format_money(cents, currency).rsplit(" ", 1)[0]

    created_at, posted_at = values["created_at"], values["posted_at"]
    phone = values["customer_phone"]
    posted_title = ""
    if posted_at:
        local_posted = timezone.localtime(posted_at, zone).replace(tzinfo=None)
        posted_title = (
            f"{values['posted_reference']} · {date_format(local_posted, 'M j, g:i A')} ({zone})"
        )
    return {
        "pk": values["pk"],
        "url": f"{detail_prefix}{values['pk']}/",
        "number": display_number(values["number"]),
        "iso": created_at.isoformat(),
        "utc": created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "when": date_format(
            timezone.localtime(created_at, zone).replace(tzinfo=None), "M j, g:i A"
        ),
        "customer": values["customer_name"],
        "phone": PhoneNumber.from_string(phone).as_national if phone else "",
        "team": values["team_name"],
        "advisor": values["advisor_name"] or values["advisor_email"] or "",
        "description": values["description"],
        "reference": values["reference"],
        "status": status,
        **state,
        "gross": amount(values["amount_cents"]),
        "fee": amount(values["fee_cents"]) if collected else "—",
        "net": amount(net) if collected else "—",
        "refunded": amount(values["refunded_cents"]) if values["refunded_cents"] else "—",
        "posted_title": posted_title,
    }


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: HttpRequest) -> HttpResponse:
    """F6: every payment of the member's teams, filtered, totalled, newest first, in pages.

    The table part refreshes itself every 10 s (htmx) with the same filters."""
    organization = request.organization  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    form = _filter_form(request)
    zone = str(organization.time_zone)
    filters = form.filters(zone)
    queryset = _filtered_payments(request, filters)
    rows, next_cursor = selectors.payments_page(queryset, cursor=request.GET.get("cursor", ""))
    seen = payment_teams_seen(membership)
    scope = "all" if seen is None else sorted(seen)
    tz = ZoneInfo(zone)
    # payment_detail is payment_list's URL + "<pk>/": one reverse() a page, not one a row
    detail_prefix = reverse("payment_list", args=[organization.slug])
    context = {
        "form": form,
        "options": form.options(),
        "rows": [_row(r, tz, detail_prefix) for r in rows],
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("cursor")),
        "totals": selectors.payments_totals_cached(
            queryset, organization_id=organization.pk, scope=f"{scope}|{filters!r}|{zone}"
        ),
        "currency": organization.currency or "usd",
        "zone_name": str(organization.time_zone),
        "filter_query": _filter_query(request),
    }
    template = "payments/payment_list.html"
    if request.htmx and request.GET.get("part") == "table":  # type: ignore[attr-defined]
        template += "#payment-table"
    return render(request, template, context)


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered set as CSV (streamed) or XLSX (written to a temporary file)."""
    organization = request.organization  # type: ignore[attr-defined]
    zone = str(organization.time_zone)
    queryset = _filtered_payments(request, _filter_form(request).filters(zone))
    if fmt == "xlsx":
        return exports.xlsx_response(queryset, zone=zone, organization=organization)
    return exports.csv_response(queryset, zone=zone, organization=organization)


def _payment_for(request: HttpRequest, pk: int) -> PaymentRequest:
    queryset = selectors.payments_scoped(
        PaymentRequest.objects.select_related(
            "ticket__customer", "team", "created_by", "posted_by", "payout"
        ),
        membership=request.membership,  # type: ignore[attr-defined]
    )
    return get_object_or_404(queryset, pk=pk)


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment_for(request, pk)
    return _render_payment(request, payment)


def _render_payment(
    request: HttpRequest, payment: PaymentRequest, *, error: str = "", status: int = 200
) -> HttpResponse:
    from tickets.models import TimelineEntry

    organization = request.organization  # type: ignore[attr-defined]
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
        "row": _status(payment.status, payment.amount_cents, payment.fee_cents, payment.net_cents),
        "timeline": timeline,
        "zone_name": str(organization.time_zone),
        "receipt_url": reverse("payment_public", kwargs={"token": payment.token}),
        "post_error": error,
        "reference_value": request.POST.get("reference", payment.reference)
        if request.method == "POST"
        else payment.reference,
    }
    return render(request, "payments/payment_detail.html", context, status=status)


@require_POST
@organization_view(Capability.VIEW_PAYMENTS)
def payment_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark posted to the DBS, with its reference (audited)."""
    payment = _payment_for(request, pk)
    require(request, Capability.VIEW_PAYMENTS, payment.team)
    try:
        services.payment_post_to_dbs(
            payment=payment, actor=request.user, reference=request.POST.get("reference", "")
        )
    except ValidationError as error:
        return _render_payment(request, payment, error=error.messages[0], status=UNPROCESSABLE)
    messages.success(request, _("Marked posted to the DBS."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)  # type: ignore[attr-defined]


@require_POST
@organization_view(Capability.VIEW_PAYMENTS)
def payment_unpost(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo "posted to the DBS" (audited)."""
    payment = _payment_for(request, pk)
    require(request, Capability.VIEW_PAYMENTS, payment.team)
    try:
        services.payment_unpost(payment=payment, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Posting to the DBS undone."))
    return redirect("payment_detail", org=request.organization.slug, pk=payment.pk)  # type: ignore[attr-defined]


def _admin_tab(request: HttpRequest) -> HttpResponse:
    return redirect(
        reverse("admin_tab", kwargs={"org": request.organization.slug}) + "#connections"
    )


def _onboarding_redirect(request: HttpRequest, account: ConnectedAccount) -> HttpResponse:
    org = request.organization.slug
    try:
        url = services.onboarding_link(
            account=account,
            refresh_url=request.build_absolute_uri(reverse("stripe_refresh", kwargs={"org": org})),
            return_url=request.build_absolute_uri(reverse("stripe_return", kwargs={"org": org})),
        )
    except GatewayError as error:
        messages.error(
            request, gateway_message(_("Stripe could not start onboarding: %(e)s"), error)
        )
        return _admin_tab(request)
    return redirect(url)


@require_POST
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_connect(request: HttpRequest) -> HttpResponse:
    """Connect (or continue connecting): create the Express account once, then onboarding."""
    try:
        account = services.connected_account_start(
            organization=request.organization, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _admin_tab(request)
    except GatewayError as error:
        messages.error(
            request, gateway_message(_("Stripe could not create the account: %(e)s"), error)
        )
        return _admin_tab(request)
    if account.status == ConnectedAccount.Status.CONNECTED:
        messages.info(request, _("Stripe is connected already."))
        return _admin_tab(request)
    return _onboarding_redirect(request, account)


@require_safe
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_return(request: HttpRequest) -> HttpResponse:
    """Stripe sends the admin back here; only the account itself says whether it is done."""
    account = selectors.connected_account(organization=request.organization)
    if account is None:
        return _admin_tab(request)
    try:
        account = services.connected_account_refresh(account=account)
    except GatewayError as error:
        messages.error(request, gateway_message(_("Stripe could not be read: %(e)s"), error))
        return _admin_tab(request)
    status = account.status
    if status == ConnectedAccount.Status.CONNECTED:
        messages.success(
            request,
            _("Stripe is connected. Next: set the payout schedule and the statement descriptor."),
        )
    elif status == ConnectedAccount.Status.PENDING_VERIFICATION:
        messages.info(
            request, _("Thanks. Stripe is verifying the details; this can take a little while.")
        )
    else:
        messages.warning(request, _("Stripe still needs a few details to finish the connection."))
    return _admin_tab(request)


@require_safe
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_refresh(request: HttpRequest) -> HttpResponse:
    """An onboarding link expired or was used already: make a fresh one and go."""
    account = selectors.connected_account(organization=request.organization)
    if account is None or not account.stripe_account_id or account.deauthorized_at:
        return _admin_tab(request)
    return _onboarding_redirect(request, account)


@require_POST
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_dashboard(request: HttpRequest) -> HttpResponse:
    """Open the Stripe Express dashboard: a single-use login link, made on the click."""
    account = selectors.connected_account(organization=request.organization)
    if account is None or not account.stripe_account_id or account.deauthorized_at:
        messages.error(request, _("Connect Stripe first."))
        return _admin_tab(request)
    try:
        url = services.express_dashboard_link(account=account, actor=request.user)
    except GatewayError as error:
        messages.error(
            request, gateway_message(_("Stripe could not open the dashboard: %(e)s"), error)
        )
        return _admin_tab(request)
    return redirect(url)


@require_POST
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_checklist(request: HttpRequest) -> HttpResponse:
    """F0: e-mail what Stripe will ask for to accounting, with an invitation as Manager."""
    form = ChecklistForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            services.checklist_send(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            for field, errors in getattr(
                error, "error_dict", {"__all__": error.error_list}
            ).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Checklist sent to %(email)s, with an invitation to join as Manager.")
                % {"email": form.cleaned_data["email"]},
            )
            return _admin_tab(request)
    return _render_admin_tab(request, checklist_form=form, status=UNPROCESSABLE)


# The Admin tab ----------------------------------------------------------------------------


def _render_admin_tab(
    request: HttpRequest,
    *,
    form: OrganizationForm | None = None,
    checklist_form: ChecklistForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    account = selectors.connected_account(organization=organization)
    context = {
        "form": form or _organization_form(request),
        "checklist_form": checklist_form or ChecklistForm(organization=organization),
        "account": account,
        "checklist": onboarding_checklist(organization.country_code),
        "requirements_due": describe_requirements(
            [*(account.past_due if account else []), *(account.currently_due if account else [])]
        ),
        "requirements_eventually": describe_requirements(account.eventually_due if account else []),
        "disabled_reason": describe_disabled_reason(account.disabled_reason if account else ""),
        "audit_entries": team_selectors.audit_list(organization=organization, limit=20),
    }
    return render(request, "payments/admin_tab.html", context, status=status)


def _organization_form(request: HttpRequest, data=None) -> OrganizationForm:
    organization = request.organization
    return OrganizationForm(
        data,
        initial={
            "name": organization.name,
            "country": organization.country_code,
            "time_zone": organization.time_zone,
        },
    )


@require_http_methods(["GET", "POST"])
@organization_view(Capability.CONNECT_PAYMENTS)
def admin_tab(request: HttpRequest) -> HttpResponse:
    """Admin tab: Connections (Stripe), organization settings, recent changes."""
    if request.method == "POST":
        require(request, Capability.MANAGE_ORGANIZATION)
        form = _organization_form(request, request.POST)
        if form.is_valid():
            team_services.organization_update(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("Organization settings saved."))
            return redirect("admin_tab", org=request.organization.slug)
        return _render_admin_tab(request, form=form, status=UNPROCESSABLE)
    return _render_admin_tab(request)
