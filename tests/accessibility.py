"""Accessibility checks in a real browser with axe-core, loaded from tests/node_modules
(installed by `bash .ci/setup test`, pinned in tests/package.json).

    violations = axe_violations(page)                 # a Playwright Page or Frame
    assert not violations, describe(violations)

Pages served with a strict CSP (script-src 'self') refuse the injected script unless the
browser context was created with `bypass_csp=True`.
"""

from __future__ import annotations

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(target, impacts: tuple[str, ...] = SERIOUS, include: str | None = None) -> list[dict]:
    """axe's violations of the given impacts on a Page or Frame (within the `include`
    selector when given), each with its rule id, help text and the offending nodes.
    Frames inside it are not entered: check each frame on its own (`page.frame(...)`)."""
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"axe-core is not installed at {AXE_SCRIPT}: run `bash .ci/setup test`")
    if not target.evaluate("typeof window.axe !== 'undefined'"):
        target.add_script_tag(path=str(AXE_SCRIPT))
    results = target.evaluate(
        "async (include) => await axe.run(include ? { include: [include] } : document, "
        "{ resultTypes: ['violations'], iframes: false })",
        include,
    )
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict]) -> str:
    """One line per violation and offending node, for an assertion message."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = node.get("failureSummary", "")
            lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} — {node['target']} {summary}")
    return "\n".join(lines)
