"""Django's makemessages for this project: it also reads ``_lazy(...)`` (the modules that need
both a string translated now, ``_``, and one translated when shown import gettext_lazy as
``_lazy``), and it reads the product's own code and templates only, never the installed
packages, the benchmarks or the tests."""

from typing import Any

from django.core.management.commands import makemessages

NOT_THE_PRODUCT = [".venv/*", ".tools/*", "node_modules/*", "staticfiles/*", "bench/*", "tests/*"]


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]

    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *NOT_THE_PRODUCT]
        super().handle(*args, **options)
