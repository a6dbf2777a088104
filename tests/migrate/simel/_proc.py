"""Running host commands with readable failures, and the private rpm HOME."""

import hashlib
import os
import subprocess
from pathlib import Path

# Debian's rpm warns on every install/erase; the lines carry no information.
_DEBIAN_RPM_NOISE = (
    "RPM should not be used directly",
    "Use Alien to manipulate RPM packages",
    "If you are certain you know what you are doing",
)


class CommandError(RuntimeError):
    """A host command failed; the message carries its output."""


def run(argv, *, env=None, cwd=None, check=True, input=None, timeout=None):
    """Run argv on the host; raise CommandError with stdout/stderr if it fails."""
    result = subprocess.run(
        [str(a) for a in argv], env=env, cwd=cwd, input=input,
        capture_output=True, text=True, timeout=timeout,
    )
    if check and result.returncode != 0:
        raise CommandError(
            f"{' '.join(str(a) for a in argv)} -> exit {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def strip_rpm_noise(text):
    """Drop Debian's rpm warning lines (see the simulated EL notes)."""
    return "\n".join(line for line in text.splitlines()
                     if not any(n in line for n in _DEBIAN_RPM_NOISE))


class RpmHome:
    """A private HOME whose ~/.rpmmacros keeps rpm away from the host database.

    Debian's rpm puts its database in ~/.rpmdb; with this HOME every host-side
    rpm, rpmbuild, rpmsign and dnf call reads and writes only below `path`
    (or below the --root / --installroot given, where %_dbpath is /var/lib/rpm).
    """

    def __init__(self, path, gnupghome):
        self.path = Path(path)
        self.topdir = self.path / "rpmbuild"
        self.scratch_db = self.path / "rpmdb"
        self.gnupghome = Path(gnupghome)
        for sub in ("BUILD", "BUILDROOT", "RPMS", "SOURCES", "SPECS", "SRPMS", "tmp"):
            (self.topdir / sub).mkdir(parents=True, exist_ok=True)
        # %_dbpath is relative to --root; host-side calls without --root pass
        # --dbpath scratch_db explicitly (see rpm()).
        (self.path / ".rpmmacros").write_text(
            "%_dbpath /var/lib/rpm\n"
            f"%_topdir {self.topdir}\n"
            f"%_tmppath {self.topdir}/tmp\n"
            "%__gpg /usr/bin/gpg\n"
            "%_gpg_digest_algo sha256\n"
        )

    @property
    def env(self):
        return {
            "HOME": str(self.path),
            "GNUPGHOME": str(self.gnupghome),
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
        }

    def run(self, argv, **kwargs):
        return run(argv, env=self.env, **kwargs)

    def rpm(self, *args, root=None, dbpath=None, check=True):
        """Host-side rpm; without root/dbpath the scratch database is used."""
        argv = ["rpm"]
        if root is not None:
            argv += ["--root", str(root)]
        argv += ["--dbpath", str(dbpath or (self.scratch_db if root is None else "/var/lib/rpm"))]
        result = self.run(argv + [str(a) for a in args], check=check)
        result.stdout = strip_rpm_noise(result.stdout)
        result.stderr = strip_rpm_noise(result.stderr)
        return result


def host_arch():
    return os.uname().machine


HOST_RPMDB_PATHS = (Path("/var/lib/rpm"), Path("/root/.rpmdb"))


def host_rpmdb_state():
    """What the host's rpm database locations hold: {path: sha256 | 'dir'}."""
    state = {}
    for top in HOST_RPMDB_PATHS:
        if not top.exists():
            continue
        state[str(top)] = "dir"
        for path in sorted(top.rglob("*")):
            state[str(path)] = ("dir" if path.is_dir()
                                else hashlib.sha256(path.read_bytes()).hexdigest())
    return state
