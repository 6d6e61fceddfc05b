"""Payment requests inside a ticket (the ticket's own URLs, beside tickets.urls).

Who may call them follows the ticket's visibility (advisors: their teams' tickets only) and
the team-scoped capability; tests/payments/test_payment_requests.py holds their role and
tenancy table."""

from django.urls import path

from payments import request_views

urlpatterns = [
    path(
        "tickets/<int:pk>/payment-requests/",
        request_views.ticket_payment_requests,
        name="ticket_payment_requests",
    ),
    path(
        "tickets/<int:ticket_pk>/payment-requests/<int:pk>/cancel/",
        request_views.payment_request_cancel,
        name="payment_request_cancel",
    ),
    path(
        "tickets/<int:ticket_pk>/payment-requests/<int:pk>/resend/",
        request_views.payment_request_resend,
        name="payment_request_resend",
    ),
]
