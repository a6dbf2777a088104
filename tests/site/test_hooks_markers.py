"""Marker replacement: parsing, code left alone, errors with page and line,
escaping, and the release facts each marker renders.

What a marker renders and what a bad marker says are checked in process
(Site.render: the hooks as MkDocs runs them, no build); real builds prove
what needs Markdown and the theme (code left alone, blocks in admonitions,
the line of an error under front matter)."""

import html
import re

import pytest
from mkdocs.exceptions import PluginError

from site_helpers import mark_upcoming_after


def fenced_lines(lib, text):
    return [in_code for _, _, in_code in lib.markers.scan_lines(text)]


def test_fenced_code_lines_are_recognised_with_backticks_and_tildes(lib):
    text = "a\n```sh\n<!-- release:table -->\n```\nb\n~~~~\n```\n~~~~\nc\n"
    assert fenced_lines(lib, text) == [False, True, True, True, False,
                                         True, True, True, False]


def test_a_shorter_fence_does_not_close_a_longer_one(lib):
    text = "````md\n```\n<!-- release:keys -->\n```\n````\nafter\n"
    assert fenced_lines(lib, text) == [True, True, True, True, True, False]


def test_code_spans_cover_inline_code_only(lib):
    line = "a `<!-- release:table -->` b ``x ` y`` c"
    spans = lib.markers.code_spans(line)
    assert [line[a:b] for a, b in spans] == ["`<!-- release:table -->`", "``x ` y``"]


def build_page(site, text):
    site.page("index.md", text)
    result = site.build()
    return result


def test_markers_in_code_blocks_and_inline_code_are_left_as_written(site):
    result = build_page(site, """\
        # Examples

        Write `<!-- release:latest 9 -->` in a page to get <!-- release:latest 9 -->.

        ```markdown
        <!-- release:table -->
        <!-- release:foo -->
        ```
        """)
    assert result.returncode == 0, result.stderr
    page = site.html()
    assert "<code>&lt;!-- release:latest 9 --&gt;</code> in a page to get 9.8." in page
    assert "release:foo" in page and 'data-almalinux="release-table"' not in page


@pytest.mark.parametrize("line, message", [
    ("<!-- release:foo -->", "docs/guide.md:5: unknown marker release:foo"),
    ("<!-- release:latest -->", "docs/guide.md:5: marker release:latest takes 1 argument"),
    ("<!-- release:table 9 -->", "docs/guide.md:5: marker release:table takes no arguments"),
    ("<!-- release:latest 7 -->", "docs/guide.md:5: major '7' is not in the release data"),
    ("Text <!-- release:table --> inline.", "docs/guide.md:5: marker release:table must be on a line of its own"),
    ("<!-- download:link other.tar -->", "docs/guide.md:5: unknown download 'other.tar'"),
    ("<!-- script:nothing -->", "docs/guide.md:5: unknown marker script:nothing"),
    ("<!-- relase:table -->", "docs/guide.md:5: unknown marker relase:table"),
    ("<!-- releases:latest 9 -->", "docs/guide.md:5: unknown marker releases:latest"),
])
def test_bad_marker_fails_naming_page_and_line(site, line, message):
    """In process, through the hooks' on_page_markdown (what stops the build)."""
    site.page("guide.md", f"# Guide\n\nSome text.\n\n{line}\n")
    with pytest.raises(PluginError) as caught:
        site.render("guide.md")
    assert message in str(caught.value)


def test_build_error_counts_lines_from_the_top_of_the_file(site):
    """End to end: a real build fails on a bad marker naming page and line."""
    """MkDocs hands hooks the page without its front matter; the error must
    still name the line an editor shows."""
    site.page("guide.md", "---\ndescription: >-\n  Two lines\n  of front matter.\n---\n\n"
                          "# Guide\n\n<!-- Release:Latest 10 -->\n")
    result = site.build()
    assert result.returncode != 0
    assert "docs/guide.md:9: unknown marker Release:Latest (did you mean release:latest?)" \
        in result.stderr, result.stderr


def test_values_with_markup_characters_are_escaped(site):
    data = site.data.read_text().replace("codename: Lavender Lion",
                                         "codename: 'Lion <b>&amp; \"cub\"</b>'")
    site.data.write_text(data)
    site.page("index.md", "# Releases\n\n<!-- release:table -->\n")
    page = site.render("index.md")
    assert "<b>&amp;" not in page
    assert "Lion &lt;b&gt;&amp;amp; &#34;cub&#34;&lt;/b&gt;" in page


def test_inline_markers_render_release_facts(site):
    site.page("index.md", """\
        # Facts

        Latest 9: <!-- release:latest 9 -->, released <!-- release:date 9 -->.
        Latest 8: <!-- release:latest 8 -->; 8 ends <!-- release:eol 8 -->.
        Supported: <!-- release:majors -->.
        """)
    text = html.unescape(re.sub(r"<[^>]+>", "", site.render("index.md")))
    assert "Latest 9: 9.8, released 2026-05-26." in text
    assert "Latest 8: 8.10; 8 ends 2029-05-31." in text
    assert "Supported: 8, 9 and 10." in text


def test_block_marker_inside_an_admonition_stays_inside_it(site):
    result = build_page(site, "# Keys\n\n!!! note\n\n    <!-- release:keys -->\n\nAfter.\n")
    assert result.returncode == 0, result.stderr
    page = site.html()
    note = page[page.index('class="admonition note"'):]
    assert note.index('data-almalinux="gpg-keys"') < note.index("</div>")


@pytest.mark.parametrize("day, expected", [
    ("2021-03-29", {8: "upcoming"}),
    ("2021-03-30", {8: "supported"}),
    ("2024-05-31", {8: "supported", 9: "supported"}),
    ("2024-06-01", {8: "security", 9: "supported"}),
    ("2026-11-26", {8: "security", 9: "supported", 10: "supported"}),
    ("2027-06-01", {8: "security", 9: "security", 10: "supported"}),
    ("2029-06-01", {8: "eol", 9: "security", 10: "supported"}),
    ("2035-06-01", {8: "eol", 9: "eol", 10: "eol"}),
])
def test_lifecycle_status_at_chosen_dates(lib, day, expected):
    release_data = lib.release_data
    data = release_data.load_release_data(
        release_data.Path(__file__).parents[2] / "data" / "releases.yml", "data/releases.yml")
    today = release_data.dt.date.fromisoformat(day)
    majors = {m["major"]: m for m in data["majors"]}
    for number, status in expected.items():
        assert release_data.lifecycle_status(majors[number], today) == status


@pytest.mark.parametrize("epoch, day, labels", [
    ("1735689600", "2025-01-01", ["Not released yet", "Supported", "Security fixes only"]),
    ("1795651200", "2026-11-26", ["Supported", "Supported", "Security fixes only"]),
    ("2000000000", "2033-05-18", ["Security fixes only", "End of life", "End of life"]),
])
def test_lifecycle_table_uses_source_date_epoch(site, monkeypatch, epoch, day, labels):
    site.data.write_text(mark_upcoming_after(site.data.read_text(), day))
    site.page("index.md", "# Lifecycle\n\n<!-- release:lifecycle -->\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    table = site.render("index.md").split('data-almalinux="lifecycle"')[1].split("</table>")[0]
    assert f'data-status-date="{day}"' in table
    rows = re.findall(r"<tr data-status=\"\w+\"><td>AlmaLinux (\d+)</td>.*?<td>([^<]*)</td></tr>", table)
    assert [label for _, label in rows] == labels
