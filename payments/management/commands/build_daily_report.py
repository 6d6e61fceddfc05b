"""Build a daily reconciliation report on demand.

    python manage.py build_daily_report --org lakeside --day 2026-11-26
    python manage.py build_daily_report --all-orgs            # each one's previous local day

Idempotent: a day whose movements are those of its latest revision is left as it is; a day
that changed gets a new revision, e-mailed to the recipients of the revision before (a first
revision built here is e-mailed to no one).
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.dates import previous_local_day
from payments.models import ConnectedAccount
from payments.reports.selectors import report_totals
from payments.reports.services import daily_report_build
from teams.models import Organization


class Command(BaseCommand):
    help = "Build the daily reconciliation report of a local day (default: yesterday, local)."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--org", help="The organization's slug.")
        target.add_argument(
            "--all-orgs",
            action="store_true",
            help="Every organization with a connected Stripe account.",
        )
        parser.add_argument(
            "--day", help="The local day, YYYY-MM-DD (default: each organization's yesterday)."
        )

    def handle(self, *args, **options) -> None:
        day: date | None = None
        if options["day"]:
            try:
                day = date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError("--day takes a date like 2026-11-26.") from exc
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No organization {options['org']!r}.")
            organizations = [organization]
        else:
            organizations = [
                account.organization
                for account in ConnectedAccount.objects.filter(
                    stripe_account_id__isnull=False
                ).select_related("organization")
            ]
        for organization in organizations:
            the_day = day or previous_local_day(organization)
            report, built = daily_report_build(organization=organization, day=the_day)
            state = "built" if built else "unchanged"
            figures = "; ".join(
                f"{t.currency}: {t.charges} charges, collected {t.figures.collected}, "
                f"refunds {t.figures.refunds}, disputes {t.figures.disputes}, "
                f"fees {t.figures.fees}, net {t.figures.net}, paid out {t.payouts}"
                for t in report_totals(report)
            )
            self.stdout.write(
                f"{organization.slug} {the_day.isoformat()} ({report.time_zone}) revision "
                f"{report.revision} {state}: {figures or 'no money moved'} (cents)"
            )
