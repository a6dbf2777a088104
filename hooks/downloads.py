"""Downloads: publish the migration script, the fleet bundle and SHA256SUMS.

The bytes are computed once per build (on_config) and kept on the config
(config.extra["_downloads"]), so the published files and every checksum
hooks/markers.py prints come from the same bytes. A source that does not
exist yet publishes nothing; pages that use its markers fail instead.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

SCRIPT_NAME = "almalinux-migrate.sh"
FLEET_NAME = "almalinux-fleet.tar.gz"
SUMS_NAME = "SHA256SUMS"
FLEET_TOP = "almalinux-fleet"
DEFAULT_SCRIPT = "scripts/almalinux-migrate.sh"
DEFAULT_FLEET = "scripts/fleet"
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")


# -----------------------------------------------------------------------------
# Hooks
# -----------------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    settings = config.extra.get("downloads") or {}
    script = root / settings.get("script", DEFAULT_SCRIPT)
    fleet = root / settings.get("fleet", DEFAULT_FLEET)
    config.extra["_downloads"] = collect_downloads(script, fleet, root)
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    for name, item in config.extra["_downloads"]["files"].items():
        uri = f"downloads/{name}"
        existing = files.get_file_from_path(uri)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, uri, content=item["bytes"]))
    return files


def on_serve(server, *, config: MkDocsConfig, builder):
    # Edits to the script or the playbook change the published bytes.
    root = Path(config.config_file_path).parent
    settings = config.extra.get("downloads") or {}
    for path in (settings.get("script", DEFAULT_SCRIPT), settings.get("fleet", DEFAULT_FLEET)):
        if (root / path).exists():
            server.watch(str(root / path))
    return server


# -----------------------------------------------------------------------------
# Helper functions
# -----------------------------------------------------------------------------


def collect_downloads(script: Path, fleet: Path, root: Path) -> dict:
    """Bytes, checksums and (for absent sources) why a file is missing."""
    files, missing = {}, {}
    if script.is_file():
        files[SCRIPT_NAME] = script.read_bytes()
    else:
        missing[SCRIPT_NAME] = f"{relative(script, root)} does not exist"
    if fleet.is_dir():
        files[FLEET_NAME] = fleet_tarball(fleet)
    else:
        missing[FLEET_NAME] = f"{relative(fleet, root)}/ does not exist"
    if files:
        files[SUMS_NAME] = sha256sums(files)
    else:
        missing[SUMS_NAME] = "nothing to checksum: " + "; ".join(missing.values())
    return {
        "files": {name: {"bytes": data, "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in files.items()},
        "missing": missing,
        "script_path": str(script),
        "script_display": relative(script, root),
    }


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def sha256sums(files: dict) -> bytes:
    """`sha256sum -c` input for the given name -> bytes mapping."""
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())]
    return "".join(lines).encode()


def fleet_tarball(source: Path) -> bytes:
    """A tar.gz whose bytes depend only on the file names, modes and contents.

    Sorted names, mtime 0, owner root, gzip header without time or name:
    the same sources give the same checksum on any machine, any day.
    """
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(tar_entry(FLEET_TOP, tarfile.DIRTYPE, 0o755))
            for path in bundle_paths(source):
                name = f"{FLEET_TOP}/{path.relative_to(source).as_posix()}"
                if path.is_symlink():
                    entry = tar_entry(name, tarfile.SYMTYPE, 0o777)
                    entry.linkname = os.readlink(path)
                    tar.addfile(entry)
                elif path.is_dir():
                    tar.addfile(tar_entry(name, tarfile.DIRTYPE, 0o755))
                else:
                    data = path.read_bytes()
                    mode = 0o755 if os.access(path, os.X_OK) else 0o644
                    entry = tar_entry(name, tarfile.REGTYPE, mode)
                    entry.size = len(data)
                    tar.addfile(entry, io.BytesIO(data))
    return buffer.getvalue()


def bundle_paths(source: Path) -> list:
    paths = []
    for directory, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        base = Path(directory)
        paths += [base / d for d in dirs]
        paths += [base / n for n in names if not n.endswith(SKIP_SUFFIXES)]
    return sorted(paths, key=lambda p: p.relative_to(source).as_posix())


def tar_entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.type = kind
    entry.mode = mode
    entry.mtime = 0
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = "root"
    return entry
