from django.urls import path

from teams import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("manage/", views.manage, name="manage"),
    path("manage/invitations/", views.invitation_create, name="invitation_create"),
    path("manage/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("manage/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("manage/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("manage/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
]
