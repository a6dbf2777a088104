"""Throwaway OpenPGP keys in a private GNUPGHOME."""

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ._proc import run


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
    """Generates keys on demand; `close()` stops the gpg agent."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.gnupghome = self.directory / "gnupg"
        self.gnupghome.mkdir(parents=True, exist_ok=True, mode=0o700)
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


def _running(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
