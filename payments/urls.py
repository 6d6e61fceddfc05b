from django.urls import path

from payments import views

urlpatterns = [
    path("", views.payment_list, name="payment_list"),
]
