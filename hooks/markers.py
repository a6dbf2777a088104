"""MkDocs adapter for the markers (sitelib.markers): the Markdown extension
that renders them (sitelib.markdown_ext) joins the page's extensions, with
the build's facts; before each page it learns which page it renders, so an
error names the page and the line in its source file.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import meta

from sitelib.facts import BuildFacts
from sitelib.markdown_ext import MarkersExtension
from sitelib.markers import MarkerError, PageRef, front_matter_lines

# The extension's name, should mkdocs.yml list it (for generators without
# hooks): this adapter then puts its own, configured, instance in its place.
LISTED_NAME = "sitelib.markdown_ext"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    extension = MarkersExtension(facts=lambda: BuildFacts.of(config.extra),
                                 site_url=config.site_url or "", error=PluginError)
    config.markdown_extensions[:] = [
        e for e in config.markdown_extensions
        if not isinstance(e, MarkersExtension) and e != LISTED_NAME] + [extension]
    config.mdx_configs.pop(LISTED_NAME, None)
    return config


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> None:
    extension = next((e for e in config.markdown_extensions
                      if isinstance(e, MarkersExtension)), None)
    if extension is None:
        raise PluginError("hooks/markers.py: its Markdown extension is missing from "
                          "markdown_extensions; was its on_config skipped?")
    root = Path(config.config_file_path).parent
    path = Path(os.path.relpath(config.docs_dir, root), page.file.src_uri).as_posix()
    source = getattr(page.file, "content_string", None)
    offset = front_matter_lines(source, meta.get_data(source)[0]) \
        if isinstance(source, str) else 0

    def link(uri: str) -> str:
        target = files.get_file_from_path(uri)
        if target is None:
            raise MarkerError(f"{uri} is not among the site's files")
        return target.url_relative_to(page.file)

    extension.setConfig("page", lambda: PageRef(path=path, first_line=offset + 1, link=link))
