"""The fallback platform: ProperDocs (a maintained MkDocs 1.x fork) builds the same site.

A generator that skips the hooks would still "succeed"; these tests also make
sure nothing of the hooks' work is missing from either build.
"""

import filecmp
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

from project import ROOT

GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')
RAW_MARKER = re.compile(r"<!--\s*(release|download|script):")
HOOK_OUTPUTS = ("releases.json", "downloads/SHA256SUMS", "downloads/almalinux-migrate.sh",
                "downloads/almalinux-fleet.tar.gz")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def properdocs_site(tmp_path_factory):
    exe = Path(sys.executable).parent / "properdocs"
    if not exe.exists():
        pytest.fail("properdocs is not installed; run: make test (installs the test requirements)")
    site = tmp_path_factory.mktemp("properdocs") / "site"
    result = subprocess.run([str(exe), "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
                             "--site-dir", str(site)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, f"properdocs build --strict failed:\n{result.stderr}"
    return site


def files(site):
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())


def test_properdocs_builds_the_same_files(properdocs_site, built_site):
    assert files(properdocs_site) == files(built_site)


def comparable(path):
    """A file's bytes without the generator tag. The precompressed .br/.gz
    copy of a page is compared by what it decodes to; any other .gz (the
    fleet bundle) must match byte for byte, so it is returned as it is."""
    data = path.read_bytes()
    if path.suffix in (".br", ".gz") and path.with_suffix("").is_file():
        data = brotli.decompress(data) if path.suffix == ".br" else gzip.decompress(data)
    elif path.suffix == ".gz":
        return data
    return GENERATOR.sub(b"", data)


def test_properdocs_output_differs_only_in_the_generator_tag(properdocs_site, built_site):
    differing = []
    for name in files(built_site):
        a, b = built_site / name, properdocs_site / name
        if filecmp.cmp(a, b, shallow=False):
            continue
        if comparable(a) != comparable(b):
            differing.append(name)
    assert differing == []


@pytest.mark.parametrize("which", ["mkdocs", "properdocs"])
def test_the_hooks_ran(which, built_site, properdocs_site):
    site = built_site if which == "mkdocs" else properdocs_site
    missing = [name for name in HOOK_OUTPUTS if not (site / name).is_file()]
    assert missing == []
    survivors = [str(p.relative_to(site)) for p in site.rglob("*.html") if RAW_MARKER.search(p.read_text())]
    assert survivors == [], "markers left unrendered"
