"""``{% load ui %}``: the one badge, amount, time and empty state of every page (accounts.ui)."""

from django import template

from accounts import ui
from accounts.times import LONG, SHORT

register = template.Library()


@register.simple_tag
def badge(label, tone="neutral", status="", title="", id="", icon=""):
    """``{% badge row.badge row.tone status=payment.status %}``, ``{% badge _("Posted")
    "success" icon="check2" %}``"""
    return ui.badge_html(label, tone, status=status, title=title, id=id, icon=icon)


@register.simple_tag
def amount(amount_cents, currency=""):
    """``{% amount payment.amount_cents payment.currency %}``; ``{% amount cents %}`` in a
    column whose heading names the currency."""
    return ui.amount_html(amount_cents, currency)


@register.simple_tag
def timestamp(value, zone=None, short=False):
    """``{% timestamp payment.paid_at current_organization.time_zone %}``; ``short=True``
    leaves out the year. Without a zone, the active one (inside ``{% timezone %}``)."""
    return ui.time_html(value, SHORT if short else LONG, zone)


@register.inclusion_tag("components/_empty.html")
def empty_state(
    message="",
    icon="inbox",
    title="",
    id="",
    compact=False,
    action_url="",
    action_label="",
    action_id="",
):
    """``{% empty_state msg icon="bank" title=title %}``: the one empty state (an icon, a
    title, a sentence that says what to do, and at most one action)."""
    return {
        "message": message,
        "icon": icon,
        "title": title,
        "id": id,
        "compact": compact,
        "action_url": action_url,
        "action_label": action_label,
        "action_id": action_id,
    }


class LiveRegionNode(template.Node):
    def __init__(self, nodelist, attributes):
        self.nodelist = nodelist
        self.attributes = attributes

    def render(self, context):
        inner = self.nodelist.render(context)
        attributes = {
            name.replace("_", "-"): value.resolve(context)
            for name, value in self.attributes.items()
        }
        return ui.live_region_html(inner, attributes)


@register.tag
def live_region(parser, token):
    """``{% live_region id="timeline" hx_get=url every="4s" announce=sentence %}…
    {% endlive_region %}``: a part of the page that refreshes itself (htmx polling) and says so
    once when what it shows changes, never on a poll that brings the same (accounts.ui)."""
    bits = token.split_contents()[1:]
    attributes = template.base.token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError(f"live_region takes name=value pairs, not {bits}")
    nodelist = parser.parse(("endlive_region",))
    parser.delete_first_token()
    return LiveRegionNode(nodelist, attributes)
