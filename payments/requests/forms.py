"""Payment request input: the advisor's request and the reminder setting. Forms never write."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.formats import format_money, format_number
from payments.models import RepairOrder
from payments.money import MAX_AMOUNT_CENTS, MAX_TOTAL_CENTS, AmountError, parse_amount


class AmountField(forms.CharField):
    """An amount typed as the reader writes numbers, cleaned to integer cents (never a float)
    in the form's currency: the form sets ``currency`` and the placeholder (``amount_fields``)
    once the reader's language is active."""

    def __init__(self, *, required_message, maximum: int = MAX_AMOUNT_CENTS, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)
        self.required_message = required_message  # with %(example)s
        self.maximum = maximum
        self.currency = "usd"

    def clean(self, value) -> int:
        if value in self.empty_values:
            raise forms.ValidationError(
                self.required_message % {"example": format_number(123_456)}, code="required"
            )
        try:
            return parse_amount(value, self.currency, maximum=self.maximum)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from exc


def amount_fields(form: forms.Form, currency: str) -> None:
    """Give the form's amounts its currency and the reader's "0.00" (or "0,00") placeholder."""
    for field in form.fields.values():
        if isinstance(field, AmountField):
            field.currency = currency
            field.widget.attrs["placeholder"] = format_number(0)


class PaymentRequestForm(forms.Form):
    """Amount in the organization's currency (parsed to cents without floats), what it is
    for, and the DBS invoice or repair-order number if there is one."""

    amount = AmountField(
        label=_("Amount"), required_message=_("Enter the amount, like %(example)s.")
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        help_text=_("The customer sees this, e.g. “Brake service, RO 4411”."),
        error_messages={"required": _("Describe what the payment is for.")},
    )
    reference = forms.CharField(
        label=_("DBS invoice or RO number"),
        max_length=64,
        required=False,
        help_text=_("Optional: helps accounting match the payment in the DBS."),
    )

    # One request per submission: a key made when the form is shown; the same key sent twice
    # (a double click, a resent post) gets the request the first one made.
    submission = forms.CharField(
        widget=forms.HiddenInput, max_length=64, required=False, initial=""
    )

    repair_order = forms.TypedChoiceField(
        label=_("Repair order"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Asked against it, the request can never be more than it still owes."),
    )

    def __init__(self, *args, currency: str, orders: dict | None = None, **kwargs):
        """``orders``: the ticket's open repair orders, each with its Balance, to ask against."""
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.orders = orders or {}
        choice = self.fields["repair_order"]
        assert isinstance(choice, forms.TypedChoiceField)
        choice.choices = [
            ("", _("None")),
            *(
                (
                    order.pk,
                    _("%(order)s: %(owed)s still owed")
                    % {"order": order, "owed": format_money(balance.owed, order.currency)},
                )
                for order, balance in self.orders.values()
            ),
        ]
        if not self.orders:
            choice.widget = forms.HiddenInput()
        # As the reader writes numbers: "0.00" and "1,234.56", or "0,00" and "1 234,56".
        amount_fields(self, currency)
        if not self.is_bound:
            self.initial["submission"] = secrets.token_urlsafe(16)

    def clean_description(self) -> str:
        value = " ".join(self.cleaned_data["description"].split())
        if not value:
            raise forms.ValidationError(_("Describe what the payment is for."))
        return value

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip()

    def clean_repair_order(self) -> RepairOrder | None:
        pk = self.cleaned_data.get("repair_order")
        return self.orders[pk][0] if pk in self.orders else None


class RepairOrderForm(forms.Form):
    """A repair order of the ticket: the DBS's RO or invoice number and what it comes to."""

    number = forms.CharField(
        label=_("RO or invoice number"),
        max_length=64,
        required=False,
        help_text=_("As the DBS writes it; two repair orders cannot share one."),
    )
    total = AmountField(
        label=_("Total"),
        required_message=_("Enter the repair order's total, like %(example)s."),
        maximum=MAX_TOTAL_CENTS,
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        amount_fields(self, currency)


REMINDER_CHOICES = [
    (0, _("Off")),
    (4, _("After 4 hours")),
    (12, _("After 12 hours")),
    (24, _("After 24 hours")),
    (48, _("After 2 days")),
    (72, _("After 3 days")),
]


class ReminderForm(forms.Form):
    """When an unpaid payment request gets its one reminder text."""

    after_hours = forms.TypedChoiceField(
        label=_("Reminder for unpaid requests"),
        choices=REMINDER_CHOICES,
        coerce=int,
        help_text=_("One text with the same link; never to a customer who replied STOP."),
    )

    def clean_after_hours(self) -> int | None:
        return self.cleaned_data["after_hours"] or None
