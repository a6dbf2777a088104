"""MkDocs adapter for sitelib.release_data: load, validate and publish the
release data (data/releases.yml, or extra.release_data).

on_config runs before MkDocs cleans the output directory, so bad data stops
the build while the previous site is still intact; the result is the build's
Releases fact (sitelib.facts) for the other hooks and the markers.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from sitelib import SiteError, release_data
from sitelib.facts import BuildFacts

USER = "hooks/release_data.py"


def _data_path(config: MkDocsConfig) -> Path:
    return release_data.data_path(Path(config.config_file_path).parent,
                                  config.extra.get("release_data"))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        releases = release_data.load(_data_path(config), Path(config.config_file_path).parent)
    except SiteError as error:
        raise PluginError(str(error)) from None
    BuildFacts.of(config.extra).releases = releases
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    try:
        releases = BuildFacts.of(config.extra).need_releases(USER)
    except SiteError as error:
        raise PluginError(str(error)) from None
    for path, text in release_data.published_files(releases, _data_path(config).parent).items():
        existing = files.get_file_from_path(path)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, path, content=text))
    return files


def on_serve(server, *, config: MkDocsConfig, builder):
    # `mkdocs serve` watches docs/ only; rebuild when the data changes too.
    server.watch(str(_data_path(config).parent))
    return server
