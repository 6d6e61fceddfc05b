"""Writes of organizations, memberships, teams and invitations. Each one is audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import sms_queue
from accounts.tasks import email_send
from teams import selectors
from teams.audit import AuditAction
from teams.models import AuditLog, Invitation, Membership, Organization, Team
from teams.roles import INVITABLE_ROLES, Role


def audit_record(
    action: AuditAction,
    target: Any = None,
    *,
    actor: User | None,
    data: dict[str, Any] | None = None,
    organization: Organization | None = None,
) -> AuditLog:
    """Write one audit entry of ``target`` (an object of an organization, or the organization
    itself), in its organization unless ``organization`` is given. ``action`` is a member of
    ``AuditAction``, never a bare string; ``data`` holds what its sentence needs
    (``teams.audit.SENTENCES``)."""
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit_record takes an AuditAction, not {action!r}")
    if organization is None:
        organization = target if isinstance(target, Organization) else target.organization
    return AuditLog.objects.create(
        organization=organization,
        actor=actor,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=target.pk if target is not None else None,
        data=data or {},
    )


# Organizations ----------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "dealership"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def organization_create(
    *,
    actor: User,
    name: str,
    country: str,
    time_zone: str,
    language: str = "",
    province: str = "",
    payment_link_days: int | None = None,
) -> Organization:
    """Create a dealership with ``actor`` as its first admin."""
    organization = Organization.objects.create(
        name=name.strip(),
        slug=_unique_slug(name),
        country=country,
        province=province,
        time_zone=time_zone,
        language=language,
        **({"payment_link_days": payment_link_days} if payment_link_days else {}),
    )
    membership = Membership.objects.create(user=actor, organization=organization, role=Role.ADMIN)
    audit_record(
        AuditAction.ORGANIZATION_CREATED,
        organization,
        actor=actor,
        data={"name": organization.name, "country": country},
    )
    audit_record(
        AuditAction.MEMBERSHIP_CREATED,
        membership,
        actor=actor,
        data={"email": actor.email, "role": Role.ADMIN},
        organization=organization,
    )
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: User,
    name: str,
    country: str,
    time_zone: str,
    language: str | None = None,
    province: str | None = None,
    payment_link_days: int | None = None,
) -> Organization:
    """``language``, ``province``, ``payment_link_days`` None: as they are."""
    language = organization.language if language is None else language
    province = organization.province if province is None else province
    days = payment_link_days or organization.payment_link_days
    if not 1 <= days <= 90:
        raise ValidationError({"payment_link_days": _("Choose from 1 to 90 days.")})
    before = {
        "name": organization.name,
        "country": organization.country_code,
        "province": organization.province,
        "time_zone": str(organization.time_zone),
        "language": organization.language,
        "payment_link_days": organization.payment_link_days,
    }
    locked = Organization.objects.filter(pk=organization.pk, currency_locked_at__isnull=False)
    if str(country) != before["country"] and locked.exists():
        raise ValidationError({"country": organization.currency_locked_message})
    organization.name, organization.country, organization.time_zone = name, country, time_zone
    organization.language, organization.province = language, province
    organization.payment_link_days = days
    organization.save(
        update_fields=["name", "country", "province", "time_zone", "language", "payment_link_days"]
    )
    after = {
        "name": name,
        "country": country,
        "province": province,
        "time_zone": str(time_zone),
        "language": language,
        "payment_link_days": days,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit_record(AuditAction.ORGANIZATION_UPDATED, organization, actor=actor, data=changes)
    return organization


# Members ----------------------------------------------------------------------------------


def _lock_admins(organization: Organization) -> list[int]:
    """Lock the organization's admin memberships so two demotions cannot race past the check."""
    return list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def member_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Choose a valid role."), code="invalid_role")
    if role == membership.role:
        return membership
    admins = _lock_admins(membership.organization)
    if membership.role == Role.ADMIN and admins == [membership.pk]:
        raise ValidationError(
            _("%(name)s is the only admin. Make someone else an admin first.")
            % {"name": membership.user},
            code="last_admin",
        )
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        AuditAction.MEMBERSHIP_ROLE_CHANGED,
        membership,
        actor=actor,
        data={"email": membership.user.email, "from": old, "to": role},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User) -> None:
    admins = _lock_admins(membership.organization)
    if membership.role == Role.ADMIN and admins == [membership.pk]:
        raise ValidationError(
            _("%(name)s is the only admin and cannot be removed.") % {"name": membership.user},
            code="last_admin",
        )
    audit_record(
        AuditAction.MEMBERSHIP_REMOVED,
        membership,
        actor=actor,
        data={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


# Teams ------------------------------------------------------------------------------------


def _check_team_name(organization: Organization, name: str, exclude: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    clash = Team.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            {"name": _("A team named “%(name)s” exists already.") % {"name": name}}
        )
    return name


def _check_members(organization: Organization, members: Iterable[Membership]) -> list[Membership]:
    members = list(members)
    if any(m.organization_id != organization.pk for m in members):
        raise ValidationError({"members": _("Members must belong to this organization.")})
    return members


@transaction.atomic
def team_create(
    *, organization: Organization, actor: User, name: str, payments_enabled: bool = False
) -> Team:
    name = _check_team_name(organization, name)
    try:
        with transaction.atomic():
            team = Team.objects.create(
                organization=organization, name=name, payments_enabled=payments_enabled
            )
    except IntegrityError as error:  # the same name created a moment ago
        raise ValidationError(
            {"name": _("A team named “%(name)s” exists already.") % {"name": name}}
        ) from error
    audit_record(
        AuditAction.TEAM_CREATED,
        team,
        actor=actor,
        data={"name": team.name, "payments_enabled": payments_enabled},
        organization=organization,
    )
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    actor: User,
    name: str,
    members: Iterable[Membership],
    payments_enabled: bool,
) -> Team:
    organization = team.organization
    name = _check_team_name(organization, name, exclude=team.pk)
    members = _check_members(organization, members)
    before_ids = set(team.members.values_list("pk", flat=True))
    after_ids = {m.pk for m in members}
    data: dict[str, Any] = {}
    if name != team.name:
        data["name"] = [team.name, name]
    if payments_enabled != team.payments_enabled:
        data["payments_enabled"] = [team.payments_enabled, payments_enabled]
    if before_ids != after_ids:
        emails = dict(
            Membership.objects.filter(pk__in=before_ids | after_ids).values_list(
                "pk", "user__email"
            )
        )
        data["members_added"] = sorted(emails[pk] for pk in after_ids - before_ids)
        data["members_removed"] = sorted(emails[pk] for pk in before_ids - after_ids)
    team.name, team.payments_enabled = name, payments_enabled
    team.save(update_fields=["name", "payments_enabled"])
    team.members.set(members)
    if data:
        audit_record(
            AuditAction.TEAM_UPDATED, team, actor=actor, data=data, organization=organization
        )
    return team


# Invitations ------------------------------------------------------------------------------


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)  # 256 random bits
    return token, selectors.token_hash(token)


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def _invitation_send(invitation: Invitation, token: str) -> None:
    """Queue the SMS and the e-mail carrying the link, once the transaction commits."""

    with translation.override(invitation.organization.email_language):
        context = {
            "invitation": invitation,
            "organization": invitation.organization,
            "url": invitation_url(token),
            "teams": list(invitation.teams.all()),
            "site_name": settings.SITE_NAME,
        }
        sms_queue(
            to=str(invitation.mobile_phone),
            body=render_to_string("teams/invitation_sms.txt", context).strip(),
            secret=token,
        )
        subject = _("%(inviter)s invited you to %(organization)s") % {
            "inviter": invitation.invited_by or invitation.organization,
            "organization": invitation.organization,
        }
        text = render_to_string("teams/invitation_email.txt", context)
        html = render_to_string("teams/invitation_email.html", context)
        transaction.on_commit(
            lambda: email_send.delay(subject=subject, body=text, to=[invitation.email], html=html)
        )


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    actor: User,
    full_name: str,
    email: str,
    mobile_phone: str,
    role: str,
    teams: Iterable[Team] = (),
) -> Invitation:
    email = email.strip().lower()
    teams = list(teams)
    if role not in INVITABLE_ROLES:
        raise ValidationError({"role": _("Invite as an Advisor or a Manager.")})
    if any(t.organization_id != organization.pk for t in teams):
        raise ValidationError({"teams": _("Choose teams of this organization.")})
    if selectors.is_member(organization=organization, email=email):
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if selectors.open_invitation_exists(organization=organization, email=email):
        raise ValidationError(
            {
                "email": _("%(email)s has an open invitation already: resend it below.")
                % {"email": email}
            }
        )
    token, hashed = _new_token()
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization,
                full_name=full_name.strip(),
                email=email,
                mobile_phone=mobile_phone,
                role=role,
                token_hash=hashed,
                invited_by=actor,
                created_at=now,
                sent_at=now,
                expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
            )
    except IntegrityError as error:  # the same e-mail invited a moment ago
        raise ValidationError(
            {"email": _("%(email)s has an open invitation already.") % {"email": email}}
        ) from error
    invitation.teams.set(teams)
    audit_record(
        AuditAction.INVITATION_CREATED,
        invitation,
        actor=actor,
        data={"email": email, "role": role, "teams": [t.name for t in teams]},
        organization=organization,
    )
    _invitation_send(invitation, token)
    return invitation


def _invitation_closed(status: str) -> str:
    """Why an invitation no longer open can't be used: a whole sentence for each status, never
    a status word put into one (its form depends on the language's noun)."""
    if status == Invitation.Status.ACCEPTED:
        return _("This invitation was accepted already.")
    if status == Invitation.Status.REVOKED:
        return _("This invitation was revoked.")
    return _("This invitation has expired.")


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """Send a fresh link (the old one stops working) and restart the 7 days."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status in (Invitation.Status.ACCEPTED, Invitation.Status.REVOKED):
        raise ValidationError(_invitation_closed(invitation.status))
    token, hashed = _new_token()
    now = timezone.now()
    invitation.token_hash = hashed
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_TTL_DAYS)
    invitation.send_count += 1
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "send_count"])
    audit_record(
        AuditAction.INVITATION_RESENT,
        invitation,
        actor=actor,
        data={"email": invitation.email, "send_count": invitation.send_count},
    )
    _invitation_send(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ValidationError(_("This invitation was accepted already."))
    if invitation.revoked_at:
        return invitation
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        AuditAction.INVITATION_REVOKED, invitation, actor=actor, data={"email": invitation.email}
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an open invitation into a membership with its role and teams. Single use."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    status = invitation.status
    if status != Invitation.Status.PENDING:
        raise ValidationError(_invitation_closed(status), code=status)
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation is for %(email)s.") % {"email": invitation.email}, code="wrong_user"
        )
    organization = invitation.organization
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError(_("You are a member of %(org)s already.") % {"org": organization})
    membership = Membership.objects.create(
        user=user, organization=organization, role=invitation.role
    )
    teams = list(invitation.teams.filter(organization=organization))
    membership.teams.set(teams)
    if not user.mobile_phone:
        user.mobile_phone = invitation.mobile_phone
        user.save(update_fields=["mobile_phone"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        AuditAction.INVITATION_ACCEPTED,
        invitation,
        actor=user,
        data={"email": user.email, "role": invitation.role, "teams": [t.name for t in teams]},
        organization=organization,
    )
    audit_record(
        AuditAction.MEMBERSHIP_CREATED,
        membership,
        actor=user,
        data={"email": user.email, "role": invitation.role},
        organization=organization,
    )
    return membership


@transaction.atomic
def invitation_register(
    *, invitation: Invitation, full_name: str, mobile_phone: str, password: str
) -> Membership:
    """Create the invitee's account and accept the invitation, all or nothing."""
    if selectors.user_by_email(email=invitation.email) is not None:
        raise ValidationError(_("An account with this e-mail exists: sign in to accept."))
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name.strip(),
        mobile_phone=mobile_phone,
        language=invitation.organization.language,  # until they choose their own
    )
    return invitation_accept(invitation=invitation, user=user)
