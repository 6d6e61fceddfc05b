"""The Payments tab and the Admin tab's Stripe connection (flows F0 and F1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from payments import exports, selectors, services
from payments.forms import ChecklistForm
from payments.models import ConnectedAccount, PaymentRequest
from payments.money import format_money
from payments.requirements import (
    describe_disabled_reason,
    describe_requirements,
    onboarding_checklist,
)
from payments.stripe_api import GatewayError
from teams import selectors as team_selectors
from teams import services as team_services
from teams.access import organization_view, require
from teams.forms import OrganizationForm
from teams.models import Team
from teams.roles import Capability

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
    if not membership.is_admin:
        teams = teams.filter(pk__in=membership.payment_team_ids)
    advisors = (
        User.objects.filter(memberships__organization=organization)
        .order_by("full_name", "email")
        .only("pk", "full_name", "email")
    )
    return PaymentFilterForm(request.GET, teams=list(teams), advisors=list(advisors))


def _filtered_payments(request: HttpRequest, form: PaymentFilterForm):
    organization = request.organization  # type: ignore[attr-defined]
    zone = str(organization.time_zone)
    queryset = selectors.payments_visible(
        organization=organization,
        membership=request.membership,  # type: ignore[attr-defined]
    )
    return selectors.payments_filter(queryset, filters=form.filters(zone), zone=zone)


def _filter_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("part", None)
    return params.urlencode()


def _row(payment: PaymentRequest) -> dict[str, Any]:
    label, css = STATUS_BADGES.get(payment.status, (payment.status, "text-bg-light border"))
    collected = payment.status in selectors.COLLECTED_STATUSES
    net = payment.net_cents if payment.net_cents is not None else payment.dealership_net_cents

    def amount(cents: int) -> str:  # the table's header names the currency
        return format_money(cents, payment.currency).rsplit(" ", 1)[0]

    return {
        "payment": payment,
        "badge": label,
        "badge_class": css,
        "collected": collected,
        "net_cents": net if collected else None,
        "gross": amount(payment.amount_cents),
        "fee": amount(payment.fee_cents) if collected else "—",
        "net": amount(net) if collected else "—",
        "refunded": amount(payment.refunded_cents) if payment.refunded_cents else "—",
    }


@require_safe
@organization_view(Capability.VIEW_PAYMENTS)
def payment_list(request: HttpRequest) -> HttpResponse:
    """F6: every payment of the member's teams, filtered, totalled, newest first, in pages.

    The table part refreshes itself every 10 s (htmx) with the same filters."""
    organization = request.organization  # type: ignore[attr-defined]
    form = _filter_form(request)
    queryset = _filtered_payments(request, form)
    rows, next_cursor = selectors.payments_page(queryset, cursor=request.GET.get("cursor", ""))
    context = {
        "form": form,
        "rows": [_row(p) for p in rows],
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("cursor")),
        "totals": selectors.payments_totals(queryset),
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
    queryset = _filtered_payments(request, _filter_form(request))
    zone = str(organization.time_zone)
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
            data__number=payment.display_number,
        )
        .select_related("author")
        .order_by("created_at", "pk")
    )
    timeline = [
        {"entry": e, "label": TIMELINE_LABELS.get(e.event) or e.event_label} for e in entries
    ]
    context = {
        "payment": payment,
        "row": _row(payment),
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
            request, _("Stripe could not start onboarding: %(e)s") % {"e": error.message}
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
            request, _("Stripe could not create the account: %(e)s") % {"e": error.message}
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
        messages.error(request, _("Stripe could not be read: %(e)s") % {"e": error.message})
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
            request, _("Stripe could not open the dashboard: %(e)s") % {"e": error.message}
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
