"""Payment requests: the advisor's, inside a ticket (beside tickets.urls; who may call them
follows the ticket's visibility and the team-scoped capability), and the customer's public
pages behind the short link."""

from django.urls import path

from payments.requests import public, views

urlpatterns = [
    path(
        "tickets/<int:pk>/payment-requests/",
        views.ticket_payment_requests,
        name="ticket_payment_requests",
    ),
    path(
        "tickets/<int:pk>/repair-orders/",
        views.ticket_repair_orders,
        name="ticket_repair_orders",
    ),
    path(
        "tickets/<int:ticket_pk>/payment-requests/<int:pk>/cancel/",
        views.payment_request_cancel,
        name="payment_request_cancel",
    ),
    path(
        "tickets/<int:ticket_pk>/payment-requests/<int:pk>/resend/",
        views.payment_request_resend,
        name="payment_request_resend",
    ),
]

public_urlpatterns = [
    path("<str:token>/", public.request_page, name="payment_public"),
    path("<str:token>/pay/", public.pay, name="payment_public_pay"),
    path("<str:token>/success/", public.success, name="payment_public_success"),
    path("<str:token>/cancel/", public.cancel, name="payment_public_cancel"),
]
