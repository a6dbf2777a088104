"""The offline copy: published, listed in SHA256SUMS, reproducible, and free
of third-party scripts; the vendored iframe-worker shim is the pinned npm file."""

import hashlib
import io
import json
import re
import tarfile

from project import ROOT

NAME = "almalinux-docs-offline.tar.gz"
SHIM = ROOT / "overrides" / "assets" / "javascripts" / "iframe-worker" / "shim.js"
NPM_SHIM = ROOT / "node_modules" / "iframe-worker" / "shim" / "index.js"
# Attributes that make a browser fetch something without a click.
FETCHED = re.compile(r'<(?:script|img|iframe|source)\b[^>]*\bsrc="([^"]+)"'
                     r'|<link\b(?=[^>]*\brel="(?:stylesheet|preload|icon|modulepreload|manifest)")'
                     r'[^>]*\bhref="([^"]+)"')
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)")
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def members(built_site):
    data = (built_site / "downloads" / NAME).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None) for m in tar}


def test_offline_copy_is_listed_in_sha256sums(built_site):
    data = (built_site / "downloads" / NAME).read_bytes()
    sums = (built_site / "downloads" / "SHA256SUMS").read_text()
    assert f"{hashlib.sha256(data).hexdigest()}  {NAME}\n" in sums


def test_offline_copy_is_reproducible_tarball(built_site):
    entries = members(built_site)
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m, _ in entries.values())
    assert list(entries) == sorted(entries)
    assert (built_site / "downloads" / NAME).read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime


def test_offline_copy_pages_use_file_names_and_the_local_shim(built_site):
    entries = members(built_site)
    index = entries["almalinux-docs-offline/index.html"][1].decode()
    assert "assets/javascripts/iframe-worker/shim.js" in index
    assert "almalinux-docs-offline/search/search_index.js" in entries
    assert not any(name.endswith((".br", "/_headers")) or "/_nginx/" in name for name in entries)


def test_offline_copy_fetches_nothing_from_another_host(built_site):
    remote = []
    for name, (_, data) in members(built_site).items():
        if data is None or not name.endswith((".html", ".css")):
            continue
        text = data.decode("utf-8", "replace")
        pattern = FETCHED if name.endswith(".html") else CSS_URL
        for match in pattern.finditer(text):
            url = next(group for group in match.groups() if group)
            if REMOTE.match(url):
                remote.append(f"{name}: {url}")
    assert remote == []


def test_vendored_shim_is_the_pinned_npm_file(built_site):
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["iframe-worker"]
    assert NPM_SHIM.is_file(), "node_modules lacks iframe-worker: run make node"
    installed = json.loads((NPM_SHIM.parent.parent / "package.json").read_text())["version"]
    assert installed == pinned
    vendored = SHIM.read_bytes()
    header, _, body = vendored.partition(b" */\n")
    assert f"iframe-worker {pinned}".encode() in header and b"Permission is hereby granted" in header
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(NPM_SHIM.read_bytes()).hexdigest()
