"""Every page of the demo dealership (``manage.py seed_demo``), with who opens it.

One catalogue for the browser tests that walk every page (accessibility, the gallery of
screenshots): staff pages for each role that may open them (a role answered 403 is left
out), and the customer's public pages, opened signed out. A page whose object the demo has
not got (no payouts without the history, no disputed payment...) is left out, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN, MANAGER, ADVISOR = "admin", "manager", "advisor"
STAFF: tuple[str, ...] = (ADMIN, MANAGER, ADVISOR)
PAYMENTS: tuple[str, ...] = (ADMIN, MANAGER)  # view_payments: the manager through Service
CUSTOMER: tuple[str, ...] = ("customer",)


@dataclass(frozen=True)
class GalleryPage:
    name: str  # file-name slug: "overview", "ticket", "payment-paid", "customer-request", ...
    path: str  # URL path on the server, e.g. "/o/demo-motors/tickets/12/"
    roles: tuple[str, ...]  # any of "admin", "manager", "advisor"; ("customer",) when public


def demo_pages(org_slug: str = "demo-motors") -> list[GalleryPage]:
    """Reads the database seeded by `manage.py seed_demo` (Django set up) and returns every
    page."""
    # Imported here: the module is imported before Django is set up.
    from payments.models import DailyReport, PaymentRequest, Payout
    from teams.models import Organization
    from tickets.models import Ticket

    organization = Organization.objects.get(slug=org_slug)
    o = f"/o/{org_slug}/"
    pages = [
        GalleryPage("overview", o, STAFF),
        GalleryPage("tickets", f"{o}tickets/", STAFF),
        GalleryPage("tickets-closed", f"{o}tickets/?status=closed", STAFF),
        GalleryPage("ticket-new", f"{o}tickets/new/", STAFF),
    ]
    tickets = Ticket.objects.filter(organization=organization, team__name="Service")
    ticket = (
        tickets.filter(payment_requests__status=PaymentRequest.Status.PAID).order_by("pk").first()
        or tickets.order_by("pk").first()
    )
    if ticket is not None:
        pages.append(GalleryPage("ticket", f"{o}tickets/{ticket.pk}/", STAFF))
    closed = tickets.filter(status=Ticket.Status.CLOSED).order_by("pk").first()
    if closed is not None:
        pages.append(GalleryPage("ticket-closed", f"{o}tickets/{closed.pk}/", STAFF))

    pages += [
        GalleryPage("payments", f"{o}payments/", PAYMENTS),
        GalleryPage("payments-filtered", f"{o}payments/?status=paid", PAYMENTS),
    ]
    requests = PaymentRequest.objects.filter(organization=organization, team__name="Service")
    by_status = {
        status: requests.filter(status=status).order_by("-pk").first()
        for status in PaymentRequest.Status.values
    }
    for status, payment in by_status.items():
        if payment is not None:
            pages.append(GalleryPage(f"payment-{status}", f"{o}payments/{payment.pk}/", PAYMENTS))
    paid = by_status[PaymentRequest.Status.PAID]
    if paid is not None:
        pages.append(GalleryPage("refund", f"{o}payments/{paid.pk}/refund/", PAYMENTS))

    pages.append(GalleryPage("payouts", f"{o}payouts/", PAYMENTS))
    payout = Payout.objects.filter(organization=organization).order_by("-pk").first()
    if payout is not None:
        pages.append(GalleryPage("payout", f"{o}payouts/{payout.pk}/", PAYMENTS))
    pages.append(GalleryPage("reports", f"{o}reports/", PAYMENTS))
    report = DailyReport.objects.filter(organization=organization).order_by("-day").first()
    if report is not None:
        pages.append(GalleryPage("report", f"{o}reports/{report.day:%Y-%m-%d}/", PAYMENTS))

    pages += [
        GalleryPage("admin", f"{o}admin/", (ADMIN,)),
        GalleryPage("payout-settings", f"{o}admin/payouts/", (ADMIN,)),
        GalleryPage("manage", f"{o}manage/", (ADMIN,)),
        GalleryPage("teams", f"{o}teams/", STAFF),
    ]
    for team in organization.teams.order_by("name"):
        pages.append(GalleryPage(f"team-{team.name.lower()}", f"{o}teams/{team.pk}/", STAFF))

    pages += [
        GalleryPage("password-change", "/accounts/password/change/", STAFF),
        GalleryPage("email", "/accounts/email/", STAFF),
        GalleryPage("two-factor", "/accounts/2fa/", STAFF),
        GalleryPage("confirm-password", "/accounts/reauthenticate/", STAFF),
        GalleryPage("new-dealership", "/organizations/new/", STAFF),
    ]

    # The customer's pages behind the short link, and the sign-in pages: nobody signed in.
    customer_pages = {
        PaymentRequest.Status.OPEN: "customer-request",
        PaymentRequest.Status.PAID: "customer-receipt",
        PaymentRequest.Status.REFUNDED: "customer-refunded",
        PaymentRequest.Status.DISPUTED: "customer-disputed",
        PaymentRequest.Status.CANCELLED: "customer-cancelled",
    }
    for status, name in customer_pages.items():
        payment = by_status[status]
        if payment is not None:
            pages.append(GalleryPage(name, f"/p/{payment.token}/", CUSTOMER))
    open_request = by_status[PaymentRequest.Status.OPEN]
    if open_request is not None:
        pages += [
            GalleryPage("customer-confirming", f"/p/{open_request.token}/success/", CUSTOMER),
            GalleryPage("customer-back", f"/p/{open_request.token}/cancel/", CUSTOMER),
        ]
    pages += [
        GalleryPage("customer-404", "/p/no-such-link/", CUSTOMER),
        GalleryPage("sign-in", "/accounts/login/", CUSTOMER),
        GalleryPage("password-reset", "/accounts/password/reset/", CUSTOMER),
    ]
    return pages
