"""Paths and helpers shared by the content tests (imported by conftest and tests)."""

import re
from pathlib import Path

import yaml

from project import ROOT

DOCS = ROOT / "docs"
RELEASE_DATA = ROOT / "data" / "releases.yml"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)

# Every Markdown page, known at collection time so tests can parametrize on it.
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def built_path(site: Path, page: str) -> Path:
    """Where MkDocs (use_directory_urls) writes the HTML of docs/<page>."""
    stem = page[:-len(".md")]
    if stem == "index" or stem.endswith("/index"):
        return site / stem[:-len("index")] / "index.html"
    return site / stem / "index.html"


def front_matter(page: str) -> dict:
    match = FRONT_MATTER.match((DOCS / page).read_text(encoding="utf-8"))
    return (yaml.safe_load(match.group(1)) or {}) if match else {}
