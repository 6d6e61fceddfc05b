"""The audit log as data: one enumeration of actions, each with the sentence a dealership
reads; old or unknown entries still read as sentences, never as codes."""

import ast
from pathlib import Path

import pytest

from teams import services
from teams.audit import SENTENCES, AuditAction, describe
from teams.models import AuditLog
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


class AnyValue(dict):
    """Every placeholder filled, whatever its name."""

    def __missing__(self, key):
        return "x"


def test_every_audit_action_has_a_sentence():
    assert set(SENTENCES) == set(AuditAction)


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_sentence_is_a_template_with_named_placeholders(action):
    sentence = str(SENTENCES[action]) % AnyValue()
    assert sentence and "%" not in sentence
    assert action.value not in sentence


def test_the_stored_values_are_the_strings_rows_already_hold():
    assert {
        "organization.created",
        "organization.updated",
        "membership.created",
        "membership.role_changed",
        "membership.removed",
        "team.created",
        "team.updated",
        "invitation.created",
        "invitation.resent",
        "invitation.revoked",
        "invitation.accepted",
        "stripe.connect_started",
        "stripe.reconnect_started",
        "stripe.connected",
        "stripe.restricted",
        "stripe.deauthorized",
        "stripe.dashboard_opened",
        "stripe.checklist_sent",
        "stripe.payout_schedule_updated",
        "stripe.statement_descriptor_updated",
        "payouts.recipients_changed",
        "payments.reminders_changed",
        "payment_request.created",
        "payment_request.resent",
        "payment_request.cancelled",
        "payment_request.posted",
        "payment_request.unposted",
        "payment.duplicate_detected",
        "payment.duplicate_refunded",
        "payment.refund_requested",
    } <= set(AuditAction.values)
    assert AuditAction("stripe.connected") is AuditAction.STRIPE_CONNECTED


def test_audit_record_takes_an_audit_action_not_a_bare_string(organization):
    with pytest.raises(TypeError):
        services.audit_record(organization=organization, actor=None, action="team.created")  # type: ignore[arg-type]
    assert not AuditLog.objects.exists()


def test_an_organization_and_its_first_admin_read_as_sentences(db):
    founder = UserFactory(full_name="Alex Admin", email="alex@example.com")
    organization = services.organization_create(
        actor=founder, name="Prairie Ford", country="CA", time_zone="America/Winnipeg"
    )
    entries = AuditLog.objects.filter(organization=organization).order_by("pk")
    assert [describe(e) for e in entries] == [
        "Alex Admin created the organization Prairie Ford",
        "alex@example.com joined as Admin",
    ]
    assert entries[0].sentence == describe(entries[0])


def test_an_unknown_action_reads_as_a_generic_sentence(organization):
    person = UserFactory(full_name="Alex Admin")
    old = AuditLog.objects.create(organization=organization, actor=person, action="stripe.old_one")
    assert describe(old) == "Alex Admin made a change"
    anonymous = AuditLog.objects.create(organization=organization, action="something.gone")
    assert describe(anonymous) == "A change was recorded"


def test_an_entry_without_the_data_its_sentence_needs_reads_as_its_label(organization):
    person = UserFactory(full_name="Morgan Manager")
    old = AuditLog.objects.create(
        organization=organization,
        actor=person,
        action=AuditAction.PAYMENT_REQUEST_POSTED,
        data={"reference": "INV-1001"},  # written before entries held the request's number
    )
    assert describe(old) == "Posted to the DBS, by Morgan Manager"
    by_stripe = AuditLog.objects.create(
        organization=organization, action=AuditAction.REFUND_SUCCEEDED, data={}
    )
    assert describe(by_stripe) == "Refund succeeded"


def test_a_removed_persons_entry_still_reads_as_a_sentence(organization):
    entry = AuditLog.objects.create(
        organization=organization,
        actor=None,
        action=AuditAction.INVITATION_REVOKED,
        data={"email": "jordan@example.com"},
    )
    assert describe(entry) == "Someone revoked the invitation of jordan@example.com"


def test_teams_never_imports_payments():
    """The app order is accounts, teams, tickets, payments: teams knows nothing of payments."""
    for path in (ROOT / "teams").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] in {"payments", "tickets"} for n in names), path
