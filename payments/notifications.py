"""Payout e-mails to the members an admin chose."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import PayoutNotification
from payments.money import format_money


def payout_email_deliver(*, notification_id: int) -> None:
    notification = PayoutNotification.objects.select_related("payout__organization").get(
        pk=notification_id
    )
    payout = notification.payout
    organization = payout.organization
    if not notification.recipients:
        return
    context = {
        "organization": organization,
        "payout": payout,
        "status": notification.status,
        "amount": format_money(payout.amount_cents, payout.currency),
        "arrival_date": payout.arrival_date,  # a calendar date: never converted
        "sent_at": timezone.localtime(notification.created_at, organization.time_zone),
        "time_zone": organization.time_zone,
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL,
    }
    if notification.status == "paid":
        subject = _("%(org)s: payout of %(amount)s expected on %(date)s") % {
            "org": organization,
            "amount": context["amount"],
            "date": payout.arrival_date.strftime("%b %-d, %Y"),
        }
    else:
        subject = _("%(org)s: payout of %(amount)s failed") % {
            "org": organization,
            "amount": context["amount"],
        }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("payments/email/payout.txt", context),
        to=list(notification.recipients),
    )
    message.attach_alternative(render_to_string("payments/email/payout.html", context), "text/html")
    message.send()
