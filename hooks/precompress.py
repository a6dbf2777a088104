"""Precompress: write .br and .gz next to every text file of the built site.

nginx serves them as they are (brotli_static, gzip_static), so the server
compresses nothing per request and can use the slowest, smallest settings:
brotli quality 11, gzip level 9. The bytes depend only on the input (gzip
header with mtime 0 and no file name), so two builds of the same source
publish the same files. A variant that is not smaller than the original is
not written.

`mkdocs serve` skips this step: its own server ignores the files.

The functions below are plain Python (no MkDocs); the hooks at the end adapt
them to MkDocs.
"""

from __future__ import annotations

import gzip
from pathlib import Path

# HTML, CSS, JS, JSON (the search index, releases.json), XML (sitemap), SVG.
SUFFIXES = (".html", ".css", ".js", ".json", ".xml", ".svg", ".ics")
# Material ships lunr's support for other languages (wordcut.js alone is
# 680 KB, 4 s at quality 11); a search in English never loads it.
# downloads/ is served byte for byte, as SHA256SUMS describes it (nginx
# turns the static variants off there).
SKIP_DIRS = ("assets/javascripts/lunr/", "downloads/")
GZIP_LEVEL = 9
BROTLI_QUALITY = 11

_state = {"serving": False}


def brotli_module():
    try:
        import brotli
    except ImportError:
        raise RuntimeError(
            "the brotli Python package is missing, so the build cannot write "
            ".br files: install the pinned requirements "
            "(make build installs requirements/site.txt)") from None
    return brotli


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def brotli_bytes(data: bytes) -> bytes:
    return brotli_module().compress(data, quality=BROTLI_QUALITY)


def variants(data: bytes) -> dict[str, bytes]:
    """{".br": ..., ".gz": ...} for data, leaving out any that would not shrink it."""
    found = {".br": brotli_bytes(data), ".gz": gzip_bytes(data)}
    return {suffix: packed for suffix, packed in found.items() if len(packed) < len(data)}


def compressible(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).as_posix()
    return (path.is_file() and path.suffix.lower() in SUFFIXES
            and not relative.startswith(SKIP_DIRS))


def precompress_tree(root: Path) -> list[Path]:
    """Write the variants of every compressible file under root; return them."""
    written = []
    for path in sorted(root.rglob("*")):
        if not compressible(path, root):
            continue
        for suffix, packed in variants(path.read_bytes()).items():
            target = path.with_name(path.name + suffix)
            target.write_bytes(packed)
            written.append(target)
    return written


# -----------------------------------------------------------------------------
# MkDocs adapters
# -----------------------------------------------------------------------------


def on_startup(*, command, dirty) -> None:
    _state["serving"] = command == "serve"


def on_post_build(config) -> None:
    if _state["serving"]:
        return
    from mkdocs.exceptions import PluginError

    try:
        precompress_tree(Path(config.site_dir))
    except RuntimeError as error:
        raise PluginError(str(error)) from None
