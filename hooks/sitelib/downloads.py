"""Downloads: the migration script, the fleet bundle and SHA256SUMS, signed
when the deployer provides the pinned signing key.

collect() computes the bytes once per build: the published files and every
checksum the markers print come from the same bytes. A source that does not
exist yet publishes nothing; pages that use its markers fail instead.

Signing (sitelib.signing): with extra.downloads.signing_key pinned in
mkdocs.yml and DOWNLOADS_GNUPGHOME naming the GnuPG home with its secret key,
the build publishes SHA256SUMS.asc and the public key, and puts the key and
its fingerprint into the fleet bundle. Signatures carry their time, so
SHA256SUMS.asc differs between builds; every other file stays byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sitelib import SiteError, signing
from sitelib.script import Script

SCRIPT_NAME = "almalinux-migrate.sh"
# The schema of the script's --report JSON, published beside it.
REPORT_SCHEMA_NAME = "almalinux-migrate.report.schema.json"
FLEET_NAME = "almalinux-fleet.tar.gz"
SUMS_NAME = "SHA256SUMS"
FLEET_TOP = "almalinux-fleet"
DEFAULT_SCRIPT = "scripts/almalinux-migrate.sh"
DEFAULT_FLEET = "scripts/fleet"
DIRECTORY = "downloads"         # where they are published in the site
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo")

log = logging.getLogger("mkdocs.hooks.downloads")


class DownloadError(SiteError):
    """A download a page asks for is not published in this build."""


@dataclass(frozen=True)
class SigningKey:
    fingerprint: str
    home: Path
    public_key: bytes


@dataclass(frozen=True)
class Download:
    name: str
    data: bytes
    sha256: str

    @property
    def uri(self) -> str:
        return f"{DIRECTORY}/{self.name}"


@dataclass(frozen=True)
class Downloads:
    """What this build publishes under downloads/, and why anything is missing."""
    files: dict[str, Download]
    missing: dict[str, str]         # name -> why it is not published
    signing_key: str | None         # the fingerprint SHA256SUMS.asc is made with
    script: Script | None           # None when the script does not exist
    script_display: str

    def get(self, name: str) -> Download:
        if name not in self.files:
            why = self.missing.get(name, "the downloads are unsigned (no signing key)")
            raise DownloadError(f"cannot publish {name}: {why}")
        return self.files[name]

    def need_script(self) -> Script:
        if self.script is None:
            raise DownloadError(f"cannot read the script: {self.missing[SCRIPT_NAME]}")
        return self.script


@dataclass(frozen=True)
class Sources:
    """Where the downloads come from (extra.downloads in mkdocs.yml)."""
    root: Path
    script: Path
    fleet: Path
    signing_key: object = None      # the pinned fingerprint, as configured

    @classmethod
    def from_settings(cls, root: Path, settings: dict | None) -> "Sources":
        settings = settings or {}
        return cls(root=root, script=root / settings.get("script", DEFAULT_SCRIPT),
                   fleet=root / settings.get("fleet", DEFAULT_FLEET),
                   signing_key=settings.get("signing_key"))

    def watched(self) -> list[Path]:
        """Sources whose edits change the published bytes."""
        return [path for path in (self.script, self.fleet) if path.exists()]


def collect(sources: Sources, home: str | None, command: str,
            extra: dict | None = None) -> Downloads:
    """The build's downloads; SigningError when signing is asked for and fails.

    extra (name -> bytes) are files other hooks made for downloads/."""
    key = signing_key(sources.signing_key, home, command)
    return collect_downloads(sources.script, sources.fleet, sources.root, key, extra)


def signing_key(value, home: str | None, command: str) -> SigningKey | None:
    """The key to sign with, or None (unsigned).

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
    return SigningKey(fingerprint=fingerprint, home=Path(home), public_key=public_key)


def collect_downloads(script: Path, fleet: Path, root: Path,
                      key: SigningKey | None = None, extra: dict | None = None) -> Downloads:
    """Bytes, checksums and (for absent sources) why a file is missing.

    extra (name -> bytes, such as the offline copy) are published and listed
    in SHA256SUMS with the rest.

    With a key: its public half next to the other files and in the fleet
    bundle, listed in SHA256SUMS, and SHA256SUMS.asc (not listed: it signs
    the list).
    """
    files, missing = {}, {}
    extras = {}
    if key:
        extras = {signing.KEY_NAME: key.public_key,
                  signing.FINGERPRINT_NAME: f"{key.fingerprint}\n".encode()}
        files[signing.KEY_NAME] = key.public_key
    if script.is_file():
        files[SCRIPT_NAME] = script.read_bytes()
        schema = script.with_name(REPORT_SCHEMA_NAME)
        if schema.is_file():
            files[REPORT_SCHEMA_NAME] = schema.read_bytes()
    else:
        missing[SCRIPT_NAME] = f"{relative(script, root)} does not exist"
    if fleet.is_dir():
        files[FLEET_NAME] = fleet_tarball(fleet, extras)
    else:
        missing[FLEET_NAME] = f"{relative(fleet, root)}/ does not exist"
    files.update(extra or {})
    if set(files) - {signing.KEY_NAME}:
        files[SUMS_NAME] = sha256sums(files)
        if key:
            files[signing.SIGNATURE_NAME] = signing.sign(
                files[SUMS_NAME], key.fingerprint, key.home, key.public_key)
    else:
        files.pop(signing.KEY_NAME, None)
        missing[SUMS_NAME] = "nothing to checksum: " + "; ".join(missing.values())
    display = relative(script, root)
    return Downloads(
        files={name: Download(name, data, hashlib.sha256(data).hexdigest())
               for name, data in files.items()},
        missing=missing,
        signing_key=key.fingerprint if key and SUMS_NAME in files else None,
        script=Script(path=script, display=display, cwd=root) if SCRIPT_NAME in files else None,
        script_display=display,
    )


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
