"""Every URL of the payments app, wired once: each part's pages under the organization's
prefix, the customer's pages behind the short link, Stripe's webhooks, and the demo
gateway's stand-ins for Stripe's pages (only while the demo gateway is on)."""

from django.urls import include, path

from payments.connect import urls as connect
from payments.gateway import demo_mode
from payments.ledger import urls as ledger
from payments.payouts import urls as payouts
from payments.refunds import urls as refunds
from payments.reports import urls as reports
from payments.requests import urls as requests
from payments.webhooks import urls as webhooks

organization_urlpatterns = [
    *ledger.urlpatterns,
    *connect.urlpatterns,
    *payouts.urlpatterns,
    *requests.urlpatterns,
    *refunds.urlpatterns,
    *reports.urlpatterns,
]

urlpatterns = [
    path("o/<slug:org>/", include(organization_urlpatterns)),
    path("p/", include(requests.public_urlpatterns)),
    path("webhooks/stripe/", include(webhooks.urlpatterns)),
]
if demo_mode():
    urlpatterns.append(path("demo-stripe/", include("payments.gateway.demo.urls")))
