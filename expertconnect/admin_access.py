"""Django admin behind the product's own login: allauth's form, its rate limits and lockout,
its two-factor step. /django-admin/login/ is never a second, unguarded password form, and the
admin opens only for active staff users, with two-factor authentication on when
ADMIN_REQUIRE_MFA is set (production)."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def may_use_admin(user: Any) -> bool:
    """The one rule for the Django admin."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return not settings.ADMIN_REQUIRE_MFA or is_mfa_enabled(user)


def install(site: admin.AdminSite) -> None:
    site_login = secure_admin_login(site.login)

    def login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_staff and not may_use_admin(user):
            return render(request, "admin_mfa_required.html", status=403)
        return site_login(request, extra_context)

    site.login = login  # type: ignore[method-assign]
    site.has_permission = lambda request: may_use_admin(request.user)  # type: ignore[method-assign]
