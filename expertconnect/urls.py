from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from payments import demo_views, public_views, webhooks
from teams import views as team_views
from tickets import webhooks as tickets_webhooks


@login_not_required
def health(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", team_views.home, name="home"),
    path("health/", health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("organizations/new/", team_views.organization_create, name="organization_create"),
    path("invitations/<str:token>/", team_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org>/", include("teams.urls")),
    path("o/<slug:org>/", include("payments.urls")),
    path("o/<slug:org>/", include("tickets.urls")),
    path("o/<slug:org>/", include("payments.payout_pages")),
    path("o/<slug:org>/", include("payments.request_urls")),
    path("o/<slug:org>/", include("payments.refund_urls")),
    path("o/<slug:org>/", include("payments.report_urls")),
    path("webhooks/stripe/", webhooks.stripe_platform, name="stripe_webhook"),
    path("webhooks/stripe/connect/", webhooks.stripe_connect, name="stripe_webhook_connect"),
    path("webhooks/twilio/sms/", tickets_webhooks.inbound_sms, name="twilio_inbound_sms"),
    path("webhooks/twilio/status/", tickets_webhooks.message_status, name="twilio_message_status"),
    path("p/", include(public_views.urlpatterns)),
    path("django-admin/", admin.site.urls),
]
if settings.PAYMENT_GATEWAY == "demo":  # the demo gateway's stand-ins for Stripe's pages
    urlpatterns.append(path("demo-stripe/", include(demo_views.urlpatterns)))
