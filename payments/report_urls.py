from django.urls import path, re_path

from payments import report_views

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"

urlpatterns = [
    path("reports/", report_views.report_list, name="report_list"),
    re_path(rf"^reports/{DAY}/$", report_views.report_detail, name="report_detail"),
    re_path(rf"^reports/{DAY}/report\.csv$", report_views.report_csv, name="report_csv"),
    re_path(rf"^reports/{DAY}/report\.xlsx$", report_views.report_xlsx, name="report_xlsx"),
]
