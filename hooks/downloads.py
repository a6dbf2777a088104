"""Downloads: publish the migration script, the fleet bundle and SHA256SUMS,
signed when the deployer provides the pinned signing key.

The bytes are computed once per build (on_config) and kept on the config
(config.extra["_downloads"]), so the published files and every checksum
hooks/markers.py prints come from the same bytes. A source that does not
exist yet publishes nothing; pages that use its markers fail instead.

Signing (downloads_signing.py): with extra.downloads.signing_key pinned in
mkdocs.yml and DOWNLOADS_GNUPGHOME naming the GnuPG home with its secret key,
the build publishes SHA256SUMS.asc and the public key, and puts the key and
its fingerprint into the fleet bundle. Signatures carry their time, so
SHA256SUMS.asc differs between builds; every other file stays byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import logging
import os
import tarfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files


def load_sibling(name: str):
    """hooks/<name>.py by path: works however this hook itself was loaded."""
    spec = importlib.util.spec_from_file_location(f"{__name__}_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


signing = load_sibling("downloads_signing")

SCRIPT_NAME = "almalinux-migrate.sh"
FLEET_NAME = "almalinux-fleet.tar.gz"
SUMS_NAME = "SHA256SUMS"
FLEET_TOP = "almalinux-fleet"
DEFAULT_SCRIPT = "scripts/almalinux-migrate.sh"
DEFAULT_FLEET = "scripts/fleet"
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")

log = logging.getLogger("mkdocs.hooks.downloads")
# Set by on_startup: `mkdocs serve` previews unsigned when no key is at hand.
command = "build"


# -----------------------------------------------------------------------------
# Hooks
# -----------------------------------------------------------------------------


def on_startup(*, command: str, dirty: bool) -> None:
    globals()["command"] = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    settings = config.extra.get("downloads") or {}
    script = root / settings.get("script", DEFAULT_SCRIPT)
    fleet = root / settings.get("fleet", DEFAULT_FLEET)
    try:
        key = signing_key(settings.get("signing_key"), os.environ.get(signing.HOME_VARIABLE),
                          command)
        config.extra["_downloads"] = collect_downloads(
            script, fleet, root, key, config.extra.get("_published_downloads"))
    except signing.SigningError as error:
        raise PluginError(f"Cannot sign the downloads: {error}") from None
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


def signing_key(value, home: str | None, command: str) -> dict | None:
    """{"fingerprint", "home", "public_key"} to sign with, or None (unsigned).

    A pinned key without DOWNLOADS_GNUPGHOME fails a build, so a deployment
    cannot drop the signature by accident; `mkdocs serve` previews unsigned.
    """
    fingerprint = signing.pinned_fingerprint(value)
    if fingerprint is None:
        log.info("Downloads are unsigned: mkdocs.yml pins no %s", signing.SETTING)
        return None
    if not home:
        if command == "serve":
            log.info("Downloads are unsigned in this preview: %s is not set",
                     signing.HOME_VARIABLE)
            return None
        raise signing.SigningError(
            f"mkdocs.yml pins the signing key {fingerprint} ({signing.SETTING}) but "
            f"{signing.HOME_VARIABLE} is not set; set it to the GnuPG home that holds "
            "that key's secret key")
    public_key = signing.export_public_key(Path(home), fingerprint)
    log.info("Signing SHA256SUMS with %s", fingerprint)
    return {"fingerprint": fingerprint, "home": Path(home), "public_key": public_key}


def collect_downloads(script: Path, fleet: Path, root: Path, key: dict | None = None,
                      published: dict | None = None) -> dict:
    """Bytes, checksums and (for absent sources) why a file is missing.

    published (name -> bytes, from other hooks such as offline_copy.py) are
    published and listed in SHA256SUMS with the rest.

    With a key: its public half next to the other files and in the fleet
    bundle, listed in SHA256SUMS, and SHA256SUMS.asc (not listed: it signs
    the list).
    """
    files, missing = {}, {}
    extras = {}
    if key:
        extras = {signing.KEY_NAME: key["public_key"],
                  signing.FINGERPRINT_NAME: f"{key['fingerprint']}\n".encode()}
        files[signing.KEY_NAME] = key["public_key"]
    if script.is_file():
        files[SCRIPT_NAME] = script.read_bytes()
    else:
        missing[SCRIPT_NAME] = f"{relative(script, root)} does not exist"
    if fleet.is_dir():
        files[FLEET_NAME] = fleet_tarball(fleet, extras)
    else:
        missing[FLEET_NAME] = f"{relative(fleet, root)}/ does not exist"
    files.update(published or {})
    if set(files) - {signing.KEY_NAME}:
        files[SUMS_NAME] = sha256sums(files)
        if key:
            files[signing.SIGNATURE_NAME] = signing.sign(
                files[SUMS_NAME], key["fingerprint"], key["home"], key["public_key"])
    else:
        files.pop(signing.KEY_NAME, None)
        missing[SUMS_NAME] = "nothing to checksum: " + "; ".join(missing.values())
    return {
        "files": {name: {"bytes": data, "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in files.items()},
        "missing": missing,
        "signing_key": key["fingerprint"] if key and SUMS_NAME in files else None,
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


def fleet_tarball(source: Path, extras: dict | None = None) -> bytes:
    """A tar.gz whose bytes depend only on the file names, modes and contents.

    Sorted names, mtime 0, owner root, gzip header without time or name:
    the same sources give the same checksum on any machine, any day.
    extras (name -> bytes) are added at the top level, mode 0644, and
    replace a source file of the same name.
    """
    extras = extras or {}
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(tar_entry(FLEET_TOP, tarfile.DIRTYPE, 0o755))
            entries = {path.relative_to(source).as_posix(): path for path in bundle_paths(source)}
            entries.update(extras)
            for relname in sorted(entries):
                path, name = entries[relname], f"{FLEET_TOP}/{relname}"
                if isinstance(path, bytes):
                    entry = tar_entry(name, tarfile.REGTYPE, 0o644)
                    entry.size = len(path)
                    tar.addfile(entry, io.BytesIO(path))
                elif path.is_symlink():
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
