"""The README and docs/ point only at what is in the repository: every relative link
leads to a file or folder that exists (and to a heading that exists, for an anchor),
every document they cite by name (`SECURITY.md`) is here, and every repository path
they quote (`baton/schedule.py`) exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CITED = re.compile(r"(?<![\w/.-])([\w./-]*[A-Za-z]\w*\.md)\b")
_QUOTED = re.compile(r"`([^`\s]+)`")
_TOP = ("baton", "starters", "workflows", "activities", "workers", "tests", "playbooks",
        "examples", "docs", "bench")  # fmt: skip
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def prose(text: str) -> str:
    """The text outside fenced blocks (commands and sample files are checked elsewhere)."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to -."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", prose(path.read_text()), re.MULTILINE)
    return {slug(h) for h in headings}


def test_the_reference_documents_exist():
    names = {path.name for path in DOCUMENTS}
    assert {"README.md", "playbooks.md", "contract.md", "timing.md", "decisions.md"} <= names


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_somewhere(document):
    broken = []
    for target in _LINK.findall(prose(document.read_text())):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        path = (document.parent / path_part).resolve() if path_part else document
        if not path.exists():
            broken.append(f"{target}: {path} does not exist")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading '#{anchor}' in {path.name}")
        elif not path.resolve().is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
    assert broken == [], f"{document.name} links to what is not there: {broken}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_document_cited_is_in_the_repository(document):
    text = prose(document.read_text())
    missing = sorted(
        {
            name
            for name in _CITED.findall(text)
            if not (document.parent / name).exists() and not (ROOT / name).exists()
        }
    )
    assert missing == [], f"{document.name} cites documents that are not in the repo: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_repository_path_quoted_exists(document):
    quoted = [
        q
        for q in _QUOTED.findall(prose(document.read_text()))
        if q.split("/")[0] in _TOP and "/" in q and not re.search(r"[<>{}*|]", q)
    ]
    missing = [q for q in quoted if not (ROOT / q).exists()]
    assert missing == [], f"{document.name} quotes paths that do not exist: {missing}"


def test_the_playbook_reference_names_every_key_the_code_reads():
    from baton.playbook import Condition, Escalation, InputSpec, Playbook, Step

    text = (ROOT / "docs" / "playbooks.md").read_text()
    for model in (Playbook, Step, Escalation, Condition, InputSpec):
        missing = [key for key in model.model_fields if f"`{key}" not in text]
        assert missing == [], f"docs/playbooks.md does not describe {model.__name__}: {missing}"


def test_the_contract_reference_names_every_field_message_and_state():
    from typing import get_args

    from baton import contract

    text = (ROOT / "docs" / "contract.md").read_text()
    models = [contract.StartProject, contract.ProjectStatus, contract.StepStatus]
    models += list(contract.COMMANDS.values())
    for model in models:
        missing = [f for f in model.model_fields if f != "action" and f"`{f}`" not in text]
        assert missing == [], f"docs/contract.md does not describe {model.__name__}: {missing}"
    names = [*contract.COMMANDS, *get_args(contract.StepState), *get_args(contract.EntryType)]
    names += [*get_args(contract.ProjectState), *contract.SEARCH_ATTRIBUTES]
    missing = [name for name in names if f"`{name}`" not in text]
    assert missing == [], f"docs/contract.md does not name: {missing}"
