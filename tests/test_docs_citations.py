"""What the package cites exists in the repository, and nothing cites the build notes.

Every ``docs/....md`` path named anywhere in the package sources (``market/``, ``app/``,
``agents/``, ``mechanisms/``: code, docstrings, page texts, presets) or the README must be a file
of the repository, and no source may cite the build notes (``shared/specs/...``, "spec section
4"), which a user of the repository does not have. The user-facing notes of the reconstructed
parts (ROSA's note in every CLI header, JSON and CSV row; the artifact variant's description)
must cite their page under ``docs/``.
"""

import re
from pathlib import Path

import pytest

from market.rosa.cli import NOTE
from market.rosa.scenarios import RECONSTRUCTED
from mechanisms.delegation import MECHANISMS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("market", "app", "agents", "mechanisms")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".csv", ".json"}
DOC_PATH = re.compile(r"docs/[\w./-]+?\.md")
BUILD_NOTE = re.compile(r"specs/\w+\.md|\bspec (section|s\.) ?\d|\bbuild notes?\b", re.IGNORECASE)


def package_texts() -> dict[str, str]:
    """Every text source of the package and the README, by repository-relative path."""
    files = [ROOT / "README.md"]
    for folder in PACKAGE_DIRS:
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted(files)}


def cited_doc_paths(texts: dict[str, str]) -> dict[str, set[str]]:
    """Each ``docs/*.md`` path cited, with the files citing it."""
    cited: dict[str, set[str]] = {}
    for name, text in texts.items():
        for path in DOC_PATH.findall(text):
            cited.setdefault(path, set()).add(name)
    return cited


def test_every_cited_doc_exists():
    cited = cited_doc_paths(package_texts())
    assert {"docs/rosa-reconstruction.md", "docs/delegation-variant.md"} <= set(cited)
    missing = {path: sorted(where) for path, where in cited.items() if not (ROOT / path).is_file()}
    assert missing == {}


def test_no_source_cites_the_build_notes():
    hits = [
        f"{name}:{number}: {line.strip()}"
        for name, text in package_texts().items()
        for number, line in enumerate(text.splitlines(), 1)
        if BUILD_NOTE.search(line)
    ]
    assert hits == []


@pytest.mark.parametrize(
    ("note", "page"),
    [
        (NOTE, "docs/rosa-reconstruction.md"),
        (RECONSTRUCTED, "docs/rosa-reconstruction.md"),
        (MECHANISMS.get("second-best-artifact").description, "docs/delegation-variant.md"),
    ],
)
def test_reconstructed_parts_cite_their_page(note, page):
    assert page in note
    assert "shared/" not in note


def test_the_checks_see_a_missing_page_and_a_build_note():
    texts = {"x.py": "see docs/no-such-page.md and shared/specs/rosa.md; spec section 4"}
    cited = cited_doc_paths(texts)
    assert cited == {"docs/no-such-page.md": {"x.py"}}
    assert not (ROOT / "docs/no-such-page.md").is_file()
    assert BUILD_NOTE.search(texts["x.py"])
