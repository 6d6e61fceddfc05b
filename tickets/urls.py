from django.urls import path

from tickets import views

urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/messages/", views.ticket_message, name="ticket_message"),
    path("tickets/<int:pk>/close/", views.ticket_close, name="ticket_close"),
    path(
        "tickets/<int:pk>/customer-language/",
        views.ticket_customer_language,
        name="ticket_customer_language",
    ),
]
