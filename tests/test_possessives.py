"""No English possessive is built from a name ("Demo Motors's", "Jordan Ross's"): the name's
own ending decides the English form, and other languages build it differently. Sentences
name the owner another way ("the payment page for Demo Motors")."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "expertconnect", "payments", "teams", "tickets")
# A placeholder followed by 's: {{ name }}'s, %(name)s's, {name}'s, %s's.
POSSESSIVE = re.compile(r"(\}\}|%\([a-z_]+\)s|\{[a-z_]*\}|%s)['\u2019]s\b")


def _sources():
    yield from (ROOT / "templates").rglob("*.html")
    yield from (ROOT / "templates").rglob("*.txt")
    for app in APPS:
        for path in (ROOT / app).rglob("*"):
            if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
                yield path


def test_no_english_possessive_is_built_around_a_name():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if POSSESSIVE.search(line)
    ]
    assert found == []
