"""Organizations (dealerships), their members and roles, teams, invitations and the audit log."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from timezone_field import TimeZoneField

from teams.audit import AuditAction, describe
from teams.roles import Role

# Stripe Connect payments are offered to businesses registered in these countries only.
PAYMENT_CURRENCIES = {"US": "usd", "CA": "cad"}


class Organization(models.Model):
    """A dealership: the tenant. Every other table of ours hangs from one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = CountryField(_("country"))
    # The Canadian province or U.S. state (ISO 3166-2 code without the country: "QC", "TX");
    # "" where unknown. In Québec the customer's side is in French unless they choose.
    province = models.CharField(_("province or state"), max_length=2, blank=True, default="")
    time_zone = TimeZoneField(_("time zone"), default="America/Chicago", use_pytz=False)
    # One of settings.LANGUAGES: new members start in it, and the dealership's e-mails are
    # written in it; "" leaves each person to their browser and writes e-mails in English.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    # When the first payment was collected: from then on the country, and so the currency of
    # every figure, stays as it is (no total may add two currencies).
    currency_locked_at = models.DateTimeField(null=True, blank=True)
    # How long a payment link can be paid: after it, the customer's page says it expired.
    payment_link_days = models.PositiveSmallIntegerField(
        _("payment links stay open for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("From 1 to 90 days. After it, the link says it expired and offers no Pay."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("organization")

    def __str__(self) -> str:
        return self.name

    @property
    def email_language(self) -> str:
        return self.language or settings.LANGUAGE_CODE

    @property
    def in_quebec(self) -> bool:
        return self.country_code == "CA" and self.province == "QC"

    @property
    def customer_language(self) -> str:
        """What its customers read unless they chose: French in Québec (the Charter of the
        French language), else the organization's language."""
        return "fr-ca" if self.in_quebec else self.email_language

    @property
    def country_code(self) -> str:
        return str(self.country)  # a django_countries Country reads as its ISO code

    @property
    def payments_supported(self) -> bool:
        return self.country_code in PAYMENT_CURRENCIES

    @property
    def currency_locked_message(self) -> str:
        return gettext(
            "The country can no longer change: this dealership has taken payments in "
            "%(currency)s, and its figures stay in that currency. A business in another "
            "country needs an organization of its own."
        ) % {"currency": (self.currency or "").upper()}

    @property
    def currency(self) -> str | None:
        """ISO currency of payments, lower-case as Stripe writes it; None outside US and CA."""
        return PAYMENT_CURRENCIES.get(self.country_code)


class Membership(models.Model):
    """A person's place in an organization, with one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @cached_property
    def payment_teams(self) -> list[Team]:
        """This member's teams that take payments, by name (one query, cached per request)."""
        return list(self.teams.filter(payments_enabled=True).order_by("name", "pk"))

    @cached_property
    def payment_team_ids(self) -> frozenset[int]:
        return frozenset(team.pk for team in self.payment_teams)


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=80)
    members = models.ManyToManyField(Membership, related_name="teams", blank=True)
    payments_enabled = models.BooleanField(_("payments enabled"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="team_name_unique_in_organization"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """An invitation to join an organization with a role and teams.

    The link carries a random token; only its SHA-256 is stored. Single use, expiring.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    full_name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    mobile_phone = PhoneNumberField(_("mobile phone"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    teams = models.ManyToManyField(Team, related_name="invitations", blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    send_count = models.PositiveSmallIntegerField(default=1)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[Role.MANAGER, Role.ADVISOR]), name="invitation_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class AuditLog(models.Model):
    """Who did what, when: every membership, role, team, invitation and money action."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def sentence(self) -> str:
        """What happened, as the dealership reads it (see ``teams.audit.describe``)."""
        return describe(self)
