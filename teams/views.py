"""HTTP only: parse with forms, decide access in teams.access, write through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts import services as account_services
from accounts.decorators import reauthentication_purpose, recent_password_required
from accounts.forms import add_errors
from teams import selectors, services
from teams.access import (
    SESSION_KEY,
    OrganizationRequest,
    memberships_of,
    organization_view,
    payment_teams_seen,
    require,
    signed_in_user,
)
from teams.forms import (
    InvitationForm,
    InvitationSignupForm,
    OrganizationForm,
    RoleForm,
    TeamCreateForm,
    TeamForm,
)
from teams.models import Invitation
from teams.roles import Capability, Role

UNPROCESSABLE = 422


def home(request: HttpRequest) -> HttpResponse:
    """Send the person to the organization they last worked in, or their first one."""
    memberships = memberships_of(signed_in_user(request))
    if not memberships:
        return redirect("organization_create")
    slugs = [m.organization.slug for m in memberships]
    slug = request.session.get(SESSION_KEY)
    return redirect("overview", org=slug if slug in slugs else slugs[0])


@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None, initial={"country": "US"})
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            actor=signed_in_user(request), **form.cleaned_data
        )
        messages.success(
            request, _("%(name)s is ready. Next: connect Stripe.") % {"name": organization}
        )
        return redirect("admin_tab", org=organization.slug)
    status = UNPROCESSABLE if form.errors else 200
    return render(request, "teams/organization_create.html", {"form": form}, status=status)


@require_safe
@organization_view()
def overview(request: OrganizationRequest) -> HttpResponse:
    membership = request.membership
    organization = request.organization
    # Admins see every team's payments: their card lists the organization's teams, not theirs.
    sees_every_team = payment_teams_seen(membership) is None
    teams = organization.teams if sees_every_team else membership.teams
    context = {
        "my_teams": teams.order_by("name"),
        "sees_every_team": sees_every_team,
        "member_count": organization.memberships.count(),
        "team_count": organization.teams.count(),
        "payment_team_count": organization.teams.filter(payments_enabled=True).count(),
        "pending_invitations": selectors.pending_invitation_count(organization=organization),
    }
    return render(request, "teams/overview.html", context)


# Manage tab: members and invitations ------------------------------------------------------


def _manage_context(
    request: OrganizationRequest, invite_form: InvitationForm | None = None
) -> dict:
    organization = request.organization
    return {
        "invite_form": invite_form or InvitationForm(organization=organization),
        "members": selectors.membership_list(organization=organization),
        "invitations": selectors.invitation_list_open(organization=organization),
        "roles": Role.choices,
        "tab": "members",
    }


def _members_purpose(request: HttpRequest, org: str) -> str:
    """The password page's sentence before a role change or a removal: the Manage tab's
    buttons send the person back to the tab, where they make the change again."""
    return _(
        "Enter your password to change a member's role or remove a member. Then make the "
        "change again on the Manage tab: it was not saved yet."
    )


@reauthentication_purpose(_members_purpose)
@require_safe
@organization_view(Capability.MANAGE_MEMBERS)
def manage(request: OrganizationRequest) -> HttpResponse:
    return render(request, "teams/manage.html", _manage_context(request))


@require_POST
@organization_view(Capability.INVITE_MEMBER)
def invitation_create(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    form = InvitationForm(request.POST, organization=organization)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(name)s by text message and e-mail.")
                % {"name": invitation.full_name},
            )
            if request.htmx:
                context = _manage_context(request)
                return render(request, "teams/manage.html#invite-sent", context)
            return redirect("manage", org=organization.slug)
    context = _manage_context(request, invite_form=form)
    template = "teams/manage.html#invite-form" if request.htmx else "teams/manage.html"
    return render(request, template, context, status=UNPROCESSABLE)


def _members_response(request: OrganizationRequest, error: str | None = None) -> HttpResponse:
    if error:
        messages.error(request, error)
    if request.htmx:
        context = _manage_context(request)
        return render(
            request,
            "teams/manage.html#member-list",
            context,
            status=UNPROCESSABLE if error else 200,
        )
    return redirect("manage", org=request.organization.slug)


@require_POST
@organization_view(Capability.MANAGE_MEMBERS)
@recent_password_required
def member_role(request: OrganizationRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(organization=request.organization, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _members_response(request, _("Choose a valid role."))
    try:
        services.member_change_role(
            membership=membership, actor=request.user, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        return _members_response(request, error.messages[0])
    messages.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": membership.user, "role": membership.get_role_display()},
    )
    if membership.pk == request.membership.pk:  # you changed your own role: leave the page
        return _leave(request, "overview", org=request.organization.slug)
    return _members_response(request)


@require_POST
@organization_view(Capability.MANAGE_MEMBERS)
@recent_password_required
def member_remove(request: OrganizationRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(organization=request.organization, pk=pk)
    try:
        services.member_remove(membership=membership, actor=request.user)
    except ValidationError as error:
        return _members_response(request, error.messages[0])
    messages.success(
        request,
        _("%(name)s no longer has access to %(org)s.")
        % {"name": membership.user, "org": request.organization},
    )
    if membership.pk == request.membership.pk:  # you left the organization
        return _leave(request, "home")
    return _members_response(request)


def _leave(request: OrganizationRequest, url_name: str, **kwargs) -> HttpResponse:
    url = reverse(url_name, kwargs=kwargs)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _invitations_response(request: OrganizationRequest, error: str | None = None) -> HttpResponse:
    if error:
        messages.error(request, error)
    if request.htmx:
        return render(
            request,
            "teams/manage.html#invitation-list",
            _manage_context(request),
            status=UNPROCESSABLE if error else 200,
        )
    return redirect("manage", org=request.organization.slug)


@require_POST
@organization_view(Capability.INVITE_MEMBER)
def invitation_resend(request: OrganizationRequest, pk: int) -> HttpResponse:
    return _invitation_act(
        request, pk, services.invitation_resend, _("A new link was sent to %(email)s.")
    )


@require_POST
@organization_view(Capability.INVITE_MEMBER)
def invitation_revoke(request: OrganizationRequest, pk: int) -> HttpResponse:
    return _invitation_act(
        request, pk, services.invitation_revoke, _("The invitation of %(email)s was revoked.")
    )


def _invitation_act(
    request: OrganizationRequest, pk: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    invitation = selectors.invitation_get(organization=request.organization, pk=pk)
    try:
        invitation = service(invitation=invitation, actor=request.user)
    except ValidationError as error:
        return _invitations_response(request, error.messages[0])
    messages.success(request, done % {"email": invitation.email})
    if request.htmx:
        # The invite form may still show the error that sent the admin here ("has an open
        # invitation already: resend it below"): it comes back clean, out of band.
        context = _manage_context(request, invite_form=_invite_form_after(request, invitation))
        return render(request, "teams/manage.html#invitation-acted", context)
    return _invitations_response(request)


def _invite_form_after(request: OrganizationRequest, invitation: Invitation) -> InvitationForm:
    """The invite form without errors, keeping what the admin had typed into it (htmx sends the
    form's fields along), unless it was for the person whose invitation went out just now."""
    typed = request.POST
    fields = InvitationForm.base_fields
    initial: dict[str, Any] = {name: typed.get(name, "") for name in fields if name in typed}
    if "teams" in typed:
        initial["teams"] = typed.getlist("teams")
    sent = invitation.revoked_at is None
    if sent and initial.get("email", "").strip().lower() == invitation.email:
        initial = {}
    return InvitationForm(organization=request.organization, initial=initial)


# Teams ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@organization_view()
def team_list(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST":
        require(request, Capability.MANAGE_TEAMS)
        if form.is_valid():
            try:
                team = services.team_create(
                    organization=organization, actor=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Team %(name)s created.") % {"name": team})
                return redirect("team_detail", org=organization.slug, pk=team.pk)
    context = {
        "teams": selectors.team_list(organization=organization),
        "form": form,
        "tab": "teams",
    }
    return render(
        request, "teams/team_list.html", context, status=UNPROCESSABLE if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@organization_view()
def team_detail(request: OrganizationRequest, pk: int) -> HttpResponse:
    organization = request.organization
    team = selectors.team_get(organization=organization, pk=pk)
    initial = {
        "name": team.name,
        "members": list(team.members.all()),
        "payments_enabled": team.payments_enabled,
    }
    form = TeamForm(request.POST or None, initial=initial, organization=organization)
    if request.method == "POST":
        require(request, Capability.MANAGE_TEAMS, team)
        if form.is_valid() and form.cleaned_data["payments_enabled"] != team.payments_enabled:
            require(request, Capability.ENABLE_TEAM_PAYMENTS, team)
        if form.is_valid():
            try:
                services.team_update(team=team, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Team %(name)s saved.") % {"name": team})
                return redirect("team_detail", org=organization.slug, pk=team.pk)
    context = {
        "team": team,
        "team_members": selectors.team_members(team=team),
        "form": form,
        "tab": "teams",
    }
    return render(
        request, "teams/team_detail.html", context, status=UNPROCESSABLE if form.errors else 200
    )


# Invitation links (public) ----------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None:
        return render(request, "teams/invitation_invalid.html", {"reason": "unknown"}, status=404)
    status = invitation.status
    if status != Invitation.Status.PENDING:
        return render(
            request,
            "teams/invitation_invalid.html",
            {"reason": status, "invitation": invitation},
            status=410,
        )
    user = request.user
    existing = selectors.user_by_email(email=invitation.email)
    context: dict = {"invitation": invitation, "token": token, "existing_user": existing}

    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            context["wrong_user"] = True
            return render(request, "teams/invitation_accept.html", context, status=403)
        if request.method == "POST":
            return _accept(request, invitation, user)
        return render(request, "teams/invitation_accept.html", context)

    if existing is not None:
        # The invitee has an account: sign in first, then come back here.
        context["login_url"] = reverse("account_login") + "?next=" + request.path
        return render(request, "teams/invitation_accept.html", context)

    form = InvitationSignupForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_register(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                mobile_phone=form.cleaned_data["mobile_phone"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _welcome(request, membership)
    context["form"] = form
    return render(
        request,
        "teams/invitation_accept.html",
        context,
        status=UNPROCESSABLE if form.errors else 200,
    )


def _accept(request: HttpRequest, invitation: Invitation, user) -> HttpResponse:
    try:
        membership = services.invitation_accept(invitation=invitation, user=user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("home")
    return _welcome(request, membership)


def _welcome(request: HttpRequest, membership) -> HttpResponse:
    messages.success(
        request,
        _("Welcome to %(org)s. You joined as %(role)s.")
        % {"org": membership.organization, "role": membership.get_role_display()},
    )
    return redirect("overview", org=membership.organization.slug)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Keep the language chosen in the user menu ("" for the browser's) and go back."""
    language = request.POST.get("language", "")
    try:
        account_services.user_set_language(user=signed_in_user(request), language=language)
    except ValidationError as error:
        return HttpResponseBadRequest(error.messages[0])
    translation.activate(language or translation.get_language_from_request(request))
    messages.success(request, _("Language saved."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return redirect(back)
