"""Stripe's requirement codes in words, and what onboarding will ask for (flow F0)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Most specific prefix first.
REQUIREMENT_WORDS = [
    ("external_account", _("Bank account for payouts")),
    ("tos_acceptance", _("Acceptance of Stripe's terms of service")),
    ("business_profile.url", _("Business website")),
    ("business_profile.mcc", _("Industry")),
    ("business_profile.product_description", _("Description of products and services")),
    ("business_profile.support_phone", _("Customer support phone number")),
    ("business_profile", _("Business profile")),
    ("company.tax_id", _("Business tax ID (EIN in the US, BN in Canada)")),
    ("company.address", _("Business address")),
    ("company.phone", _("Business phone number")),
    ("company.owners_provided", _("Confirmation of the business owners")),
    ("company.directors_provided", _("Confirmation of the directors")),
    ("company.executives_provided", _("Confirmation of the executives")),
    ("company.verification", _("Business verification document")),
    ("company", _("Business details")),
    ("representative.verification", _("Identity document of the person signing")),
    ("representative", _("Details of the person signing for the business")),
    ("owners", _("Details of the business owners")),
    ("directors", _("Details of the directors")),
    ("executives", _("Details of the executives")),
    ("individual", _("Details of the account holder")),
    ("person_", _("Details of a person of the business")),
    ("settings.payments.statement_descriptor", _("Statement descriptor")),
]


DISABLED_REASONS = {
    "requirements.past_due": _("Stripe needs information that is past due."),
    "requirements.pending_verification": _("Stripe is verifying the information given."),
    "listed": _("The account is under review by Stripe."),
    "rejected.fraud": _("Stripe rejected the account (suspected fraud)."),
    "rejected.terms_of_service": _("Stripe rejected the account (terms of service)."),
    "rejected.listed": _("Stripe rejected the account (listed person or business)."),
    "rejected.other": _("Stripe rejected the account."),
    "under_review": _("The account is under review by Stripe."),
    "platform_paused": _("Payments are paused by the platform."),
    "other": _("Stripe restricted the account."),
}


def describe_requirements(codes: list[str]) -> list[str]:
    """Readable, de-duplicated names for Stripe's requirement codes, in first-seen order."""
    words: list[str] = []
    for code in codes:
        text = next(
            (str(label) for prefix, label in REQUIREMENT_WORDS if code.startswith(prefix)),
            code.replace("_", " ").replace(".", ": ").capitalize(),
        )
        if text not in words:
            words.append(text)
    return words


def describe_disabled_reason(reason: str) -> str:
    if not reason:
        return ""
    return str(DISABLED_REASONS.get(reason, DISABLED_REASONS["other"]))


def onboarding_checklist(country: str) -> list[tuple[str, str]]:
    """What Stripe's hosted onboarding asks for, by country: (heading, detail) pairs."""
    common_before = [
        (_("Business address"), _("The billing address the business is registered at.")),
        (
            _("Ownership"),
            _("Type of business and everyone who owns 25% or more, with their details."),
        ),
    ]
    if country == "CA":
        tax = (
            _("Business number"),
            _("The CRA Business Number (BN); in Québec, the NEQ as well."),
        )
        bank = (
            _("Bank account for payouts"),
            _("Transit number, institution number and account number of a Canadian account."),
        )
    else:
        tax = (_("Employer Identification Number"), _("The EIN of the business (IRS)."))
        bank = (
            _("Bank account for payouts"),
            _("Routing number and account number of a US checking account."),
        )
    common_after = [
        (
            _("Industry and products"),
            _("Automotive dealer, with a short description of what you sell and service."),
        ),
        (
            _("The person signing"),
            _(
                "Name, date of birth, address, phone and e-mail of someone authorized to sign "
                "for the business; Stripe may ask for ID."
            ),
        ),
    ]
    return [(str(h), str(d)) for h, d in (*common_before, tax, *common_after, bank)]
