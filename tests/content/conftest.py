"""Fixtures for the content tests: the built HTML of the pages and the
release data they must not repeat by hand."""

import pytest
import yaml
from bs4 import BeautifulSoup

from content_pages import RELEASE_DATA, ROOT, built_path


@pytest.fixture(scope="session")
def built_html(built_site):
    """Parsed built HTML of a page, by its path under docs/ (cached)."""
    cache = {}

    def parse(page: str) -> BeautifulSoup:
        if page not in cache:
            path = built_path(built_site, page)
            assert path.is_file(), f"{page} was not built to {path.relative_to(built_site)}"
            cache[page] = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        return cache[page]

    return parse


@pytest.fixture(scope="session")
def release_data():
    """data/releases.yml as PyYAML reads it; missing data is a failure, not a skip."""
    assert RELEASE_DATA.is_file(), f"{RELEASE_DATA.relative_to(ROOT)} does not exist"
    data = yaml.safe_load(RELEASE_DATA.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("majors") and data.get("releases"), \
        "data/releases.yml has no majors or releases"
    return data
