"""Offline copy: the whole site as downloads/almalinux-docs-offline.tar.gz.

`mkdocs build` builds the site a second time, first (in on_config, before
hooks/downloads.py computes SHA256SUMS, so the archive is listed in it and
covered by its signature): into a temporary directory, with Material's
offline plugin and use_directory_urls off, so the pages open from file://
and the search runs without a server. The archive's bytes depend only on
the built files (sorted names, mtime 0, owner root, gzip without time).

Material's offline plugin loads its Web Worker shim (the iframe-worker npm
package) from a third-party host; the offline build swaps it for the copy
under overrides/ (pinned in package.json, compared with the npm package by
tests/site/test_offline_copy.py), so the copy makes no request at all.

`mkdocs serve` skips the second build: a preview stays fast and has no
offline copy. The second build itself leaves out the steps that only serve
a web server (precompressed files, nginx headers).

Run as a script (`python hooks/offline_copy.py CONFIG SITE_DIR`), this file
is the second build, in its own process so no hook's module state is shared.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from sitelib.facts import BuildFacts

NAME = "almalinux-docs-offline.tar.gz"
TOP = "almalinux-docs-offline"
PLUGIN = "material/offline"
# Relative to the site: where overrides/ puts the vendored shim.
SHIM = "assets/javascripts/iframe-worker/shim.js"
# Hooks whose output is for a web server only, left out of the second build.
SERVER_ONLY_HOOKS = ("precompress.py", "security_headers.py")
TIMEOUT = 600

log = logging.getLogger("mkdocs.hooks.offline_copy")
_state = {"command": "build"}


# -----------------------------------------------------------------------------
# Plain functions
# -----------------------------------------------------------------------------


def local_polyfills(polyfills: list) -> list:
    """polyfills with any iframe-worker script replaced by the vendored shim."""
    scripts = [script for script in polyfills if "iframe-worker" not in str(script)]
    return scripts + [SHIM]


def tree_tarball(root: Path, top: str = TOP) -> bytes:
    """root as a tar.gz under top/, bytes depending only on names, modes, contents."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(entry(top, tarfile.DIRTYPE, 0o755))
            for path in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix()):
                name = f"{top}/{path.relative_to(root).as_posix()}"
                if path.is_dir():
                    tar.addfile(entry(name, tarfile.DIRTYPE, 0o755))
                elif path.is_file():
                    data = path.read_bytes()
                    item = entry(name, tarfile.REGTYPE, 0o644)
                    item.size = len(data)
                    tar.addfile(item, io.BytesIO(data))
    return buffer.getvalue()


def entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    item = tarfile.TarInfo(name)
    item.type, item.mode, item.mtime = kind, mode, 0
    item.uid = item.gid = 0
    item.uname = item.gname = "root"
    return item


def build_offline_site(config_file: Path, site_dir: Path) -> None:
    """The second build, in a child process; raises RuntimeError with its log."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    result = subprocess.run([sys.executable, __file__, str(config_file), str(site_dir)],
                            cwd=config_file.parent, capture_output=True, text=True,
                            timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"the offline build failed:\n{result.stderr.strip()[-3000:]}")


def offline_copy(config_file: Path) -> bytes:
    with tempfile.TemporaryDirectory(prefix="offline-copy-") as scratch:
        site = Path(scratch) / "site"
        build_offline_site(config_file, site)
        return tree_tarball(site)


# -----------------------------------------------------------------------------
# MkDocs adapters
# -----------------------------------------------------------------------------


def is_offline_build(config) -> bool:
    return PLUGIN in config.plugins


def on_startup(*, command, dirty) -> None:
    _state["command"] = command


def on_config(config):
    if is_offline_build(config):
        config.extra["polyfills"] = local_polyfills(config.extra.get("polyfills") or [])
        return config
    if _state["command"] == "serve":
        log.info("No offline copy in this preview (mkdocs build makes it)")
        return config
    from mkdocs.exceptions import PluginError

    try:
        data = offline_copy(Path(config.config_file_path))
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        raise PluginError(str(error)) from None
    # hooks/downloads.py publishes and checksums these with its own files.
    BuildFacts.of(config.extra).extra_downloads[NAME] = data
    log.info("Offline copy: %s, %d bytes", NAME, len(data))
    return config


def main(config_file: str, site_dir: str) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.utils.yaml import yaml_load

    with open(config_file, encoding="utf-8") as stream:
        raw = yaml_load(stream)
    hooks = [hook for hook in raw.get("hooks", [])
             if Path(hook).name not in SERVER_ONLY_HOOKS]
    config = load_config(config_file, site_dir=site_dir, use_directory_urls=False,
                         plugins=list(raw.get("plugins", [])) + [PLUGIN], hooks=hooks,
                         strict=True)
    build(config)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    main(*sys.argv[1:])
