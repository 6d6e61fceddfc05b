from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from teams import views as team_views


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
    path("o/<slug:org>/payments/", include("payments.urls")),
    path("django-admin/", admin.site.urls),
]
