"""Admin tab input: the onboarding checklist and the payout settings. Forms never write."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.forms import MobilePhoneField
from teams.models import Membership, Organization

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ChecklistForm(forms.Form):
    """F0: who in accounting receives the onboarding checklist, invited as Manager."""

    full_name = forms.CharField(label=_("Accounting contact"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    mobile_phone = MobilePhoneField(label=_("Mobile phone"))

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


PAYOUT_INTERVALS = [
    ("daily", _("Daily")),
    ("weekly", _("Weekly")),
    ("monthly", _("Monthly")),
    ("manual", _("Manual (payouts only when you ask in Stripe)")),
]


WEEKDAYS = [
    ("monday", _("Monday")),
    ("tuesday", _("Tuesday")),
    ("wednesday", _("Wednesday")),
    ("thursday", _("Thursday")),
    ("friday", _("Friday")),
    ("saturday", _("Saturday")),
    ("sunday", _("Sunday")),
]


DELAY_DAYS_MIN = 2


DELAY_DAYS_MAX = 30


class PayoutScheduleForm(forms.Form):
    """How often Stripe pays the balance out to the dealership's bank, and how long it waits."""

    interval = forms.ChoiceField(
        label=_("How often"),
        choices=PAYOUT_INTERVALS,
        widget=forms.RadioSelect,
    )
    weekly_anchor = forms.ChoiceField(
        label=_("Weekday"),
        choices=[("", "—"), *WEEKDAYS],
        required=False,
        help_text=_("For weekly payouts."),
    )
    monthly_anchor = forms.IntegerField(
        label=_("Day of the month"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_(
            "For monthly payouts. Days past the end of a short month pay out on its last day."
        ),
        error_messages={
            "min_value": _("Choose a day from 1 to 31."),
            "max_value": _("Choose a day from 1 to 31."),
            "invalid": _("Choose a day from 1 to 31."),
        },
    )
    delay_days = forms.IntegerField(
        label=_("Delay days"),
        required=False,
        min_value=DELAY_DAYS_MIN,
        max_value=DELAY_DAYS_MAX,
        help_text=_(
            "How many days Stripe holds the money from a charge before it can be paid out. "
            "Leave blank for Stripe's minimum for your country."
        ),
        error_messages={
            "min_value": _("Enter 2 to 30 days, or leave it blank for Stripe's minimum."),
            "max_value": _("Enter 2 to 30 days, or leave it blank for Stripe's minimum."),
            "invalid": _("Enter 2 to 30 days, or leave it blank for Stripe's minimum."),
        },
    )

    def clean(self):
        cleaned = super().clean()
        interval = cleaned.get("interval")
        if interval == "weekly" and not cleaned.get("weekly_anchor"):
            self.add_error("weekly_anchor", _("Choose the weekday of weekly payouts."))
        if (
            interval == "monthly"
            and not cleaned.get("monthly_anchor")
            and "monthly_anchor" not in self.errors
        ):
            self.add_error("monthly_anchor", _("Choose the day of monthly payouts (1 to 31)."))
        if interval == "manual":
            cleaned["delay_days"] = None  # manual payouts have no delay: Stripe ignores it
        # Anchors of the other intervals mean nothing to Stripe: drop them.
        if interval != "weekly":
            cleaned["weekly_anchor"] = None
        if interval != "monthly":
            cleaned["monthly_anchor"] = None
        return cleaned


# Stripe's statement descriptor rules: 5 to 22 characters, Latin letters, digits and simple
# punctuation, at least one letter, none of < > \ ' " *.
DESCRIPTOR_MIN = 5


DESCRIPTOR_MAX = 22


DESCRIPTOR_FORBIDDEN = "<>\\'\"*"


DESCRIPTOR_PUNCTUATION = ".,-&/#():+!?;%_@$"


DESCRIPTOR_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


DESCRIPTOR_ALLOWED = DESCRIPTOR_LETTERS | frozenset("0123456789 " + DESCRIPTOR_PUNCTUATION)


def statement_descriptor_errors(value: str) -> list[StrOrPromise]:
    """Every rule of Stripe's that ``value`` breaks, in words; empty when Stripe would take it."""
    errors: list[StrOrPromise] = []
    if len(value) < DESCRIPTOR_MIN:
        errors.append(
            _("Use at least %(n)s characters (this has %(count)s).")
            % {"n": DESCRIPTOR_MIN, "count": len(value)}
        )
    if len(value) > DESCRIPTOR_MAX:
        errors.append(
            _("Use at most %(n)s characters (this has %(count)s).")
            % {"n": DESCRIPTOR_MAX, "count": len(value)}
        )
    forbidden = [c for c in DESCRIPTOR_FORBIDDEN if c in value]
    if forbidden:
        errors.append(_("Card statements can't show %(chars)s.") % {"chars": " ".join(forbidden)})
    non_latin = sorted({c for c in value if c.isalpha() and c not in DESCRIPTOR_LETTERS})
    if non_latin:
        errors.append(
            _("Use Latin letters A to Z without accents (not %(chars)s).")
            % {"chars": " ".join(non_latin)}
        )
    other = sorted(
        {
            c
            for c in value
            if c not in DESCRIPTOR_ALLOWED and c not in DESCRIPTOR_FORBIDDEN and not c.isalpha()
        }
    )
    if other:
        errors.append(
            _("Not allowed: %(chars)s. Use letters, digits, spaces and %(punct)s only.")
            % {"chars": " ".join(other), "punct": " ".join(DESCRIPTOR_PUNCTUATION)}
        )
    if not any(c in DESCRIPTOR_LETTERS for c in value):
        errors.append(_("Include at least one letter."))
    return errors


class StatementDescriptorForm(forms.Form):
    """The text on customers' card statements, checked against Stripe's rules before sending."""

    descriptor = forms.CharField(
        label=_("Statement descriptor"),
        # Stripe's 22 characters are checked below, with a clearer message than max_length's.
        widget=forms.TextInput(
            attrs={"maxlength": DESCRIPTOR_MAX, "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_(
            "5 to 22 characters: letters A to Z, digits, spaces and . , - & / # ( ) : + ! ? ; "
            "% _ @ $. At least one letter. Usually the dealership's name as customers know it."
        ),
    )

    def clean_descriptor(self) -> str:
        value = " ".join(self.cleaned_data["descriptor"].split())
        errors = statement_descriptor_errors(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    @staticmethod
    def preview(value: str) -> str:
        """How a card statement shows it: upper case."""
        return value.upper()


class RecipientsField(forms.ModelMultipleChoiceField):
    """Members to tick, each read as "Full Name · e-mail · Role"."""

    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.get_full_name()} · {obj.user.email} · {obj.get_role_display()}"


class PayoutRecipientsForm(forms.Form):
    """Which members get an e-mail when a payout is paid or fails."""

    recipients = RecipientsField(
        label=_("Who receives payout e-mails"),
        queryset=Membership.objects.none(),  # the organization's, set in __init__
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(RecipientsField, self.fields["recipients"])
        field.queryset = organization.memberships.select_related("user").order_by(
            "user__full_name", "user__email"
        )
