"""The Admin tab: the Stripe connection, onboarding and the Express dashboard (F0, F1)."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import add_errors
from payments.connect import selectors as connect_selectors
from payments.connect import services as connect_services
from payments.connect.forms import ChecklistForm
from payments.connect.payout_settings import describe_schedule
from payments.gateway import GatewayError, gateway_message
from payments.gateway.requirements import (
    describe_disabled_reason,
    describe_requirements,
    onboarding_checklist,
)
from payments.models import ConnectedAccount
from teams import selectors as team_selectors
from teams import services as team_services
from teams.access import OrganizationRequest, organization_view, require
from teams.forms import OrganizationForm
from teams.roles import Capability


def _admin_tab(request: OrganizationRequest) -> HttpResponse:
    return redirect(
        reverse("admin_tab", kwargs={"org": request.organization.slug}) + "#connections"
    )


def _onboarding_redirect(request: OrganizationRequest, account: ConnectedAccount) -> HttpResponse:
    org = request.organization.slug
    try:
        url = connect_services.onboarding_link(
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
def stripe_connect(request: OrganizationRequest) -> HttpResponse:
    """Connect (or continue connecting): create the Express account once, then onboarding."""
    try:
        account = connect_services.connected_account_start(
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
def stripe_return(request: OrganizationRequest) -> HttpResponse:
    """Stripe sends the admin back here; only the account itself says whether it is done."""
    account = connect_selectors.connected_account(organization=request.organization)
    if account is None:
        return _admin_tab(request)
    try:
        account = connect_services.connected_account_refresh(account=account)
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
def stripe_refresh(request: OrganizationRequest) -> HttpResponse:
    """An onboarding link expired or was used already: make a fresh one and go."""
    account = connect_selectors.connected_account(organization=request.organization)
    if account is None or not account.stripe_account_id or account.deauthorized_at:
        return _admin_tab(request)
    return _onboarding_redirect(request, account)


@require_POST
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_dashboard(request: OrganizationRequest) -> HttpResponse:
    """Open the Stripe Express dashboard: a single-use login link, made on the click."""
    account = connect_selectors.connected_account(organization=request.organization)
    if account is None or not account.stripe_account_id or account.deauthorized_at:
        messages.error(request, _("Connect Stripe first."))
        return _admin_tab(request)
    try:
        url = connect_services.express_dashboard_link(account=account, actor=request.user)
    except GatewayError as error:
        messages.error(
            request, gateway_message(_("Stripe could not open the dashboard: %(e)s"), error)
        )
        return _admin_tab(request)
    return redirect(url)


@require_POST
@organization_view(Capability.CONNECT_PAYMENTS)
def stripe_checklist(request: OrganizationRequest) -> HttpResponse:
    """F0: e-mail what Stripe will ask for to accounting, with an invitation as Manager."""
    form = ChecklistForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            connect_services.checklist_send(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Checklist sent to %(email)s, with an invitation to join as Manager.")
                % {"email": form.cleaned_data["email"]},
            )
            return _admin_tab(request)
    return _render_admin_tab(request, checklist_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)


def _render_admin_tab(
    request: OrganizationRequest,
    *,
    form: OrganizationForm | None = None,
    checklist_form: ChecklistForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    account = connect_selectors.connected_account(organization=organization)
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
        "payout_schedule": describe_schedule(account) if account else "",
        "audit_entries": team_selectors.audit_list(organization=organization, limit=20),
    }
    return render(request, "payments/admin_tab.html", context, status=status)


def _organization_form(request: OrganizationRequest, data=None) -> OrganizationForm:
    organization = request.organization
    return OrganizationForm(
        data,
        locked=organization if organization.currency_locked_at else None,
        initial={
            "name": organization.name,
            "country": organization.country_code,
            "province": organization.province,
            "time_zone": organization.time_zone,
            "language": organization.language,
        },
    )


@require_http_methods(["GET", "POST"])
@organization_view(Capability.CONNECT_PAYMENTS)
def admin_tab(request: OrganizationRequest) -> HttpResponse:
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
        return _render_admin_tab(request, form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    return _render_admin_tab(request)
