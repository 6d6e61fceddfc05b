"""Reports: the daily reconciliation and Stripe's report runs."""

from django.urls import path, re_path

from payments.reports import views

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    re_path(rf"^reports/{DAY}/$", views.report_detail, name="report_detail"),
    re_path(rf"^reports/{DAY}/report\.csv$", views.report_csv, name="report_csv"),
    re_path(rf"^reports/{DAY}/report\.xlsx$", views.report_xlsx, name="report_xlsx"),
    path("reports/stripe/", views.stripe_report_create, name="stripe_report_create"),
    path("reports/stripe/<int:pk>/", views.stripe_report_status, name="stripe_report_status"),
    path(
        "reports/stripe/<int:pk>/download/",
        views.stripe_report_download,
        name="stripe_report_download",
    ),
]
