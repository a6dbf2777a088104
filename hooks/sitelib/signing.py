"""Signing SHA256SUMS: plain functions around gpg and gpgv.

The deployer pins the signing key's fingerprint in mkdocs.yml and keeps the
secret key in a GnuPG home outside the repository. The build exports the
public key from that home (and checks it is exactly the pinned key), signs,
then checks its own signature with gpgv against that exported key alone, as
a user following the guides will. Anything that does not hold raises
SigningError with what to fix.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from sitelib import SiteError

HOME_VARIABLE = "DOWNLOADS_GNUPGHOME"
SETTING = "extra.downloads.signing_key"
SIGNATURE_NAME = "SHA256SUMS.asc"
KEY_NAME = "downloads-signing-key.asc"
FINGERPRINT_NAME = "downloads-signing-key.fpr"
FINGERPRINT = re.compile(r"[0-9A-Fa-f]{40}")
TIMEOUT = 120


class SigningError(SiteError):
    """Signing cannot be done as configured; the message says why."""


def pinned_fingerprint(value) -> str | None:
    """The configured fingerprint in upper case, or None when there is none."""
    if value is None:
        return None
    if not isinstance(value, str) or not FINGERPRINT.fullmatch(value):
        raise SigningError(f"mkdocs.yml: {SETTING} must be the signing key's full fingerprint, "
                           f"40 hexadecimal digits without spaces; got {value!r}")
    return value.upper()


def check_home(home: Path, fingerprint: str) -> Path:
    home = Path(home)
    if not home.is_dir():
        raise SigningError(f"{HOME_VARIABLE}={home} is not a directory (it must be the GnuPG "
                           f"home holding the secret key {fingerprint})")
    return home


def sign(sums: bytes, fingerprint: str, home: Path, public_key: bytes) -> bytes:
    """An armored detached signature of sums, checked with gpgv against public_key."""
    signature = run(["gpg", "--homedir", str(home), "--batch", "--no-tty", "--armor",
                     "--detach-sign", "--digest-algo", "SHA256", "--local-user", fingerprint,
                     "--output", "-"], sums, f"gpg could not sign SHA256SUMS with {fingerprint}")
    verify(sums, signature, public_key, fingerprint)
    return signature


def export_public_key(home: Path, fingerprint: str) -> bytes:
    """The pinned public key, minimal and armored; only if its secret key is there."""
    home = check_home(home, fingerprint)
    listing = run(["gpg", "--homedir", str(home), "--batch", "--with-colons",
                   "--list-secret-keys"], b"", f"gpg cannot list the keys in {home}")
    held = primary_fingerprints(listing.decode(), "sec")
    if fingerprint not in held:
        raise SigningError(f"{HOME_VARIABLE}={home} holds no secret key with the fingerprint "
                           f"pinned in mkdocs.yml ({SETTING}: {fingerprint}); it holds "
                           f"{', '.join(held) or 'no secret key at all'}")
    key = run(["gpg", "--homedir", str(home), "--batch", "--armor",
               "--export-options", "export-minimal", "--export", fingerprint], b"",
              f"gpg cannot export {fingerprint}")
    with tempfile.TemporaryDirectory(prefix="downloads-key-") as scratch:
        shown = run(["gpg", "--homedir", scratch, "--batch", "--with-colons", "--show-keys"],
                    key, "gpg cannot read the exported key")
    exported = primary_fingerprints(shown.decode(), "pub")
    if exported != [fingerprint]:
        raise SigningError(f"exporting {fingerprint} from {home} gave the keys "
                           f"{', '.join(exported) or 'none'}, not exactly the pinned one")
    return key


def verify(data: bytes, signature: bytes, public_key: bytes, fingerprint: str) -> None:
    """gpgv with a keyring of public_key alone; the primary key must be the pinned one."""
    with tempfile.TemporaryDirectory(prefix="downloads-verify-") as scratch:
        work = Path(scratch)
        keyring = work / "key.gpg"
        keyring.write_bytes(run(["gpg", "--homedir", scratch, "--batch", "--dearmor"],
                                public_key, "gpg cannot dearmor the public key"))
        (work / "SHA256SUMS").write_bytes(data)
        (work / SIGNATURE_NAME).write_bytes(signature)
        result = subprocess.run(
            ["gpgv", "--homedir", scratch, "--status-fd", "1", "--keyring", str(keyring),
             str(work / SIGNATURE_NAME), str(work / "SHA256SUMS")],
            capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not signed_by(result.stdout.decode(), fingerprint):
        raise SigningError(f"the signature of SHA256SUMS does not verify with gpgv against "
                           f"the pinned key {fingerprint}: "
                           f"{result.stderr.decode(errors='replace').strip()[-400:]}")


def signed_by(status: str, fingerprint: str) -> bool:
    """A VALIDSIG status line whose last field (the primary key) is fingerprint."""
    return any(line.split()[1:2] == ["VALIDSIG"] and line.split()[-1] == fingerprint
               for line in status.splitlines() if line.startswith("[GNUPG:] "))


def primary_fingerprints(colons: str, kind: str) -> list:
    """Fingerprints of the primary keys (records of `kind`) in gpg --with-colons output."""
    found, want = [], False
    for line in colons.splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sec", "sub", "ssb"):
            want = fields[0] == kind
        elif fields[0] == "fpr" and want:
            found.append(fields[9].upper())
            want = False
    return found


def run(command: list, stdin: bytes, failure: str) -> bytes:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SigningError(f"{failure}: {error}") from None
    if result.returncode != 0:
        raise SigningError(f"{failure}: {result.stderr.decode(errors='replace').strip()[-400:]}")
    return result.stdout
