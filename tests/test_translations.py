"""The translations are complete: every catalog compiles with its placeholders intact, holds
no empty or fuzzy entry, and covers every string the code marks for translation today."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
LANGUAGES = [po.parent.parent.name for po in CATALOGS]
MSGFMT, MSGATTRIB = shutil.which("msgfmt") or "msgfmt", shutil.which("msgattrib") or "msgattrib"


def _untranslated_or_fuzzy(po: Path) -> str:
    """The entries of ``po`` left empty or marked fuzzy, as msgattrib prints them ("" if none)."""
    found = []
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(  # noqa: S603 - our arguments
            [MSGATTRIB, flag, "--no-wrap", str(po)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # msgattrib prints the header entry with any selection; an entry beyond it is a find
        entries = [e for e in out.split("\n\n") if e.strip() and 'msgid ""\nmsgstr ""' not in e]
        found += entries
    return "\n\n".join(found)


def test_the_product_is_translated_into_the_seven_languages_of_the_issue():
    assert set(LANGUAGES) == {"de", "es", "fr_CA", "it", "pl", "pt_BR"}


@pytest.mark.parametrize("po", CATALOGS, ids=LANGUAGES)
def test_a_catalog_compiles_with_its_placeholders_and_has_no_empty_or_fuzzy_entry(po, tmp_path):
    compiled = subprocess.run(  # noqa: S603 - our arguments
        [MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
    )

    assert compiled.returncode == 0, compiled.stderr
    assert "untranslated" not in compiled.stderr and "fuzzy" not in compiled.stderr
    assert _untranslated_or_fuzzy(po) == ""


def test_every_string_marked_for_translation_has_a_translation(tmp_path, monkeypatch):
    """makemessages over the code, into a copy of the catalogs: nothing new comes out
    untranslated (a string added or changed without its translations fails here)."""
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(settings.BASE_DIR)
    with override_settings(LOCALE_PATHS=[copy]):
        call_command("makemessages", locale=LANGUAGES, verbosity=0)

    missing = {
        language: _untranslated_or_fuzzy(copy / language / "LC_MESSAGES" / "django.po")
        for language in LANGUAGES
    }
    assert {language: text for language, text in missing.items() if text} == {}
