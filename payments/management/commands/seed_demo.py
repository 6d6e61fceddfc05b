"""Seed the demo dealership. Idempotent: running it again resets the demo logins' passwords.

It lives in the payments app, the top of the dependency chain, so it can seed every layer."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from payments.connect import services as connect_services
from payments.gateway import demo_mode, demo_onboarding_finish
from payments.management import demo_history as management_demo_history
from payments.models import ConnectedAccount
from teams.models import Membership, Organization, Team
from teams.roles import Role
from tickets import services as ticket_services
from tickets.models import TeamNumber, TimelineEntry

DEMO_PASSWORD = "demo-dealer-2026"  # noqa: S105 - printed on purpose: demo only
DEMO_ORG = {
    "slug": "demo-motors",
    "name": "Demo Motors",
    "country": "US",
    "province": "IL",
    "time_zone": "America/Chicago",
}
DEMO_PEOPLE = [
    ("admin@demo.test", "Alex Admin", "+13125550101", Role.ADMIN, []),
    ("manager@demo.test", "Morgan Manager", "+13125550102", Role.MANAGER, ["Service"]),
    ("advisor@demo.test", "Avery Advisor", "+13125550103", Role.ADVISOR, ["Service"]),
]
DEMO_TEAMS = [("Service", True), ("Parts", False)]
DEMO_NUMBERS = {"Service": "+13125550100", "Parts": "+13125550111"}
DEMO_CUSTOMER = ("Casey Driver", "+13125550188")
DEMO_CONVERSATION = [
    ("outbound", "Hi Casey, this is Demo Motors service. Your F-150 is ready for pickup."),
    ("inbound", "Great, thanks! Can I pay before I come in?"),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo dealership, its three logins and a few weeks of history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-history", action="store_true", help="no generated payments, refunds, payouts"
        )

    @transaction.atomic
    def handle(self, *args, **options):
        organization, _ = Organization.objects.update_or_create(
            slug=DEMO_ORG["slug"], defaults={k: v for k, v in DEMO_ORG.items() if k != "slug"}
        )
        teams = {}
        for name, payments in DEMO_TEAMS:
            team, _ = Team.objects.get_or_create(organization=organization, name=name)
            team.payments_enabled = payments
            team.save(update_fields=["payments_enabled"])
            teams[name] = team
        for email, full_name, phone, role, team_names in DEMO_PEOPLE:
            user = User.objects.filter(email__iexact=email).first() or User(email=email)
            user.full_name, user.mobile_phone = full_name, phone
            user.set_password(DEMO_PASSWORD)
            user.save()
            membership, _ = Membership.objects.update_or_create(
                user=user, organization=organization, defaults={"role": role}
            )
            for name in team_names:
                teams[name].members.add(membership)
        for name, number in DEMO_NUMBERS.items():
            TeamNumber.objects.update_or_create(team=teams[name], defaults={"number": number})
        self._seed_ticket(organization, teams["Service"])
        connected = self._connect(organization)
        if not options["no_history"]:
            management_demo_history.seed(organization=organization, team=teams["Service"], days=21)
            management_demo_history.build_reports(organization=organization, days=21)
        self.stdout.write(self.style.SUCCESS(f"Demo dealership: {organization.name}"))
        if connected:
            self.stdout.write("Stripe: connected to the demo gateway (no real money).")
        else:
            self.stdout.write("Stripe: not connected (real Stripe keys: the Admin tab connects).")
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for email, _, _, role, _ in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {email}")

    def _connect(self, organization) -> bool:
        """Connect the dealership as a finished Express onboarding leaves it (charges and payouts
        enabled, details submitted), through the demo gateway's own onboarding: the account is
        created as the Connect button creates it, the demo's hosted onboarding is submitted,
        and the account is read back as the return page reads it. With real Stripe keys it
        stays unconnected: only its admin can onboard a real account."""
        if not demo_mode():
            return False
        admin = User.objects.get(email__iexact="admin@demo.test")
        account = connect_services.connected_account_start(organization=organization, actor=admin)
        if account.status != ConnectedAccount.Status.CONNECTED and account.stripe_account_id:
            demo_onboarding_finish(account.stripe_account_id, business_name=organization.name)
            account = connect_services.connected_account_refresh(account=account)
        return account.status == ConnectedAccount.Status.CONNECTED

    def _seed_ticket(self, organization, team):
        name, phone = DEMO_CUSTOMER
        customer = ticket_services.customer_get_or_create(
            organization=organization, name=name, mobile_phone=phone
        )
        advisor = Membership.objects.get(organization=organization, user__email="advisor@demo.test")
        ticket = ticket_services.ticket_open(
            organization=organization,
            team=team,
            customer=customer,
            advisor=advisor,
            subject="F-150 service",
        )
        if not ticket.timeline.exists():  # a conversation that happened: no texts sent now
            for kind, body in DEMO_CONVERSATION:
                ticket_services.timeline_add(
                    ticket=ticket,
                    kind=kind,
                    body=body,
                    author=advisor.user if kind == TimelineEntry.Kind.OUTBOUND else None,
                )
