from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.languages import staff_languages
from teams.access import capabilities_of, memberships_of


def navigation(request):
    """The app shell's data: the organization switcher, the menu by capability, task mode."""
    context = {
        "site_name": settings.SITE_NAME,
        "tasks_inline": settings.CELERY_TASK_ALWAYS_EAGER,
    }
    membership = getattr(request, "membership", None)
    if membership is not None:
        context["caps"] = {c.value for c in capabilities_of(membership)}
        context["current_organization"] = membership.organization
        context["current_membership"] = membership
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        known = getattr(request, "memberships", None)  # an organization view read them
        context["languages"] = staff_languages()
        context["user_memberships"] = (
            known if known is not None else SimpleLazyObject(lambda: memberships_of(request.user))
        )
    return context
