"""axe-core (from the npm registry, node_modules/axe-core) run inside a Playwright page.

``axe_violations(page)`` answers the serious and critical violations of the page as it is now;
``assert_accessible(page, where)`` fails with a readable report of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({
            target: n.target.map(String).join(" "),
            html: n.html,
            summary: n.failureSummary || "",
        })),
    }));
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The page's serious and critical violations, as axe-core reports them: each with its
    rule ``id``, ``impact``, ``help``, ``helpUrl`` and ``nodes`` (``target``, ``html``)."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run npm ci"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        try:
            page.add_script_tag(path=str(AXE_JS))
        except PlaywrightError:  # a page whose Content-Security-Policy refuses inline scripts
            page.evaluate(f"() => {{ {AXE_JS.read_text()}\n}}")
    violations = page.evaluate(_RUN)
    return [violation for violation in violations if violation["impact"] in BLOCKING]


def report(found: dict[str, list[dict[str, Any]]], nodes: int = 3) -> str:
    """Violations by where they were found, one rule a paragraph, a few of its elements each."""
    lines = []
    for where, violations in found.items():
        for violation in violations:
            count = len(violation["nodes"])
            lines.append(
                f"{where}: {violation['id']} ({violation['impact']}, {count} element"
                f"{'s' if count != 1 else ''}): {violation['help']}"
            )
            for node in violation["nodes"][:nodes]:
                html = " ".join(node["html"].split())
                lines.append(f"    {node['target']}  {html[:160]}")
                why = " ".join(node["summary"].split("\n")[1:2]).strip()
                if why:
                    lines.append(f"      {why[:200]}")
    return "axe-core found serious or critical violations:\n" + "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, report({where: violations})
