"""A deliberately tiny, safe markdown subset for playbook instructions in HTML messages.

Playbooks are written by the team, but a message is HTML in someone's inbox, so nothing
the author types may become markup. Every piece of text is escaped before the few tags
this module writes itself are put around it: paragraphs, "- " (or "* ") lists, **bold**,
*italic*, `code` and [text](http(s)://...) links. Anything else, raw HTML included, shows
as the characters typed; a link to any other scheme (javascript:, data:) stays text.
A full markdown library would need a sanitizer after it; this needs none.
"""

import re

from markupsafe import Markup, escape

_CODE_OR_LINK = re.compile(r"`([^`\n]+)`|\[([^\]\n]+)\]\((https?://[^\s()<>\"']+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\*\w])")
_ITEM = re.compile(r"^\s*[-*]\s+(.*)$")


def _escape(text: str) -> str:
    return str(escape(text))


def _emphasis(escaped: str) -> str:
    """Bold and italic on text that is already escaped (so it holds no markup)."""
    return _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escaped))


def _inline(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _CODE_OR_LINK.finditer(text):
        out.append(_emphasis(_escape(text[position : match.start()])))
        code, label, url = match.groups()
        if code is not None:
            out.append(f"<code>{_escape(code)}</code>")
        else:
            out.append(
                f'<a href="{_escape(url)}" rel="noopener noreferrer">'
                f"{_emphasis(_escape(label))}</a>"
            )
        position = match.end()
    out.append(_emphasis(_escape(text[position:])))
    return "".join(out)


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs: runs of non-blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _block_html(lines: list[str]) -> list[str]:
    """One block: runs of "- " items become lists, other runs paragraphs (lines kept)."""
    html: list[str] = []
    run: list[str] = []
    run_is_list = False
    for line in [*lines, None]:
        item = _ITEM.match(line) if line is not None else None
        if run and (line is None or bool(item) != run_is_list):
            if run_is_list:
                html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in run) + "</ul>")
            else:
                html.append("<p>" + "<br>\n".join(_inline(p) for p in run) + "</p>")
            run = []
        if line is not None:
            run_is_list = bool(item)
            run.append(item.group(1) if item else line)
    return html


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for the markdown subset above; empty for no text."""
    html = [part for lines in _blocks(text or "") for part in _block_html(lines)]
    # Safe by construction: only escaped text and the fixed tags above.
    return Markup("\n".join(html))
