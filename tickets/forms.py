from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from teams.forms import MobilePhoneField
from teams.models import Team


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=1600,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write a text message…")}),
    )


class NewTicketForm(forms.Form):
    name = forms.CharField(label=_("Customer name"), max_length=150)
    mobile_phone = MobilePhoneField(label=_("Mobile phone"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    subject = forms.CharField(label=_("Subject"), max_length=150, required=False)
    body = forms.CharField(
        label=_("First message"),
        max_length=1600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: sent by text message when the ticket opens."),
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
