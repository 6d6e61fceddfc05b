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


def autonym(code: str) -> str:
    """A language's name in itself; a regional variant we do not list ("en-us") by its base."""
    return AUTONYMS.get(code) or AUTONYMS.get(code.split("-")[0], code)


def staff_languages() -> list[tuple[str, str]]:
    """(code, name in itself) of each language the staff side is offered in."""
    return [(code, AUTONYMS.get(code, str(name))) for code, name in settings.LANGUAGES]


# The customer's side speaks these (the help center's languages, with Canadian French).
CUSTOMER_LANGUAGES = ("en", "fr-ca", "es", "de", "it", "pl", "pt-br")

# Stripe Checkout's locale for each (Stripe's own codes); any other language: "auto".
STRIPE_LOCALES = {
    "en": "en",
    "fr-ca": "fr-CA",
    "es": "es-419",
    "de": "de",
    "it": "it",
    "pl": "pl",
    "pt-br": "pt-BR",
}


def customer_languages(first: str = "") -> list[tuple[str, str]]:
    """(code, name in itself) of each language the customer's pages are offered in, ``first``
    (the dealership's: French in Québec) ahead of the others."""
    order = sorted(CUSTOMER_LANGUAGES, key=lambda code: code != first)
    return [(code, AUTONYMS[code]) for code in order]


def customer_language(chosen: str, dealership_language: str) -> str:
    """The language a customer reads: theirs when set, else their dealership's for its
    customers (``Organization.customer_language``), else the site's default."""
    for language in (chosen, dealership_language):
        if language in CUSTOMER_LANGUAGES:
            return language
    return settings.LANGUAGE_CODE


def stripe_locale(language: str) -> str:
    """Stripe Checkout's locale for ``language`` ("en-us" reads as "en"), else "auto"."""
    return STRIPE_LOCALES.get(language) or STRIPE_LOCALES.get(language.split("-")[0], "auto")
