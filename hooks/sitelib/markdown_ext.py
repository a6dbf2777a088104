"""The markers as a Python-Markdown extension, for any generator that runs
Python-Markdown (MkDocs, ProperDocs, Zensical).

A preprocessor renders the markers (sitelib.markers) before anything else
reads the page: after whitespace is normalised, before fenced code blocks
and raw HTML are set aside, so it sees the lines as written and a rendered
block (HTML or a fenced code block) is then handled like one typed there.

Options:
  facts     BuildFacts, or a callable returning them. Without it the
            extension computes them once itself from the files named by
            project_dir, release_data, script and fleet (unsigned downloads).
  page      callable returning the PageRef of the page being converted, so
            errors name page and line (MkDocs: hooks/markers.py sets it).
  site_url  the site's address, for download commands and links.
  error     the exception class raised with a page's marker errors.
"""

from __future__ import annotations

from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor

from sitelib import downloads, release_data
from sitelib.facts import BuildFacts
from sitelib.markers import PageErrors, PageRef, render_markers

NAME = "almalinux_markers"
# normalize_whitespace is 30, fenced code blocks 25, raw HTML blocks 20.
PRIORITY = 29


class MarkersExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            # Not None: Python-Markdown turns values of options whose default
            # is None into booleans.
            "facts": ["", "BuildFacts, or a callable returning them"],
            "page": ["", "callable returning the PageRef of the page being converted"],
            "site_url": ["", "the site's address"],
            "error": [PageErrors, "exception class raised with a page's marker errors"],
            "project_dir": [".", "folder the paths below are relative to"],
            "release_data": [release_data.DEFAULT_DATA, "release data file"],
            "script": [downloads.DEFAULT_SCRIPT, "migration script"],
            "fleet": [downloads.DEFAULT_FLEET, "fleet playbook folder"],
        }
        super().__init__(**kwargs)
        self._own_facts = None

    def facts(self) -> BuildFacts:
        facts = self.getConfig("facts")
        if callable(facts):
            return facts()
        if facts:
            return facts
        if self._own_facts is None:
            root = Path(self.getConfig("project_dir"))
            sources = downloads.Sources(root=root, script=root / self.getConfig("script"),
                                        fleet=root / self.getConfig("fleet"))
            self._own_facts = BuildFacts(
                releases=release_data.load(root / self.getConfig("release_data"), root),
                downloads=downloads.collect(sources, None, "build"))
        return self._own_facts

    def page(self) -> PageRef:
        page = self.getConfig("page")
        return page() if callable(page) else PageRef(path="(page)")

    def extendMarkdown(self, md):
        md.preprocessors.register(MarkersPreprocessor(md, self), NAME, PRIORITY)


class MarkersPreprocessor(Preprocessor):
    def __init__(self, md, extension: MarkersExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "<!--" not in text:
            return lines
        ext = self.extension
        try:
            text = render_markers(text, ext.facts(), ext.page(), ext.getConfig("site_url") or None)
        except PageErrors as error:
            raise ext.getConfig("error")(str(error)) from None
        return text.split("\n")


def makeExtension(**kwargs):  # noqa: N802 (the name Python-Markdown looks for)
    return MarkersExtension(**kwargs)
