"""Fixtures for the site tests (helpers live in site_helpers.py)."""

import logging

import pytest

import sitelib.downloads
import sitelib.facts
import sitelib.markers
import sitelib.release_data
from site_helpers import HOOKS, Site, load_hook


@pytest.fixture(scope="session")
def hooks():
    """Each hook module, loaded from hooks/ as MkDocs loads it."""
    return {name: load_hook(name) for name in HOOKS}


@pytest.fixture(scope="session")
def lib():
    """sitelib, the hooks' logic without MkDocs (release_data, downloads,
    markers, facts, ...), imported as the hooks import it."""
    return sitelib


@pytest.fixture
def site(tmp_path):
    """A throwaway site with the real release data and one plain page."""
    project = Site(tmp_path / "project")
    project.page("index.md", "# Home\n\nNothing here.\n")
    return project


@pytest.fixture
def stale_warnings(lib):
    """What the release_data hook's staleness logger says while a test runs."""
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    lib.release_data.stale_log.addHandler(handler)
    yield seen
    lib.release_data.stale_log.removeHandler(handler)
