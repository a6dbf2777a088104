"""MkDocs adapter for sitelib.release_feeds: publish endoflife.json, the Atom
feed and the iCalendar file, computed from the build's release data
(hooks/release_data.py computes it)."""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from sitelib import SiteError, release_feeds
from sitelib.facts import BuildFacts

USER = "hooks/release_feeds.py"


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    try:
        public = BuildFacts.of(config.extra).need_releases(USER).public
    except SiteError as error:
        raise PluginError(str(error)) from None
    notes_url = public.get("release_notes_url")
    if not notes_url:
        raise PluginError("release data has no release_notes_url: add it to data/releases.yml")
    site = release_feeds.Site(url=config.site_url or "/", notes_url=notes_url)
    for path, content in release_feeds.outputs(public, site).items():
        existing = files.get_file_from_path(path)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, path, content=content))
    return files
