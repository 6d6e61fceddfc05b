"""Reports page: the stored daily reconciliation reports, their detail and CSV/XLSX exports,
and Stripe's own reports.

A report is organization-wide: anyone holding VIEW_PAYMENTS (admins, managers of a
payments-enabled team) sees it. Every time is shown in the organization's zone, labelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from payments.dates import organization_zone
from payments.exports import csv_made_safe
from payments.models import DailyReport, StripeReportRun
from payments.reports import export as reports_export
from payments.reports import selectors as reports_selectors
from payments.reports import services as reports_services
from payments.reports import stripe_runs as reports_stripe_runs
from teams.access import OrganizationRequest, organization_view, sees_every_teams_payments
from teams.models import Organization
from teams.roles import Capability

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


LINES_PAGE = 200


def _report(request: OrganizationRequest, day: str) -> DailyReport:
    """The day's report, its latest revision or the one ``?revision=`` asks for; 404 if none."""
    try:
        parsed = date.fromisoformat(day)
        revision = int(request.GET["revision"]) if request.GET.get("revision") else None
    except ValueError as exc:
        raise Http404("No such report.") from exc
    report = reports_selectors.report_get(request.organization, parsed, revision)
    if report is None:
        raise Http404("No such report.")
    return report


def _one_currency(
    organization: Organization,
    reports: list[tuple[DailyReport, list[reports_selectors.DayTotals]]],
) -> str:
    """The one currency every total of the table is in (the organization's when none has
    any), "" when the days hold several. In one, the headings name it and the cells carry the
    numbers alone, as the Payments tab does: "1 234,56 $ US" in each of seven columns does not
    fit a laptop in French. In several, a column names each line's currency."""
    currencies = {t.currency for _report, totals in reports for t in totals}
    if not currencies:
        return organization.currency or ""
    return next(iter(currencies)) if len(currencies) == 1 else ""


def _report_list(request: OrganizationRequest, form: StripeReportForm, status: int = 200):
    reports = [
        (report, reports_selectors.report_totals(report))
        for report in reports_selectors.reports_latest(request.organization)
    ]
    return render(
        request,
        "payments/reports.html",
        {
            "reports": reports,
            "currency": _one_currency(request.organization, reports),
            **_stripe_reports_context(request, form),
        },
        status=status,
    )


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_list(request: OrganizationRequest) -> HttpResponse:
    return _report_list(request, StripeReportForm())


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_detail(request: OrganizationRequest, day: str) -> HttpResponse:
    """The revision's totals, then its lines in pages of LINES_PAGE (keyset on position)."""
    report = _report(request, day)
    try:
        after = int(request.GET.get("after") or 0)
    except ValueError as exc:
        raise Http404("No such page.") from exc
    lines = list(
        reports_selectors.report_lines(report, request.membership).filter(position__gt=after)[
            : LINES_PAGE + 1
        ]
    )
    more = len(lines) > LINES_PAGE
    lines = lines[:LINES_PAGE]
    for line in lines:
        line.status_text = reports_selectors.line_status(line)  # type: ignore[attr-defined]
    revisions = list(reports_selectors.report_revisions(report))
    reports_services.daily_reports_told([report, *revisions])
    return render(
        request,
        "payments/report_detail.html",
        {
            "report": report,
            "totals": reports_selectors.report_totals(report),
            "lines": lines,
            "hidden": reports_selectors.report_hidden(report, request.membership),
            "revisions": revisions,
            "next_after": lines[-1].position if more else None,
            "first_page": after == 0,
        },
    )


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_csv(request: OrganizationRequest, day: str) -> StreamingHttpResponse:
    report = _report(request, day)
    response = StreamingHttpResponse(
        reports_export.report_csv_lines(report, request.membership),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{reports_export.export_filename(report, "csv")}"'
    )
    return response


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def report_xlsx(request: OrganizationRequest, day: str) -> FileResponse:
    report = _report(request, day)
    return FileResponse(
        reports_export.report_xlsx(report, request.membership),
        as_attachment=True,
        filename=reports_export.export_filename(report, "xlsx"),
        content_type=XLSX_TYPE,
    )


class StripeReportForm(forms.Form):
    report_type = forms.ChoiceField(
        label=_("Report"),
        choices=list(reports_stripe_runs.REPORT_TYPES.items()),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )


def _whole_account(request: OrganizationRequest) -> None:
    """Stripe's reports cover the whole account, every team: only for those who see them all."""
    if not sees_every_teams_payments(request.membership):
        raise PermissionDenied(
            _("Stripe's reports cover every team's payments; ask an admin for them.")
        )


def _stripe_runs(request: OrganizationRequest) -> QuerySet[StripeReportRun]:
    return StripeReportRun.objects.filter(organization=request.organization).defer("content")


@dataclass(frozen=True)
class StripeRunRow:
    """One requested Stripe report as its row shows it: the period in the organization's days."""

    run: StripeReportRun
    type_label: str
    first_day: date
    last_day: date


def _row(run: StripeReportRun) -> StripeRunRow:
    tz = organization_zone(run.organization)
    return StripeRunRow(
        run=run,
        type_label=str(reports_stripe_runs.REPORT_TYPES.get(run.report_type, run.report_type)),
        first_day=run.interval_start.astimezone(tz).date(),
        last_day=(run.interval_end.astimezone(tz) - timedelta(microseconds=1)).date(),
    )


def _stripe_reports_context(request: OrganizationRequest, form: StripeReportForm) -> dict:
    if not sees_every_teams_payments(request.membership):
        return {"stripe_reports_hidden": True}
    runs = [
        _row(r)
        for r in _stripe_runs(request).select_related("organization").order_by("-created_at")[:50]
    ]
    return {"stripe_form": form, "stripe_runs": runs}


@require_POST
@organization_view(Capability.VIEW_PAYMENTS)
def stripe_report_create(request: OrganizationRequest) -> HttpResponse:
    _whole_account(request)
    form = StripeReportForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                reports_stripe_runs.stripe_report_request(
                    organization=request.organization,
                    actor=request.user,
                    report_type=form.cleaned_data["report_type"],
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                )
        except reports_stripe_runs.ReportRequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Stripe is preparing the report."))
            return redirect(
                "report_list",
                org=request.organization.slug,
            )
    return _report_list(request, form, status=400)


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def stripe_report_status(request: OrganizationRequest, pk: int) -> HttpResponse:
    """One run's row (htmx refreshes it every 3 s while Stripe prepares the file)."""
    _whole_account(request)
    run = get_object_or_404(_stripe_runs(request).select_related("organization"), pk=pk)
    return render(request, "payments/stripe_report.html", {"row": _row(run)})


@require_GET
@organization_view(Capability.VIEW_PAYMENTS)
def stripe_report_download(request: OrganizationRequest, pk: int) -> HttpResponse:
    _whole_account(request)
    run = get_object_or_404(
        StripeReportRun.objects.filter(
            organization=request.organization,
            status=StripeReportRun.Status.SUCCEEDED,
        ),
        pk=pk,
    )
    # Stripe's file as Stripe made it, but a description typed in our app is never a formula.
    response = HttpResponse(csv_made_safe(run.content), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
    return response
