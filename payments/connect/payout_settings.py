"""Payout settings (flow F8): schedule, statement descriptor, payout e-mail recipients,
payment reminders.

One page, several forms. Each form posts to the page with a hidden ``form`` field naming it;
success answers a redirect back with a message, invalid input or Stripe's refusal the page
again with the reasons on that form (422), and an organization whose Stripe account is not
connected gets 409 and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.decorators import reauthentication_purpose, recent_password_required
from accounts.formats import format_money
from accounts.forms import add_errors
from payments.connect import selectors as connect_selectors
from payments.connect import services as connect_services
from payments.connect.forms import (
    PayoutRecipientsForm,
    PayoutScheduleForm,
    StatementDescriptorForm,
)
from payments.dates import weekday_name
from payments.gateway import GatewayError, gateway_message
from payments.models import ConnectedAccount
from payments.payouts import selectors as payouts_selectors
from payments.requests import reminders as requests_reminders
from payments.requests.forms import ReminderForm
from teams.access import OrganizationRequest, organization_view
from teams.roles import Capability

CONFLICT = 409


PREVIEW_AMOUNT_CENTS = 12500


# The card each form lives in: where a redirect lands after saving.
ANCHORS = {
    "schedule": "payout-schedule",
    "descriptor": "statement-descriptor",
    "recipients": "payout-emails",
    "reminders": "payment-reminders",
}


def _days(count: int) -> str:
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}


def describe_schedule(account: ConnectedAccount) -> str:
    """The schedule as Stripe read it back, in words: "Weekly on Friday, 2 days after the
    charge"."""
    interval = account.payout_interval
    if not interval:
        return _("Not read from Stripe yet")
    if interval == "manual":
        return _("Manual: payouts only when you ask in Stripe")
    if interval == "weekly":
        words = _("Weekly on %(day)s") % {"day": weekday_name(account.payout_weekly_anchor)}
    elif interval == "monthly":
        # A day number, never an ordinal: "1st" is English only.
        words = _("Monthly, on day %(day)s") % {"day": account.payout_monthly_anchor or 1}
    else:
        words = _("Daily")
    if account.payout_delay_days is not None:
        words = _("%(schedule)s, %(days)s after the charge") % {
            "schedule": words,
            "days": _days(account.payout_delay_days),
        }
    return words


def _schedule_initial(account: ConnectedAccount) -> dict[str, Any]:
    return {
        "interval": account.payout_interval or "daily",
        "weekly_anchor": account.payout_weekly_anchor,
        "monthly_anchor": account.payout_monthly_anchor,
        "delay_days": account.payout_delay_days,
    }


def _back(request: OrganizationRequest, which: str) -> HttpResponse:
    url = reverse("payout_settings", kwargs={"org": request.organization.slug})
    return redirect(f"{url}#{ANCHORS[which]}")


def _save_schedule(
    request: OrganizationRequest, account: ConnectedAccount
) -> tuple[forms.Form, HttpResponse | None]:
    form = PayoutScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            account = connect_services.payout_schedule_update(
                account=account,
                actor=request.user,
                interval=data["interval"],
                weekly_anchor=data["weekly_anchor"] or None,
                monthly_anchor=data["monthly_anchor"],
                delay_days=data["delay_days"],
            )
        except (GatewayError, ValidationError) as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Payout schedule saved. Stripe now pays out: %(schedule)s.")
                % {"schedule": describe_schedule(account)},
            )
            asked = data["delay_days"]
            if asked is not None and account.payout_delay_days != asked:
                messages.warning(
                    request,
                    _(
                        "Stripe set the delay to %(days)s, not %(asked)s: "
                        "that is what it allows for this account."
                    )
                    % {"days": _days(account.payout_delay_days or 0), "asked": asked},
                )
            return form, _back(request, "schedule")
    return form, None


def _save_descriptor(
    request: OrganizationRequest, account: ConnectedAccount
) -> tuple[forms.Form, HttpResponse | None]:
    form = StatementDescriptorForm(request.POST)
    if form.is_valid():
        try:
            account = connect_services.statement_descriptor_update(
                account=account, actor=request.user, descriptor=form.cleaned_data["descriptor"]
            )
        except (GatewayError, ValidationError) as error:
            _form_error(form, error)
        else:
            # The field keeps the text as typed; card statements print it in capitals (as the
            # preview does): the message says both, so the two never look contradictory.
            saved = account.statement_descriptor
            messages.success(
                request,
                _(
                    "Statement descriptor saved as “%(saved)s”. Card statements show it in "
                    "capitals: “%(text)s”."
                )
                % {"saved": saved, "text": StatementDescriptorForm.preview(saved)},
            )
            return form, _back(request, "descriptor")
    return form, None


def _save_recipients(
    request: OrganizationRequest, account: ConnectedAccount
) -> tuple[forms.Form, HttpResponse | None]:
    form = PayoutRecipientsForm(request.POST, organization=request.organization)
    if form.is_valid():
        members = form.cleaned_data["recipients"]
        try:
            connect_services.payout_recipients_set(
                account=account, actor=request.user, members=members
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            if members:
                text = ngettext(
                    "Payout e-mails saved: %(count)s person receives them.",
                    "Payout e-mails saved: %(count)s people receive them.",
                    len(members),
                ) % {"count": len(members)}
            else:
                text = _("Payout e-mails saved: nobody receives them.")
            messages.success(request, text)
            return form, _back(request, "recipients")
    return form, None


def _save_reminders(
    request: OrganizationRequest, account: ConnectedAccount
) -> tuple[forms.Form, HttpResponse | None]:
    form = ReminderForm(request.POST)
    if form.is_valid():
        hours = form.cleaned_data["after_hours"]
        requests_reminders.reminder_settings_update(
            account=account, actor=request.user, after_hours=hours
        )
        if hours:
            text = ngettext(
                "Unpaid requests get one reminder text %(count)s hour after they were sent.",
                "Unpaid requests get one reminder text %(count)s hours after they were sent.",
                hours,
            ) % {"count": hours}
        else:
            text = _("Reminders are off.")
        messages.success(request, text)
        return form, _back(request, "reminders")
    return form, None


Handler = Callable[[OrganizationRequest, ConnectedAccount], tuple[forms.Form, HttpResponse | None]]


HANDLERS: dict[str, Handler] = {
    "schedule": _save_schedule,
    "descriptor": _save_descriptor,
    "recipients": _save_recipients,
    "reminders": _save_reminders,
}


def _form_error(form: forms.Form, error: GatewayError | ValidationError) -> None:
    """Stripe's refusal, or a service's reason, shown on the form that asked."""
    if isinstance(error, GatewayError):
        form.add_error(None, gateway_message(_("Stripe refused the change: %(e)s"), error))
    else:
        add_errors(form, error)


def _payout_settings_purpose(request: HttpRequest, org: str) -> str:
    """The password page's sentence before a change of the payout settings (the change is
    made as soon as the password is confirmed)."""
    return _("Enter your password to change the payout settings: where and when Stripe pays out.")


@reauthentication_purpose(_payout_settings_purpose)
@require_http_methods(["GET", "POST"])
@organization_view(Capability.MANAGE_PAYOUT_SETTINGS)
@recent_password_required
def payout_settings(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    account = connect_selectors.connected_account(organization=organization)
    connected = account is not None and account.status == ConnectedAccount.Status.CONNECTED
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        if account is None or not connected:
            messages.error(
                request,
                _("Connect Stripe first: payout settings belong to the connected Stripe account."),
            )
            return _render(request, account, connected=False, status=CONFLICT)
        which = request.POST.get("form", "")
        handler = HANDLERS.get(which)
        if handler is None:
            messages.error(request, _("That form is not on this page. Nothing was changed."))
            return _render(request, account, connected=True, status=400)
        form, response = handler(request, account)
        if response is not None:
            return response
        bound[which] = form
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    return _render(request, account, connected=connected, forms_=bound, status=status)


def _render(
    request: OrganizationRequest,
    account: ConnectedAccount | None,
    *,
    connected: bool,
    forms_: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    context: dict[str, Any] = {"account": account, "connected": connected}
    if account is not None and connected:
        forms_ = forms_ or {}
        currency = account.default_currency or organization.currency or "usd"
        recipients_form = forms_.get("recipients") or PayoutRecipientsForm(
            organization=organization,
            initial={"recipients": list(account.payout_recipients.values_list("pk", flat=True))},
        )
        context |= {
            "schedule_form": forms_.get("schedule")
            or PayoutScheduleForm(initial=_schedule_initial(account)),
            "descriptor_form": forms_.get("descriptor")
            or StatementDescriptorForm(initial={"descriptor": account.statement_descriptor}),
            "recipients_form": recipients_form,
            "reminder_form": forms_.get("reminders")
            or ReminderForm(initial={"after_hours": account.reminder_after_hours or 0}),
            "schedule_words": describe_schedule(account),
            "descriptor_preview": StatementDescriptorForm.preview(account.statement_descriptor),
            "preview_date": timezone.localdate(timezone=organization.time_zone),
            "preview_amount": format_money(PREVIEW_AMOUNT_CENTS, currency),
            "payouts": payouts_selectors.payout_list(organization=organization, limit=10),
        }
    return render(request, "payments/payout_settings.html", context, status=status)
