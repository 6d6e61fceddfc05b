"""Parsing and validating input. Forms never write: services do."""

from __future__ import annotations

from typing import Any, cast

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from localflavor.ca.ca_provinces import PROVINCE_CHOICES
from localflavor.us.us_states import US_STATES
from phonenumber_field.formfields import PhoneNumberField
from timezone_field import TimeZoneFormField

from accounts.languages import staff_languages
from accounts.models import User
from teams.models import Membership, Organization, Team
from teams.roles import INVITABLE_ROLES, Role

COMMON_TIME_ZONES = [
    "America/St_Johns",
    "America/Halifax",
    "America/Toronto",
    "America/New_York",
    "America/Chicago",
    "America/Winnipeg",
    "America/Denver",
    "America/Edmonton",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Anchorage",
    "Pacific/Honolulu",
]


class MobilePhoneField(PhoneNumberField):
    """A mobile number that can receive our SMS: United States or Canada."""

    default_error_messages = {
        "invalid": _("Enter a valid US or Canadian mobile number, like (312) 555-0142."),
        "region": _("Text messages go to US and Canadian numbers only."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("region", "US")
        super().__init__(**kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        if number in self.empty_values:
            return number
        if not number.is_valid():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if phonenumbers.region_code_for_number(number) not in settings.SMS_REGIONS:
            raise forms.ValidationError(self.error_messages["region"], code="region")
        return number


# ISO 3166-2 subdivisions without their country prefix, named by django-localflavor.
PROVINCES = frozenset(code for code, _name in PROVINCE_CHOICES)
STATES = frozenset(code for code, _name in US_STATES)  # the fifty states and D.C.


class OrganizationForm(forms.ModelForm):
    time_zone = TimeZoneFormField(
        label=_("Time zone"),
        choices_display="WITH_GMT_OFFSET",
        help_text=_("Every time in the app is shown in this zone."),
    )

    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_(
            "New members start in it (each can choose their own), and the dealership's "
            "e-mails are written in it."
        ),
    )

    province = forms.ChoiceField(
        label=_("Province or state"),
        required=False,
        help_text=_("In Québec, customers read their texts and payment pages in French first."),
    )

    class Meta:
        model = Organization
        fields = ["name", "country", "province", "time_zone", "language", "payment_link_days"]
        error_messages = {
            "payment_link_days": {
                "min_value": _("Choose from 1 to 90 days."),
                "max_value": _("Choose from 1 to 90 days."),
                "invalid": _("Choose from 1 to 90 days."),
            }
        }
        labels = {"name": _("Dealership name")}
        help_texts = {
            "country": _(
                "Where the business is registered. Payments are available in the United States "
                "and Canada."
            )
        }

    def __init__(self, *args, locked: Organization | None = None, **kwargs):
        """``locked``: an organization that has taken payments; its country is then shown but
        not editable (a posted value is ignored; organization_update refuses it too)."""
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Each person's browser language")), *staff_languages()]
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        if locked is not None:
            country.disabled = True
            country.help_text = locked.currency_locked_message
        first = [(code, countries.name(code)) for code in ("US", "CA")]
        rest = [(c.code, c.name) for c in countries if c.code not in ("US", "CA")]
        country.choices = [("", "---------"), *first, ("", "──────────"), *rest]
        country.initial = country.initial or "US"
        province = self.fields["province"]
        assert isinstance(province, forms.ChoiceField)
        province.choices = [
            ("", "---------"),
            (_("Canada"), list(PROVINCE_CHOICES)),
            (_("United States"), sorted(US_STATES, key=lambda choice: str(choice[1]))),
        ]
        # Left empty, the period stays as it is (30 days for a new dealership).
        self.fields["payment_link_days"].required = False
        # A new dealership starts in Central time, not in the list's first zone (GMT-12).
        self.fields["time_zone"].initial = self.initial.get("time_zone", "America/Chicago")

    def clean(self) -> dict[str, Any]:
        """A province belongs to its country: Québec with Canada, Texas with the United
        States; outside the two, none."""
        super().clean()
        data = self.cleaned_data
        province, country = data.get("province") or "", str(data.get("country") or "")
        owner = "CA" if province in PROVINCES else "US" if province in STATES else ""
        if province and owner != country:
            self.add_error(
                "province",
                _(
                    "%(province)s is not in the country chosen: choose its country, or leave the "
                    "province empty."
                )
                % {"province": dict((*PROVINCE_CHOICES, *US_STATES))[province]},
            )
        return data


class InvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    mobile_phone = MobilePhoneField(label=_("Mobile phone"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, r.label) for r in INVITABLE_ROLES],
        initial=Role.ADVISOR,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        teams = cast(forms.ModelMultipleChoiceField, self.fields["teams"])
        teams.queryset = Team.objects.filter(organization=organization)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)


class MembersField(forms.ModelMultipleChoiceField):
    """Members to tick, each read as "Full Name · Role"."""

    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.get_full_name()} · {obj.get_role_display()}"


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)
    members = MembersField(
        label=_("Members"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    payments_enabled = forms.BooleanField(
        label=_("Enable payments"),
        required=False,
        help_text=_(
            "Advisors of this team can send payment requests, and its managers see its payments."
        ),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(organization=organization).select_related("user")
        field = cast(MembersField, self.fields["members"])
        field.queryset = members.order_by("user__full_name", "user__email")


class InvitationSignupForm(forms.Form):
    """Create an account from an invitation: the e-mail is the invitation's."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    mobile_phone = MobilePhoneField(label=_("Mobile phone"))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        kwargs.setdefault(
            "initial",
            {"full_name": invitation.full_name, "mobile_phone": invitation.mobile_phone},
        )
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            probe = User(email=self.invitation.email, full_name=cleaned.get("full_name", ""))
            try:
                validate_password(password1, user=probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
