from django.urls import path, re_path

from payments import report_views

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("reports/", report_views.report_list, name="report_list"),
    re_path(rf"^reports/{DAY}/$", report_views.report_detail, name="report_detail"),
    re_path(rf"^reports/{DAY}/report\.csv$", report_views.report_csv, name="report_csv"),
    re_path(rf"^reports/{DAY}/report\.xlsx$", report_views.report_xlsx, name="report_xlsx"),
    path("reports/stripe/", report_views.stripe_report_create, name="stripe_report_create"),
    path(
        "reports/stripe/<int:pk>/", report_views.stripe_report_status, name="stripe_report_status"
    ),
    path(
        "reports/stripe/<int:pk>/download/",
        report_views.stripe_report_download,
        name="stripe_report_download",
    ),
]
