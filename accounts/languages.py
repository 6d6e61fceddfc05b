"""The languages the product speaks, each named in itself: a menu of languages reads
"Français (Canada)" to everyone, whatever language the page is in."""

from __future__ import annotations

from django.conf import settings

AUTONYMS = {
    "en": "English",
    "fr-ca": "Français (Canada)",
    "es": "Español",
    "de": "Deutsch",
    "it": "Italiano",
    "pl": "Polski",
    "pt-br": "Português (Brasil)",
}


def staff_languages() -> list[tuple[str, str]]:
    """(code, name in itself) of each language the staff side is offered in."""
    return [(code, AUTONYMS.get(code, str(name))) for code, name in settings.LANGUAGES]
