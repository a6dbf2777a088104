"""Fixtures shared by every test area: the project root and one strict build."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_mkdocs_build(site_dir, config=ROOT / "mkdocs.yml", env=None):
    """Run a strict build into site_dir; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(config), "--site-dir", str(site_dir)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
    )


@pytest.fixture(scope="session")
def project_root():
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The site built once per test run, strict; fails loudly if it does not build."""
    site = tmp_path_factory.mktemp("built") / "site"
    result = run_mkdocs_build(site)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site
