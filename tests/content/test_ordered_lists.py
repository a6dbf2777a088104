"""Numbered steps keep their numbers. Python-Markdown ignores the number a
list starts with, so a list that picks up after an interruption ("7." after
a paragraph) would render as a second step 1."""

import re

import pytest

from content_pages import DOCS, PAGES

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
ITEM = re.compile(r"^(?P<indent> *)(?P<number>\d+)\.\s")


def list_starts(text):
    """(line number, first number) of every top-level ordered list in
    Markdown source. A list goes on across blank lines while what follows is
    another item or indented; plain text at the margin after a blank line
    ends it (text right after an item is a lazy continuation of it)."""
    starts, in_fence, in_list, after_blank = [], None, False, True
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if in_fence:
            if fence and fence.group(1)[0] == in_fence[0]:
                in_fence = None
            continue
        if fence:
            in_fence = fence.group(1)
        if not line.strip():
            after_blank = True
            continue
        item = ITEM.match(line)
        if item and len(item.group("indent")) < 4:
            if not in_list:
                starts.append((number, int(item.group("number"))))
            in_list = True
        elif not line.startswith((" ", "\t")) and after_blank:
            in_list = False
        after_blank = False
    return starts


def test_list_starts_are_found_the_way_markdown_sees_them():
    text = "Intro:\n\n1. a\n2. b\n\n   more of b\n\n3. c\n\nA paragraph.\n\n4. d\n\n```\n5. no\n```\n"
    assert list_starts(text) == [(3, 1), (12, 4)]


@pytest.mark.parametrize("page", PAGES)
def test_no_ordered_list_starts_at_another_number(page):
    starts = [f"docs/{page}:{line}: list starts at {first}"
              for line, first in list_starts((DOCS / page).read_text(encoding="utf-8"))
              if first != 1]
    assert not starts, "it would render as 1; continue the earlier list instead:\n" + \
        "\n".join(starts)


def test_one_host_steps_are_one_list_with_the_point_of_no_return_inside(built_html):
    heading = built_html("migrate/one-host.md").find(id="what-the-script-does")
    steps = heading.find_next_sibling("ol")
    items = steps.find_all("li", recursive=False)
    assert len(items) == 12
    assert "point of no return" in items[5].get_text().lower()
    assert heading.find_next_sibling("ol", start=True) is None
