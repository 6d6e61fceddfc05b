"""How long a text is for the carriers: the encoding it goes in and how many segments (billed
messages) it takes.

- GSM-7 when every character is in the GSM 03.38 default alphabet or its extension table
  (3GPP TS 23.038, the ``gsm0338`` codec's tables): 160 septets in one segment, 153 in each
  segment of a longer text (the rest carries the concatenation header). An extension
  character (``€ [ ] { } ~ ^ | \\``) takes two septets.
- UCS-2 as soon as one character is not (Polish ł or ś, Portuguese ç or ã, French ê, an
  emoji): 70 UTF-16 code units in one segment, 67 in each of a longer one's.

Like the carriers, a character never straddles two segments: an escape pair or a surrogate
pair that doesn't fit in what is left of one starts the next.

The product writes each language as it is spelled and never transliterates (the wording of a
translation is what keeps a text short). Only the no-break spaces that number and currency
formats put in amounts, which GSM-7 has no code for, are written as the plain spaces they look
like (``plain_spaces``)."""

from __future__ import annotations

from dataclasses import dataclass

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
# (units in a text of one segment, units in each segment of a longer text)
SEGMENT_UNITS = {GSM_7: (160, 153), UCS_2: (70, 67)}
# No-break, narrow no-break, figure and thin spaces: CLDR's digit groups and currency spacing.
NO_BREAK_SPACES = str.maketrans(dict.fromkeys("\u00a0\u202f\u2007\u2009", " "))


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # GSM_7 or UCS_2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def plain_spaces(text: str) -> str:
    """``text`` with its no-break spaces written as spaces: "50 000,00 $" reads the same and
    stays GSM-7."""
    return text.translate(NO_BREAK_SPACES)


def _widths(text: str) -> tuple[str, list[int]]:
    """The encoding ``text`` goes in, and the units each of its characters takes."""
    try:
        return GSM_7, [len(char.encode("gsm03.38")) for char in text]
    except UnicodeEncodeError:
        return UCS_2, [len(char.encode("utf-16-le")) // 2 for char in text]


def sms_length(text: str) -> SmsLength:
    """The encoding, length and segment count of ``text`` sent as one SMS."""
    encoding, widths = _widths(text)
    units = sum(widths)
    single, each = SEGMENT_UNITS[encoding]
    if units <= single:
        return SmsLength(encoding, units, 1)
    segments, used = 1, 0
    for width in widths:
        if used + width > each:
            segments, used = segments + 1, 0
        used += width
    return SmsLength(encoding, units, segments)
