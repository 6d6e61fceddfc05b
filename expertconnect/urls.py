from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from teams import views as team_views
from tickets import webhooks as tickets_webhooks


@login_not_required
def health(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", team_views.home, name="home"),
    path("health/", health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("account/language/", team_views.language_set, name="language_set"),
    path("organizations/new/", team_views.organization_create, name="organization_create"),
    path("invitations/<str:token>/", team_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org>/", include("teams.urls")),
    path("o/<slug:org>/", include("tickets.urls")),
    path("", include("payments.urls")),
    path("webhooks/twilio/sms/", tickets_webhooks.inbound_sms, name="twilio_inbound_sms"),
    path("webhooks/twilio/status/", tickets_webhooks.message_status, name="twilio_message_status"),
    path("django-admin/", admin.site.urls),
]
