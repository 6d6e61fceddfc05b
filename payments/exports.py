"""One writer for every CSV and XLSX file the product hands out (the Payments tab's exports,
the daily reports, Stripe's report files).

A cell a spreadsheet would run as a formula is written as text (OWASP's CSV injection
guidance): a text value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading apostrophe in CSV, and every text cell of a workbook is stored as a string,
never as a formula. Numbers stay numbers, and so does text that is only a signed number
("-12.34" in a CSV amount column), so totals still add up in the spreadsheet."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_SIGNED_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z", re.ASCII)


def cell(value: Any) -> Any:
    """``value`` as it may go into a cell: formula-looking text made inert."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _SIGNED_NUMBER.match(value)
    ):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` whose every row goes through ``cell``."""

    def __init__(self, buffer: io.StringIO, **options: Any) -> None:
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_pieces(header: list[str], rows: Iterable[Iterable[Any]], *, chunk: int) -> Iterator[str]:
    """A CSV file in pieces of ``chunk`` rows, for a streaming response (one write to the
    socket a piece, not one a row): the header alone first, so the first bytes leave before
    the rows' query answers."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield flush()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % chunk == 0:
            yield flush()
    yield flush()


def csv_made_safe(text: str) -> str:
    """A CSV file written elsewhere (Stripe's reports) with every cell through ``cell``."""
    out = io.StringIO()
    CsvWriter(out, lineterminator="\n").writerows(csv.reader(io.StringIO(text)))
    return out.getvalue()


def xlsx_cell(sheet: Any, value: Any, number_format: str | None = None) -> Any:
    """A write-only workbook's cell: text is always a string cell (openpyxl would make text
    starting with ``=`` a formula); numbers and dates keep their type and ``number_format``."""

    if value is None:
        return None
    written = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        written.data_type = "s"
        if cell(value) != value:  # formula-looking: Excel keeps it text when someone edits it
            written.quotePrefix = True
    if number_format:
        written.number_format = number_format
    return written
