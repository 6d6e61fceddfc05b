"""Reports page: the stored daily reconciliation reports, their detail and CSV/XLSX exports.

A report is organization-wide: anyone holding VIEW_PAYMENTS (admins, managers of a
payments-enabled team) sees it. Every time is shown in the organization's zone, labelled.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from payments import reports
from payments.models import DailyReport
from teams.access import organization_view
from teams.roles import Capability

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(request: HttpRequest, day: str) -> DailyReport:
    try:
        parsed = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404("No such day.") from exc
    return get_object_or_404(
        DailyReport.objects.select_related("organization"),
        organization=request.organization,  # type: ignore[attr-defined]
        day=parsed,
    )


def _with_local_time(report: DailyReport) -> DailyReport:
    report.generated_local = report.generated_at.astimezone(  # type: ignore[attr-defined]
        ZoneInfo(report.time_zone)
    )
    return report


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization  # type: ignore[attr-defined]
    items = [
        _with_local_time(r)
        for r in DailyReport.objects.filter(organization=organization)
        .defer("rows")
        .order_by("-day")[:400]
    ]
    return render(request, "payments/reports.html", {"reports": items})


def _short(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M") if iso else ""


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_detail(request: HttpRequest, day: str) -> HttpResponse:
    report = _with_local_time(_report(request, day))
    rows = [
        {**row, "local_display": _short(row["time_local"]), "utc_display": _short(row["time_utc"])}
        for row in report.rows
    ]
    return render(
        request,
        "payments/report_detail.html",
        {"report": report, "rows": rows, "totals": report.totals},
    )


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_csv(request: HttpRequest, day: str) -> HttpResponse:
    report = _report(request, day)
    response = HttpResponse(reports.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{reports.export_filename(report, "csv")}"'
    )
    return response


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_xlsx(request: HttpRequest, day: str) -> HttpResponse:
    report = _report(request, day)
    try:
        content = reports.report_xlsx(report)
    except ImportError as exc:  # openpyxl not installed yet
        raise Http404("XLSX exports are not available.") from exc
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{reports.export_filename(report, "xlsx")}"'
    )
    return response
