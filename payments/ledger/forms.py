"""The Payments tab's filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from payments.badges import STATUS_BADGES
from payments.ledger import selectors as ledger_selectors
from payments.models import PaymentRequest


def _pairs(field: forms.ChoiceField) -> Iterable[tuple[Any, Any]]:
    """A select's (value, label) pairs: Django keeps a ChoiceField's choices as a list, and
    this form's are flat (no groups)."""
    return cast(Iterable[tuple[Any, Any]], field.choices)


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
        self.teams = teams  # the teams the member sees, by name
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
                for value, label in _pairs(cast(forms.ChoiceField, self.fields[name]))
            ]
        return out

    def filters(self, zone: str) -> ledger_selectors.PaymentFilters:
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
        return ledger_selectors.PaymentFilters(
            date_from=date_from,
            date_to=date_to,
            status=data.get("status") or "",
            team=data.get("team"),
            advisor=data.get("advisor"),
            posted=data.get("posted") or "",
            q=(data.get("q") or "").strip(),
        )
