"""The accessibility and phone-width audit of a dashboard page, for any browser test:
`await audit_page(page, "board", site.url + "/")` loads the page at 1280x900 and at
390x844 (the same tab, so the same cookies) and, at each width, checks that

- nothing scrolls sideways (document scrollWidth <= innerWidth), naming the elements
  that stick out;
- no button or link label is broken inside a word ("Complet e");
- axe-core finds no violation of serious or critical impact;
- the browser logged no error while loading (a Content-Security-Policy violation, a
  missing file, a script error);

and saves a full-page screenshot to `<output>/screenshots/<name>-<width>.png`, where
`<output>` is $BATON_TEST_OUTPUT or test-output/ in the project root. Every problem of
both widths is reported at once.

axe-core comes from the npm registry (`make test` installs it in .venv/axe). It is
evaluated in the page through the DevTools protocol, which the page's own
Content-Security-Policy does not restrict, so pages are audited under their real policy.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".venv/axe/node_modules/axe-core/axe.min.js"
WIDTHS = ((1280, 900), (390, 844))
FAILING_IMPACTS = ("serious", "critical")
SAVED: list[Path] = []  # every screenshot of the session, for the closing summary


def output_dir() -> Path:
    return Path(os.environ.get("BATON_TEST_OUTPUT") or ROOT / "test-output")


def screenshots_dir() -> Path:
    return output_dir() / "screenshots"


def axe_source() -> str:
    """axe.min.js; without it the audit is skipped (failed under CI=true)."""
    if not AXE.exists():
        message = f"{AXE} is missing; `make test` installs axe-core from the npm registry"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


# Elements sticking out on the right, the innermost first (an outer box that sticks out
# only because of its child is not named again).
_STICKING_OUT = """() => {
  const limit = window.innerWidth + 0.5;
  const out = Array.from(document.body.querySelectorAll("*")).filter(
    (e) => e.getBoundingClientRect().right > limit);
  const innermost = out.filter((e) => !out.some((o) => o !== e && e.contains(o)));
  const describe = (e) => {
    const box = e.getBoundingClientRect();
    const id = e.id ? "#" + e.id : "";
    const classes = typeof e.className === "string" && e.className.trim()
      ? "." + e.className.trim().split(/\\s+/).join(".") : "";
    const text = (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    return `<${e.tagName.toLowerCase()}${id}${classes}> "${text}" ` +
      `(${Math.round(box.width)}px wide, right edge at ${Math.round(box.right)}px)`;
  };
  return innermost.sort((a, b) => b.getBoundingClientRect().right -
    a.getBoundingClientRect().right).slice(0, 5).map(describe);
}"""

# Labels whose words do not each render on one line. Buttons never break inside a word;
# links may only where the "word" is an address (a URL, a path, an e-mail) or too long
# to fit anyway.
_BROKEN_WORDS = """() => {
  const broken = [];
  const lines = (range) => {
    const tops = [];
    for (const rect of range.getClientRects()) {
      if (rect.width < 1) continue;
      if (!tops.some((top) => Math.abs(top - rect.top) < 2)) tops.push(rect.top);
    }
    return tops.length;
  };
  const labels = document.querySelectorAll("button, .button, [role=button], a[href], summary");
  for (const label of labels) {
    const box = label.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // hidden, or for screen readers
    const isButton = !label.matches("a[href]:not(.button), summary");
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const word = match[0];
        if (!isButton && (word.length > 30 || /[\\/@]/.test(word))) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + word.length);
        if (lines(range) > 1) {
          const text = label.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
          broken.push(`<${label.tagName.toLowerCase()}> "${text}": "${word}" is broken`);
          break;
        }
      }
    }
  }
  return broken.slice(0, 10);
}"""

_AXE_RUN = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => impacts.includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


@dataclass
class Width:
    """What one width of one page showed."""

    width: int
    problems: list[str]
    screenshot: Path


async def audit_page(page, name: str, url: str) -> None:
    """Audit `url` at each width (see the module's docstring); fails naming every
    problem, after the screenshots are saved."""
    source = axe_source()
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not _own_status(message, page.url):
            errors.append(message.text)

    def on_page_error(error) -> None:
        errors.append(f"script error: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        results = [await _audit_width(page, name, url, size, source, errors) for size in WIDTHS]
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
    problems = [f"at {r.width}px: {p}" for r in results for p in r.problems]
    assert not problems, (
        f"{name} ({url}) fails the audit:\n  "
        + "\n  ".join(problems)
        + ("\n  screenshots: " + ", ".join(str(r.screenshot) for r in results))
    )


def _own_status(message, url: str) -> bool:
    """An error page's own status (404...), which the browser logs too: no fault."""
    own = message.location.get("url") == url
    return own and message.text.startswith("Failed to load resource")


async def _audit_width(page, name, url, size, source, errors) -> Width:
    width, height = size
    await page.set_viewport_size({"width": width, "height": height})
    errors.clear()
    await page.goto(url)
    problems = await _overflow(page)
    problems += await page.evaluate(_BROKEN_WORDS)
    problems += await _axe(page, source)
    problems += [f"the browser logged an error: {text}" for text in errors]
    screenshot = screenshots_dir() / f"{name}-{width}.png"
    await page.screenshot(path=str(screenshot), full_page=True)
    SAVED.append(screenshot)
    return Width(width, problems, screenshot)


async def sideways_scroll(page) -> list[str]:
    """What makes the page as shown scroll sideways (nothing: it fits its window)."""
    return await _overflow(page)


async def _overflow(page) -> list[str]:
    scroll, inner = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll <= inner:
        return []
    culprits = await page.evaluate(_STICKING_OUT)
    return [
        f"scrolls sideways: the document is {scroll}px wide in a {inner}px window; "
        "sticking out: " + ("; ".join(culprits) or "(no single element found)")
    ]


async def _axe(page, source: str) -> list[str]:
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(source)
    found = await page.evaluate(_AXE_RUN, list(FAILING_IMPACTS))
    return [
        f"axe {v['impact']} {v['id']}: {v['help']} ({v['count']} element"
        f"{'s' if v['count'] != 1 else ''}: {', '.join(v['targets'])})"
        for v in found
    ]


def summary_lines() -> list[str]:
    """Where this session's screenshots are, for the closing summary."""
    if not SAVED:
        return []
    return [f"{len(SAVED)} audit screenshots in {screenshots_dir()}"]
