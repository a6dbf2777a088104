"""Fixtures shared by every test area: the project root and one strict build."""

import pytest

from project import ROOT, run_mkdocs_build


@pytest.fixture(scope="session")
def project_root():
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built once per test run, strict; fails loudly if it does not build."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = run_mkdocs_build(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site
