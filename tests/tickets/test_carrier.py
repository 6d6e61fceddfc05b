"""Carrier rules: the keywords customers reply with and the hours automated texts may go."""

from datetime import UTC, datetime

import pytest

from teams.models import Organization
from tickets.carrier import HELP_WORDS, Keyword, automated_text_at, keyword_of

OPT_OUT = [
    "STOP", "stop", "Stop", "STOPALL", "Stop all", "UNSUBSCRIBE", "unsubscribe", "CANCEL",
    "END", "QUIT", "REVOKE", "OPTOUT", "opt-out", "Opt out",
    "ARRÊT", "ARRET", "arrêt", "  arrêt. ", "Arret!",
    "ALTO", "alto", "PARAR", "Parar.", "CANCELAR", "BAJA", "baja",
    " STOP ", "stop.", "STOP!!!", "¡Alto!", "Stop please", "Stop texting me", "Arrêt svp",
]  # fmt: skip


@pytest.mark.parametrize("body", OPT_OUT)
def test_stop_and_its_equivalents_in_english_french_and_spanish_opt_out(body):
    assert keyword_of(body)[0] is Keyword.OPT_OUT


@pytest.mark.parametrize("body", ["START", "start", " Start. ", "UNSTOP", "Yes", "OPTIN"])
def test_start_words_opt_back_in(body):
    assert keyword_of(body)[0] is Keyword.OPT_IN


@pytest.mark.parametrize("body", ["HELP", "help", " Help? ", "HELP!"])
def test_help_asks_who_is_texting(body):
    assert keyword_of(body) == (Keyword.HELP, "help")


@pytest.mark.parametrize(
    ("body", "word"), [("AIDE", "aide"), ("Aide ?", "aide"), ("Ayuda", "ayuda")]
)
def test_help_in_french_and_spanish_asks_too_and_is_answered_in_that_language(body, word):
    assert keyword_of(body) == (Keyword.HELP, word)
    assert HELP_WORDS[word] in ("fr-ca", "es")


@pytest.mark.parametrize(
    "body",
    [
        "Please stop by at 5",
        "Can I stop by tomorrow to pick up the car?",
        "Stop working on the car, I will pick it up and take it somewhere else",
        "I want to cancel the appointment",
        "Is my car ready?",
        "stopped",
        "the end",
        "help me find the invoice",
        "",
        "   ",
    ],
)
def test_a_message_that_only_contains_a_keyword_is_not_one(body):
    assert keyword_of(body) is None


# Quiet hours: Dec 2, 2026 is standard time (Chicago UTC-6, New York UTC-5, Vancouver UTC-8).


def org(zone="America/Chicago"):
    return Organization(name="Lakeside Motors", slug="lakeside", country="US", time_zone=zone)


def utc(hour, minute=0, day=2):
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


CHICAGO = "+13125550142"


@pytest.mark.parametrize(
    ("now", "allowed_at"),
    [
        (utc(13, 59), utc(14)),  # 7:59 a.m. in Chicago: held until 8:00
        (utc(14), utc(14)),  # 8:00 a.m.
        (utc(1, 59), utc(1, 59)),  # 7:59 p.m. the evening before
        (utc(2, 1), utc(14)),  # 8:01 p.m. the evening before: held until 8:00 a.m.
        (utc(2, 0), utc(14)),  # 8:00 p.m. is past the hours
    ],
)
def test_automated_texts_go_between_8_am_and_8_pm_in_the_customers_zone(now, allowed_at):
    assert automated_text_at(phone=CHICAGO, organization=org(), now=now) == allowed_at


def test_a_vancouver_number_of_an_eastern_organization_waits_for_8_am_in_vancouver():
    eastern = org("America/New_York")
    vancouver = "+16045550142"
    # 8 a.m. in New York is 5 a.m. in Vancouver: held until 8 a.m. Pacific (16:00 UTC).
    assert automated_text_at(phone=vancouver, organization=eastern, now=utc(13)) == utc(16)
    # 9 p.m. in New York is 6 p.m. in Vancouver: it goes.
    assert automated_text_at(phone=vancouver, organization=eastern, now=utc(2)) == utc(2)


def test_a_number_across_a_zone_line_waits_for_the_hours_open_in_both():
    # Idaho's 208 is Boise (UTC-7) and Los Angeles (UTC-8): 8 a.m. holds in both from 16:00.
    idaho = "+12085550142"
    assert automated_text_at(phone=idaho, organization=org(), now=utc(15)) == utc(16)
    # 7:30 p.m. in Los Angeles is 8:30 p.m. in Boise: held until 8 a.m. Pacific.
    assert automated_text_at(phone=idaho, organization=org(), now=utc(3, 30)) == utc(16)


def test_the_organizations_zone_counts_when_the_number_may_be_in_it():
    toll_free = "+18005550100"  # every zone of the NANP, Chicago among them
    assert automated_text_at(phone=toll_free, organization=org(), now=utc(14)) == utc(14)


def test_a_number_of_many_zones_waits_for_the_hours_open_in_all_of_them():
    paris = org("Europe/Paris")  # not among a toll-free number's zones
    toll_free = "+18005550100"  # Guam to St. John's: 8 a.m. in Guam is 6:30 p.m. in St. John's
    assert automated_text_at(phone=toll_free, organization=paris, now=utc(7)) == utc(22)


def test_a_number_without_zone_data_goes_by_the_organizations_zone():
    paris = org("Europe/Paris")
    uk = "+447700900123"  # phonenumbers knows no zone for it
    assert automated_text_at(phone=uk, organization=paris, now=utc(7)) == utc(7)
    assert automated_text_at(phone=uk, organization=paris, now=utc(19, 30)) == utc(7, day=3)
