"""MkDocs adapter for sitelib.downloads: publish the migration script, the
fleet bundle and SHA256SUMS (signed when the deployer provides the pinned
key) under downloads/.

The bytes are computed once, in on_config, and kept as the build's
Downloads fact (sitelib.facts): the published files and every checksum the
markers print come from the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from sitelib import SiteError, downloads, signing
from sitelib.facts import BuildFacts

USER = "hooks/downloads.py"
# Set by on_startup: `mkdocs serve` previews unsigned when no key is at hand.
command = "build"


def _sources(config: MkDocsConfig) -> downloads.Sources:
    return downloads.Sources.from_settings(Path(config.config_file_path).parent,
                                           config.extra.get("downloads"))


def on_startup(*, command: str, dirty: bool) -> None:
    globals()["command"] = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        facts = BuildFacts.of(config.extra)
        found = downloads.collect(_sources(config), os.environ.get(signing.HOME_VARIABLE),
                                  command, facts.extra_downloads)
    except signing.SigningError as error:
        raise PluginError(f"Cannot sign the downloads: {error}") from None
    facts.downloads = found
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    try:
        found = BuildFacts.of(config.extra).need_downloads(USER)
    except SiteError as error:
        raise PluginError(str(error)) from None
    for item in found.files.values():
        existing = files.get_file_from_path(item.uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, item.uri, content=item.data))
    return files


def on_serve(server, *, config: MkDocsConfig, builder):
    # Edits to the script or the playbook change the published bytes.
    for path in _sources(config).watched():
        server.watch(str(path))
    return server
