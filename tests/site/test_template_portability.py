"""Templates use only what both Jinja2 and MiniJinja (the template engine of
Zensical, the planned successor) understand: no Python methods called on
strings, lists or dicts inside template tags. That logic belongs in Python
(sitelib prepares what hooks/partials/ print)."""

import re

import pytest

from project import ROOT

TEMPLATE_DIRS = ("overrides", "hooks/partials")
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
CALL = re.compile(r"\.\s*([A-Za-z_]\w*)\s*\(")
PYTHON_METHODS = {name for kind in (str, list, dict) for name in dir(kind)
                  if not name.startswith("_")}


def templates():
    return sorted(path for folder in TEMPLATE_DIRS for path in (ROOT / folder).rglob("*")
                  if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".j2"))


def python_method_calls(text):
    """(line, method) for each .method( call on a Python type inside a template tag."""
    found = []
    for tag in TAG.finditer(text):
        for call in CALL.finditer(tag.group(0)):
            if call.group(1) in PYTHON_METHODS:
                found.append((text.count("\n", 0, tag.start() + call.start()) + 1, call.group(1)))
    return found


def test_every_template_folder_is_scanned():
    found = templates()
    assert [folder for folder in TEMPLATE_DIRS
            if not any(path.is_relative_to(ROOT / folder) for path in found)] == []


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_calls_no_python_method(path):
    assert python_method_calls(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("text, found", [
    ('{{ key.url.rsplit("/", 1)[-1] }}', [(1, "rsplit")]),
    ("{% if name.startswith('x') %}", [(1, "startswith")]),
    ("a\n{{ items | join(', ') }}\n{% for k, v in d.items() %}", [(3, "items")]),
    ("{{ lang.t('source') }} {{ nav_cache.keep(key, x) }}", []),
    ("<script>document.split('x')</script>", []),
])
def test_scanner_finds_python_methods_only_inside_template_tags(text, found):
    assert python_method_calls(text) == found
