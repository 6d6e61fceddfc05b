from django.urls import path

from bench.baseline.views import store

urlpatterns = [path("webhooks/stripe/", store)]
