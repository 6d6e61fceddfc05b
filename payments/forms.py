"""Parsing and validating payments input. Forms never write: services do."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.forms import MobilePhoneField
from teams.models import Organization


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
