from django.urls import path

from bench.baseline.floor import payments
from bench.baseline.views import store

urlpatterns = [path("webhooks/stripe/", store), path("payments/", payments)]
