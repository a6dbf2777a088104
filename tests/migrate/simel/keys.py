"""Throwaway OpenPGP keys in a private GNUPGHOME, and OpenPGP packet tools
to build the key files a hostile mirror would serve."""

import base64
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ._proc import run

# Where GnuPG homes live (see Keyring): short enough for the agent's sockets.
SHORT_TMP = "/tmp"


@dataclass(frozen=True)
class Key:
    name: str            # "almalinux-9", "centos", "unknown", ...
    uid: str
    fingerprint: str     # 40 upper-case hex digits
    public_key: Path     # ASCII-armoured public key file

    @property
    def keyid(self):
        """Long key id as rpm prints it in signatures (16 lower-case hex)."""
        return self.fingerprint[-16:].lower()

    @property
    def short_id(self):
        """The gpg-pubkey package version rpm gives an imported key."""
        return self.fingerprint[-8:].lower()


class Keyring:
    """Generates keys on demand; `close()` stops the gpg agent and removes the home."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        # Without /run/user/<uid>, gpg-agent puts its sockets in GNUPGHOME,
        # and a socket path holds at most 107 bytes: a deep test directory
        # (pytest-xdist adds one level) leaves gpg with "No agent running".
        # The home lives at a short path; directory/gnupg points at it.
        self.gnupghome = Path(tempfile.mkdtemp(prefix="simel-gnupg-", dir=SHORT_TMP))
        (self.directory / "gnupg").symlink_to(self.gnupghome, target_is_directory=True)
        self.keys = {}

    @property
    def env(self):
        return {"GNUPGHOME": str(self.gnupghome), "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8"}

    def _gpg(self, *args, input=None):
        return run(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback",
                    "--passphrase", "", *args], env=self.env, input=input)

    def create(self, name, uid):
        """Create (once) an RSA signing key without passphrase; return it."""
        if name in self.keys:
            return self.keys[name]
        before = set(self._fingerprints())
        self._gpg("--quick-gen-key", uid, "rsa2048", "sign", "never")
        (fpr,) = set(self._fingerprints()) - before
        public = self.directory / f"RPM-GPG-KEY-{name}"
        public.write_text(self._gpg("--armor", "--export", fpr).stdout)
        key = Key(name=name, uid=uid, fingerprint=fpr, public_key=public)
        self.keys[name] = key
        return key

    def detach_sign(self, key, path):
        """Write an armoured detached signature of `path` by `key` to `path`.asc."""
        self._gpg("--yes", "--armor", "--local-user", key.fingerprint,
                  "--output", f"{path}.asc", "--detach-sign", str(path))
        return Path(f"{path}.asc")

    def _fingerprints(self):
        out = self._gpg("--list-secret-keys", "--with-colons").stdout
        fprs, want = [], False
        for line in out.splitlines():
            fields = line.split(":")
            if fields[0] == "sec":
                want = True
            elif fields[0] == "fpr" and want:
                fprs.append(fields[9])
                want = False
        return fprs

    def __getitem__(self, name):
        return self.keys[name]

    def export(self, name):
        """The binary public key of `name` (as in the key file, dearmoured)."""
        return dearmor(self.keys[name].public_key.read_text())

    def variant(self, name, directory, *, signing_subkey=False, certified_by=None):
        """`name`'s public key with extras its owner (or another key) added.

        Works on a copy of the keyring in `directory` (the lab's own keys,
        which sign the mirrors, stay as they are). signing_subkey: a new
        signing subkey, properly bound by `name`; certified_by: a key name
        whose owner certified `name`'s user ID (a third-party signature).
        Returns (binary public key, fingerprint of the new subkey or None).
        """
        fpr = self.keys[name].fingerprint
        copy = Keyring(directory)
        shutil.rmtree(copy.gnupghome)
        shutil.copytree(self.gnupghome, copy.gnupghome,
                        ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
        copy.keys = dict(self.keys)
        subkey = None
        try:
            if signing_subkey:
                before = set(copy._subkeys(fpr))
                copy._gpg("--quick-add-key", fpr, "rsa2048", "sign", "never")
                (subkey,) = set(copy._subkeys(fpr)) - before
            if certified_by:
                copy._gpg("--yes", "--local-user", self.keys[certified_by].fingerprint,
                          "--quick-sign-key", fpr)
            data = copy._gpg_bytes("--export", fpr)
        finally:
            copy.close()
        return data, subkey

    def _gpg_bytes(self, *args, input=None):
        return subprocess.run(["gpg", "--batch", "--no-tty", *args], env=self.env, input=input,
                              capture_output=True, check=True).stdout

    def issuers(self, data):
        """Key ids (16 upper-case hex) that issued the signatures in binary `data`."""
        listing = self._gpg_bytes("--list-packets", input=data).decode()
        return {line.rsplit("keyid", 1)[1].strip().upper()
                for line in listing.splitlines() if line.startswith(":signature packet:")}

    def fingerprints(self, data):
        """Fingerprints of every primary key and subkey in binary `data`."""
        listing = self._gpg_bytes("--with-colons", "--show-keys", input=data).decode()
        return [line.split(":")[9] for line in listing.splitlines()
                if line.startswith("fpr:")]

    def _subkeys(self, fpr):
        out = self._gpg("--with-colons", "--list-keys", fpr).stdout
        subs, want = [], False
        for line in out.splitlines():
            fields = line.split(":")
            if fields[0] == "sub":
                want = True
            elif fields[0] == "fpr" and want:
                subs.append(fields[9])
                want = False
        return subs

    def close(self):
        """Stop the agent (if one runs) and wait up to 5 s for it to exit."""
        pid = None
        if (self.gnupghome / "pubring.kbx").exists():
            out = subprocess.run(["gpg-connect-agent", "--no-autostart", "getinfo pid", "/bye"],
                                 env=self.env, capture_output=True, text=True,
                                 check=False).stdout
            pid = next((line.split()[1] for line in out.splitlines()
                        if line.startswith("D ")), None)
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env,
                       capture_output=True, check=False)
        deadline = time.monotonic() + 5
        while pid and _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.gnupghome, ignore_errors=True)


def _running(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# ---------------------------------------------------------------- packets
PUBLIC_KEY, SIGNATURE, USER_ID, PUBLIC_SUBKEY = 6, 2, 13, 14


def packets(data):
    """Split binary OpenPGP data into [(tag, packet bytes incl. header)]."""
    out, i = [], 0
    while i < len(data):
        start, ctb = i, data[i]
        if not ctb & 0x80:
            raise ValueError(f"not an OpenPGP packet at byte {i}")
        if ctb & 0x40:                       # new format
            tag, first = ctb & 0x3F, data[i + 1]
            if first < 192:
                length, i = first, i + 2
            elif first < 224:
                length, i = ((first - 192) << 8) + data[i + 2] + 192, i + 3
            elif first == 255:
                length, i = int.from_bytes(data[i + 2:i + 6], "big"), i + 6
            else:
                raise ValueError("partial body lengths are not used in keys")
        else:                                # old format
            tag, kind = (ctb >> 2) & 0x0F, ctb & 0x03
            size = {0: 1, 1: 2, 2: 4}[kind]
            length = int.from_bytes(data[i + 1:i + 1 + size], "big")
            i += 1 + size
        i += length
        out.append((tag, data[start:i]))
    return out


def _crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data):
    """ASCII armour for a public key block."""
    body = base64.b64encode(data).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    crc = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode()
    return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(lines)
            + f"\n={crc}\n-----END PGP PUBLIC KEY BLOCK-----\n")


def dearmor(text):
    """The binary data of the first armoured block in `text`."""
    lines = text.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----BEGIN"))
    body_start = next(i for i in range(start, len(lines)) if not lines[i].strip()) + 1
    body = []
    for line in lines[body_start:]:
        if line.startswith("=") or line.startswith("-----END"):
            break
        body.append(line.strip())
    return base64.b64decode("".join(body))
