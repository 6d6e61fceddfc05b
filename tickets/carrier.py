"""Carrier rules for texts: the keywords customers reply with, and when automated texts may go.

- STOP and its equivalents opt a customer out, START opts them back in, HELP (AIDE, AYUDA)
  asks who we are, answered in the language it was asked in.
  A reply is the keyword as carriers read it: the whole message, after trimming, case-folding
  and dropping accents and punctuation ("  Arrêt. " is ARRET). A short reply that begins with
  STOP, ARRÊT or ALTO ("Stop please", "Stop texting me") opts out too; a sentence that merely
  contains the word ("Please stop by at 5") does not.
- Automated texts (reminders) go out only between 8 a.m. and 8 p.m. in the customer's own time
  zone, read from their number (phonenumbers' time-zone data), else the organization's. Texts a
  person sends by hand are not held.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.utils import timezone
from phonenumbers.timezone import time_zones_for_number

from teams.models import Organization

OPT_OUT_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
        "arret",  # French: ARRÊT or ARRET
        "alto",  # Spanish
        "parar",
        "cancelar",
        "baja",
    }
)
# A short reply beginning with one of these is an opt-out as well: "Stop texting me".
OPT_OUT_LEADS = frozenset({"stop", "arret", "alto"})
SHORT_REPLY_WORDS = 5
OPT_IN_WORDS = frozenset({"start", "unstop", "yes", "optin"})
# HELP and its equivalents, with the language their answer is written in.
HELP_WORDS = {"help": "en", "aide": "fr-ca", "ayuda": "es"}

# Automated texts go from 8 a.m. up to (not including) 8 p.m., the customer's local time.
AUTOMATED_FROM = time(8)
AUTOMATED_UNTIL = time(20)


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def normalize(body: str) -> str:
    """The message as carriers match keywords: case-folded, without accents or punctuation,
    its words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", body.casefold())
    kept = "".join(
        char
        for char in decomposed
        if (char.isalnum() and not unicodedata.combining(char)) or char.isspace()
    )
    return " ".join(kept.split())


def keyword_of(body: str) -> tuple[Keyword, str] | None:
    """The keyword a customer's text is (with the normalised word), or None for a message."""
    words = normalize(body).split()
    if not words:
        return None
    whole = "".join(words) if len(words) <= 2 else ""  # "Stop all", "opt out"
    if whole in OPT_OUT_WORDS:
        return Keyword.OPT_OUT, whole
    if whole in OPT_IN_WORDS:
        return Keyword.OPT_IN, whole
    if whole in HELP_WORDS:
        return Keyword.HELP, whole
    if words[0] in OPT_OUT_LEADS and len(words) <= SHORT_REPLY_WORDS:
        return Keyword.OPT_OUT, words[0]
    return None


# Quiet hours ---------------------------------------------------------------------------------


def customer_time_zones(*, phone: str, organization: Organization) -> tuple[ZoneInfo, ...]:
    """The zones the customer may be in: their number's (phonenumbers' data), the
    organization's when it is one of them or the number tells nothing."""
    own = ZoneInfo(str(organization.time_zone))
    try:
        names = time_zones_for_number(phonenumbers.parse(str(phone)))
    except phonenumbers.NumberParseException:
        return (own,)
    if own.key in names:
        return (own,)
    zones = []
    for name in sorted(names):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):  # "Etc/Unknown": no data for the number
            continue
    return tuple(zones) or (own,)


def _open(at: datetime, zones: tuple[ZoneInfo, ...]) -> bool:
    return all(AUTOMATED_FROM <= at.astimezone(zone).time() < AUTOMATED_UNTIL for zone in zones)


def _first_open(now: datetime, zones: tuple[ZoneInfo, ...]) -> datetime | None:
    if _open(now, zones):
        return now
    local_mornings = sorted(
        datetime.combine(now.astimezone(zone).date() + timedelta(days=days), AUTOMATED_FROM, zone)
        for zone in zones
        for days in (0, 1, 2)
    )
    return next((at for at in local_mornings if at > now and _open(at, zones)), None)


def automated_text_at(
    *, phone: str, organization: Organization, now: datetime | None = None
) -> datetime:
    """When an automated text to this number may go: ``now`` between 8 a.m. and 8 p.m. where
    the customer is, else the next 8 a.m. there.

    A number that may be in several zones (a toll-free or an area code across a zone line)
    waits for the hours open in all of them; zones too far apart to share any hour fall back
    to the organization's."""
    now = now or timezone.now()
    zones = customer_time_zones(phone=phone, organization=organization)
    at = _first_open(now, zones) or _first_open(now, (ZoneInfo(str(organization.time_zone)),))
    if at is None:  # cannot happen: one zone's next 8 a.m. is within a day
        raise RuntimeError("No 8 a.m. within two days.")
    return at
