"""Writes of tickets: customers, conversations, their timeline, opt-outs."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.languages import CUSTOMER_LANGUAGES
from accounts.models import SmsMessage, User
from accounts.services import sms_queue
from teams.models import Membership, Organization, Team
from tickets import carrier, selectors
from tickets.models import Customer, Ticket, TimelineEntry

UNSUBSCRIBED_ERROR = "21610"  # Twilio: the recipient replied STOP to this sender


def timeline_add(
    *,
    ticket: Ticket,
    kind: str,
    body: str = "",
    event: str = "",
    data: dict[str, Any] | None = None,
    sms: SmsMessage | None = None,
    author: User | None = None,
    provider_id: str = "",
) -> TimelineEntry:
    """Append to a ticket's timeline (other apps write their events through this)."""
    entry = TimelineEntry.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        event=event,
        data=data or {},
        sms=sms,
        author=author,
        provider_id=provider_id,
    )
    Ticket.objects.filter(pk=ticket.pk).update(last_activity_at=entry.created_at)
    return entry


@transaction.atomic
def customer_get_or_create(*, organization: Organization, name: str, mobile_phone: str) -> Customer:
    customer = selectors.customer_by_phone(organization=organization, phone=str(mobile_phone))
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(
                organization=organization, name=name.strip(), mobile_phone=mobile_phone
            )
    except IntegrityError:  # created a moment ago by another request
        return Customer.objects.get(organization=organization, mobile_phone=mobile_phone)


@transaction.atomic
def ticket_open(
    *,
    organization: Organization,
    team: Team,
    customer: Customer,
    advisor: Membership | None = None,
    subject: str = "",
) -> Ticket:
    """The customer's open ticket in this team, or a new one."""
    if team.organization_id != organization.pk or customer.organization_id != organization.pk:
        raise ValidationError(_("Choose a team and a customer of this organization."))
    existing = Ticket.objects.filter(
        organization=organization, team=team, customer=customer, status=Ticket.Status.OPEN
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Ticket.objects.create(
                organization=organization,
                team=team,
                customer=customer,
                advisor=advisor,
                subject=subject.strip(),
            )
    except IntegrityError:
        return Ticket.objects.get(team=team, customer=customer, status=Ticket.Status.OPEN)


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User) -> Ticket:
    ticket.status = Ticket.Status.CLOSED
    ticket.save(update_fields=["status"])
    timeline_add(ticket=ticket, kind=TimelineEntry.Kind.EVENT, event="ticket.closed", author=actor)
    return ticket


def customer_set_language(*, customer: Customer, language: str) -> Customer:
    """The language the customer is texted and shown their pages in ("": the dealership's)."""
    if language and language not in CUSTOMER_LANGUAGES:
        raise ValidationError(_("That language is not offered. Choose one from the menu."))
    customer.language = language
    customer.save(update_fields=["language"])
    return customer


@transaction.atomic
def ticket_send_message(*, ticket: Ticket, actor: User | None, body: str) -> TimelineEntry:
    """Text the customer from the ticket. The SMS leaves from a Celery task after commit."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    customer = ticket.customer
    if customer.opted_out:
        raise ValidationError(
            _("%(name)s replied STOP: they receive no texts until they reply START.")
            % {"name": customer}
        )
    sms = sms_queue(to=str(customer.mobile_phone), body=body)
    return timeline_add(
        ticket=ticket, kind=TimelineEntry.Kind.OUTBOUND, body=body, sms=sms, author=actor
    )


@transaction.atomic
def inbound_message(
    *, to_number: str, from_number: str, body: str, provider_id: str
) -> TimelineEntry | None:
    """An SMS the customer sent to a team's number: append to their open ticket or open one.

    Answers None when the number is not one of ours. STOP and START (and their equivalents,
    tickets/carrier.py) change the opt-out; HELP is answered with who texts and how to stop."""
    team = selectors.team_by_number(number=to_number)
    if team is None:
        return None
    organization = team.organization
    seen = TimelineEntry.objects.filter(provider_id=provider_id, kind="inbound").first()
    if seen is not None:
        return seen  # Twilio delivered this message before
    customer = customer_get_or_create(
        organization=organization, name=from_number, mobile_phone=from_number
    )
    ticket = ticket_open(organization=organization, team=team, customer=customer)
    try:
        with transaction.atomic():
            entry = timeline_add(
                ticket=ticket, kind=TimelineEntry.Kind.INBOUND, body=body, provider_id=provider_id
            )
    except IntegrityError:  # the same message, delivered twice at once
        return TimelineEntry.objects.get(provider_id=provider_id, kind="inbound")
    found = carrier.keyword_of(body)
    if found is None:
        return entry
    keyword, word = found
    if keyword is carrier.Keyword.OPT_OUT:
        customer_opt_out(customer=customer, ticket=ticket, message=entry)
    elif keyword is carrier.Keyword.OPT_IN:
        customer_opt_in(customer=customer, ticket=ticket)
    else:
        customer_help_reply(ticket=ticket, team_number=to_number, language=carrier.HELP_WORDS[word])
    return entry


def customer_opt_out(
    *, customer: Customer, ticket: Ticket | None = None, message: TimelineEntry | None = None
) -> None:
    """Text this customer no more, recording when and the text that asked (``message``; None
    when the carrier reported the opt-out). Once: a repeated STOP changes nothing."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if locked.opted_out:
            customer.opted_out_at = locked.opted_out_at
            customer.opt_out_message_id = locked.opt_out_message_id
            return
        locked.opted_out_at = timezone.now()
        locked.opt_out_message = message
        locked.save(update_fields=["opted_out_at", "opt_out_message"])
        customer.opted_out_at, customer.opt_out_message = locked.opted_out_at, message
        tickets = [ticket] if ticket else list(customer.tickets.filter(status=Ticket.Status.OPEN))
        for each in tickets:
            timeline_add(ticket=each, kind=TimelineEntry.Kind.EVENT, event="customer.opted_out")


def customer_opt_in(*, customer: Customer, ticket: Ticket) -> None:
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        if not locked.opted_out:
            return
        locked.opted_out_at = None
        locked.opt_out_message = None
        locked.save(update_fields=["opted_out_at", "opt_out_message"])
        customer.opted_out_at, customer.opt_out_message = None, None
        timeline_add(ticket=ticket, kind=TimelineEntry.Kind.EVENT, event="customer.opted_in")


def customer_help_reply(*, ticket: Ticket, team_number: str, language: str) -> TimelineEntry:
    """Answer HELP: the dealership's name and number and how to stop texts, in the keyword's
    language, queued like every text (sent after commit by the SMS task)."""
    number = phonenumbers.format_number(
        phonenumbers.parse(team_number), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    with translation.override(language):
        body = _(
            "%(org)s: texts about your vehicle's service and payments. For help call or text "
            "%(number)s. Reply STOP to stop texts, START to get them again. Msg & data rates "
            "may apply."
        ) % {"org": ticket.organization.name, "number": number}
    sms = sms_queue(to=str(ticket.customer.mobile_phone), body=body)
    return timeline_add(ticket=ticket, kind=TimelineEntry.Kind.OUTBOUND, body=body, sms=sms)


@transaction.atomic
def sms_status_update(*, provider_id: str, status: str, error_code: str = "") -> SmsMessage | None:
    """Twilio's status callback: delivered, undelivered or failed, on the message and the
    timeline entry that sent it. A 21610 error marks the customer opted out."""
    if not provider_id:  # queued messages have no provider id yet: never match them
        return None
    message = SmsMessage.objects.select_for_update().filter(provider_id=provider_id).first()
    if message is None:
        return None
    mapping = {
        "delivered": SmsMessage.Status.DELIVERED,
        "undelivered": SmsMessage.Status.UNDELIVERED,
        "failed": SmsMessage.Status.FAILED,
        "sent": SmsMessage.Status.SENT,
    }
    new = mapping.get(status)
    final = {SmsMessage.Status.DELIVERED, SmsMessage.Status.UNDELIVERED, SmsMessage.Status.FAILED}
    if new is None or (message.status in final and new == SmsMessage.Status.SENT):
        return message  # queued/sending, or a late "sent" after the outcome: keep the outcome
    message.status = new
    if error_code:
        message.error_code = error_code
        message.error = message.error or f"Twilio error {error_code}"
    message.save(update_fields=["status", "error_code", "error"])
    sms_failed(message=message)
    return message


def sms_failed(*, message: SmsMessage) -> None:
    """Twilio refused a text because the customer unsubscribed (21610): mark them opted out.

    Called from the status callback and, through settings.SMS_FAILURE_HOOKS, by the SMS task."""
    if message.error_code != UNSUBSCRIBED_ERROR:
        return
    for entry in TimelineEntry.objects.filter(sms=message).select_related("ticket__customer"):
        customer_opt_out(customer=entry.ticket.customer, ticket=entry.ticket)
