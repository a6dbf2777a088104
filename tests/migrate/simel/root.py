"""A simulated root: create its skeleton, enter it, inspect it, break it."""

import fcntl
import fnmatch
import hashlib
import os
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ._proc import run

SCRIPT_DIR_IN_ROOT = "/srv/script"
SCRIPT_IN_ROOT = f"{SCRIPT_DIR_IN_ROOT}/almalinux-migrate.sh"
MIRROR_IN_ROOT = "/srv/mirror"
MIRROR_URL = f"file://{MIRROR_IN_ROOT}"
THIRD_PARTY_IN_ROOT = "/srv/thirdparty"
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin", "HOME": "/root", "LANG": "C.UTF-8"}

# Where fault-injection wrappers keep the real commands and their state; it
# is in the root's own /usr layer, so a re-run sees the same state.
FAULT_DIR = "usr/libexec/simel"

# Paths a "changes nothing" digest must leave out, and why: a mere `rpm -q`
# inside the root rewrites rpmdb.sqlite-shm, sqlite's shared-memory index of
# the write-ahead log (measured: new content after every open). It holds no
# package data (the database is rpmdb.sqlite, whose bytes stay identical),
# and EL8's BerkeleyDB has no such file. Nothing else changes on a query.
RPMDB_VOLATILE = ("var/lib/rpm/rpmdb.sqlite-shm",)

# Entering: private mount namespace, host /usr as the lower layer of an
# overlay whose upper layer is the root's own /usr, /proc, /dev, tmpfs /run,
# read-only binds, then chroot with a clean environment. All mounts belong to
# the namespace and vanish with its last process, also on SIGKILL.
_ENTER = r'''
set -euo pipefail
root=$1 work=$2 nbinds=$3
shift 3
mount -t overlay simel-usr -o "lowerdir=/usr,upperdir=$root/usr,workdir=$work" "$root/usr"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
for ((i = 0; i < nbinds; i++)); do
  src=$1 dst=$2 mode=$3
  shift 3
  mount --bind "$src" "$root$dst"
  if [[ $mode == ro ]]; then mount -o remount,bind,ro "$root$dst"; fi
done
exec "$@"
'''


@dataclass
class RunResult:
    argv: list
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def killed(self):
        """True when SIGKILL ended it (fault injection or timeout)."""
        return self.returncode == -signal.SIGKILL

    @property
    def output(self):
        return self.stdout + self.stderr

    def __str__(self):
        return (f"{shlex.join(self.argv)} -> exit {self.returncode}"
                f"{' (timed out)' if self.timed_out else ''} in {self.seconds:.1f}s\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}")


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    epoch: str
    version: str
    release: str
    arch: str
    vendor: str
    keyid: str      # 16 lower-case hex, "" when unsigned

    @property
    def nevra(self):
        epoch = "" if self.epoch in ("", "(none)") else f"{self.epoch}:"
        return f"{self.name}-{epoch}{self.version}-{self.release}.{self.arch}"


_QF = ("%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t"
       "%{RSAHEADER:pgpsig}\\t%{SIGPGP:pgpsig}\\t%{DSAHEADER:pgpsig}\\n")


def _keyid(*sigs):
    for sig in sigs:
        if "Key ID" in sig:
            return sig.rsplit("Key ID", 1)[1].strip().lower()
    return ""


def make_skeleton(path, os_release_text=None, third_party=False):
    """Directories, merged-/usr symlinks, users, alternatives, rpm/dnf config."""
    path = Path(path)
    for d, mode in (("etc", 0o755), ("etc/rpm", 0o755), ("etc/dnf", 0o755),
                    ("etc/dnf/aliases.d", 0o755), ("etc/dnf/modules.d", 0o755),
                    ("etc/dnf/modules.defaults.d", 0o755), ("var/cache/dnf", 0o755),
                    ("etc/dnf/vars", 0o755), ("etc/dnf/plugins", 0o755),
                    ("etc/dnf/protected.d", 0o755),
                    ("etc/pki/rpm-gpg", 0o755), ("etc/yum.repos.d", 0o755),
                    ("usr", 0o755), ("usr/bin", 0o755), ("proc", 0o555),
                    ("dev", 0o755), ("sys", 0o555), ("run", 0o755),
                    ("tmp", 0o1777), ("var", 0o755), ("var/tmp", 0o1777),
                    ("var/lib", 0o755), ("var/log", 0o755), ("var/cache", 0o755),
                    ("boot", 0o555), ("root", 0o550), ("home", 0o755),
                    ("srv", 0o755), ("srv/mirror", 0o755), ("srv/script", 0o755)):
        (path / d).mkdir(parents=True, exist_ok=True)
        os.chmod(path / d, mode)
    if third_party:
        (path / THIRD_PARTY_IN_ROOT.lstrip("/")).mkdir(parents=True, exist_ok=True)
    # Merged /usr, and the yum compatibility names EL8+ ships (yum package).
    (path / "etc/yum").mkdir(exist_ok=True)
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"),
                         ("lib", "usr/lib"), ("lib64", "usr/lib64"),
                         ("etc/yum.conf", "dnf/dnf.conf"),
                         ("etc/yum/vars", "../dnf/vars"),
                         ("etc/yum/pluginconf.d", "../dnf/plugins"),
                         ("etc/yum/protected.d", "../dnf/protected.d")):
        if not (path / link).is_symlink():
            (path / link).symlink_to(target)
    make_el_command_links(path)
    etc = path / "etc"
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\n"
        "daemon:x:2:2:daemon:/sbin:/sbin/nologin\nnobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin\n")
    (etc / "group").write_text("root:x:0:\nbin:x:1:\ndaemon:x:2:\nwheel:x:10:\nnobody:x:65534:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    os.chmod(etc / "shadow", 0)
    (etc / "hosts").write_text("127.0.0.1   localhost localhost.localdomain\n"
                               "::1         localhost localhost.localdomain\n")
    (etc / "hostname").write_text("simel.example.test\n")
    (etc / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    (etc / "fstab").write_text("# simulated system: no block devices\n")
    if not (etc / "alternatives").exists():
        shutil.copytree("/etc/alternatives", etc / "alternatives", symlinks=True)
    (etc / "rpm/macros.dbpath").write_text("%_dbpath /var/lib/rpm\n")
    # What EL's dnf-data ships (gpgcheck on; without the file dnf defaults to off).
    (etc / "dnf/dnf.conf").write_text(
        "[main]\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\n"
        "best=True\nskip_if_unavailable=False\n")
    # The host's dnf loads every plugin Debian ships; a minimal EL system has
    # dnf-plugins-core (config-manager, download, ...) but not these, and
    # versionlock without its config fails every command ("Locklist not set").
    for plugin in ("local", "versionlock", "post-transaction-actions"):
        (etc / f"dnf/plugins/{plugin}.conf").write_text("[main]\nenabled=0\n")
    if os_release_text is not None:
        (etc / "os-release").write_text(os_release_text)


def resolve_in_root(root, path):
    """Follow symlinks of `path` the way the root would see them."""
    root = Path(root)
    current = "/" + str(path).lstrip("/")
    for _ in range(40):
        host = root / current.lstrip("/")
        if not host.is_symlink():
            return host
        target = os.readlink(host)
        current = target if target.startswith("/") else os.path.normpath(
            os.path.join(os.path.dirname(current), target))
    raise OSError(f"symlink loop at {path} in {root}")


def parse_os_release(text):
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key] = shlex.split(value)[0] if value.strip() else ""
    return values


def digest_tree(top, exclude=()):
    """{relative path: (kind, mode, uid, gid, size, sha256 | symlink target)}."""
    top = Path(top)
    result = {}
    for dirpath, dirnames, filenames in os.walk(top):
        rel_dir = os.path.relpath(dirpath, top)
        for name in sorted(dirnames + filenames):
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
                if name in dirnames:
                    dirnames.remove(name)
                continue
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("l", mode, st.st_uid, st.st_gid, 0, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("d", mode, st.st_uid, st.st_gid, 0, "")
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                result[rel] = ("f", mode, st.st_uid, st.st_gid, st.st_size, h.hexdigest())
            else:
                result[rel] = ("o", mode, st.st_uid, st.st_gid, 0, oct(st.st_mode))
    return result


def diff_digests(before, after):
    """Human-readable list of differences ('+ path', '- path', '~ path')."""
    lines = [f"- {p}" for p in sorted(set(before) - set(after))]
    lines += [f"+ {p}" for p in sorted(set(after) - set(before))]
    lines += [f"~ {p}: {before[p]} -> {after[p]}"
              for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return lines


class SimRoot:
    """One simulated system on disk: `base/root` (the tree), `base/work`.

    `binds` maps paths inside the root to host directories bound read-only
    on every run (the mirror at /srv/mirror, the script directory at
    /srv/script, ...). Never enter one root twice at the same time.
    """

    def __init__(self, base, family=None, binds=None, rpm_home=None, fingerprint=None,
                 pristine=False):
        self.base = Path(base)
        self.pristine = pristine   # a golden root: copied, never entered
        self.path = self.base / "root"
        self.workdir = self.base / "work"
        self.family = family
        self.binds = dict(binds or {})
        self.rpm_home = rpm_home
        self.fingerprint = fingerprint  # AlmaLinux test key for this major

    def __repr__(self):
        return f"SimRoot({self.family.key if self.family else '?'} at {self.path})"

    # ------------------------------------------------------------ copying
    def copy_to(self, base):
        """A copy of this root (cp -a, reflink where the filesystem can)."""
        base = Path(base)
        base.mkdir(parents=True, exist_ok=True)
        run(["cp", "-a", "--reflink=auto", str(self.path), str(base / "root")])
        return SimRoot(base, self.family, self.binds, self.rpm_home, self.fingerprint)

    # ------------------------------------------------------------ entering
    def run(self, argv, *, mirror=None, binds=None, timeout=600, setarch=None,
            env=None, input=None, cwd="/"):
        """Run argv inside the root; return a RunResult (never raises on failure).

        mirror: a host directory (or object with .path) bound at /srv/mirror
        instead of the default one; binds: extra {inside: host} read-only
        binds; setarch: e.g. "i686" to run under another personality;
        timeout: seconds, then the whole process group gets SIGKILL.
        """
        if os.geteuid() != 0:
            raise PermissionError("entering a simulated root needs root (mount namespaces)")
        if self.pristine:
            raise RuntimeError(f"{self!r} is a golden root: run in a copy (lab.new_root)")
        # One run per root at a time (one overlay work dir); the lock file
        # is next to the root, so digests never see it.
        with open(self.base / "enter.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._run_locked(argv, mirror=mirror, binds=binds, timeout=timeout,
                                    setarch=setarch, env=env, input=input, cwd=cwd)

    def _run_locked(self, argv, *, mirror, binds, timeout, setarch, env, input, cwd):
        all_binds = dict(self.binds)
        if mirror is not None:
            all_binds[MIRROR_IN_ROOT] = getattr(mirror, "path", mirror)
        all_binds.update(binds or {})
        bind_args = []
        for inside, host in all_binds.items():
            mountpoint = self.path / inside.lstrip("/")
            if not mountpoint.is_dir():
                mountpoint.mkdir(parents=True)
            bind_args += [str(host), inside, "ro"]
        self.workdir.mkdir(exist_ok=True)
        chroot = ["chroot", str(self.path), "/usr/bin/env", "-i",
                  *[f"{k}={v}" for k, v in {**CLEAN_ENV, **(env or {})}.items()]]
        if cwd != "/":
            chroot += ["/bin/sh", "-c", 'cd "$0" && exec "$@"', cwd]
        inner = (["setarch", setarch] if setarch else []) + chroot + [str(a) for a in argv]
        cmd = ["unshare", "--mount", "--propagation", "private", "--",
               "bash", "-c", _ENTER, "simel-enter", str(self.path), str(self.workdir),
               str(len(all_binds)), *bind_args, *inner]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        timed_out = False
        try:
            stdout, stderr = proc.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _killpg(proc.pid)
            self.kill_leftovers()   # also those in other groups holding our pipes
            stdout, stderr = proc.communicate()
        finally:
            # Whatever the command left behind (a gpg-agent dnf started, the
            # rest of a tree a fault wrapper killed) would keep the
            # namespace and its mounts alive: end it.
            self.kill_leftovers()
        return RunResult([str(a) for a in argv], proc.returncode, stdout, stderr,
                         timed_out, time.monotonic() - started)

    def kill_leftovers(self):
        """SIGKILL processes still chrooted into this root; wait until they
        are gone (up to 5 s); return their pids."""
        killed = self._chrooted_here()
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while killed and self._chrooted_here() and time.monotonic() < deadline:
            time.sleep(0.02)
        return killed

    def _chrooted_here(self):
        root = os.path.realpath(self.path)
        pids = []
        for proc_dir in Path("/proc").iterdir():
            if not proc_dir.name.isdigit():
                continue
            try:
                if os.readlink(proc_dir / "root") == root:
                    pids.append(int(proc_dir.name))
            except OSError:   # gone, or a zombie without a root
                continue
        return pids

    def run_script(self, *args, **kwargs):
        """bash /srv/script/almalinux-migrate.sh ARGS... inside the root."""
        return self.run(["bash", SCRIPT_IN_ROOT, *args], **kwargs)

    def shell(self, command, **kwargs):
        return self.run(["bash", "-c", command], **kwargs)

    # ------------------------------------------------------------ inspecting
    def file(self, path):
        """Host path of `path` inside the root, symlinks resolved in the root."""
        return resolve_in_root(self.path, path)

    def read(self, path):
        return self.file(path).read_text()

    def exists(self, path):
        return os.path.lexists(self.path / str(path).lstrip("/"))

    def os_release(self):
        """/etc/os-release as a dict ({} when the file is missing)."""
        for candidate in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                return parse_os_release(self.read(candidate))
            except FileNotFoundError:
                continue
        return {}

    def rpm_query(self, *args, check=True):
        """Host-side `rpm -q ...` against a throwaway copy of the root's database.

        Read-only by construction: rpm's sqlite backend rewrites the -shm
        index even on queries, so the root's own files are never opened.
        """
        db = self.path / "var/lib/rpm"
        with tempfile.TemporaryDirectory(prefix="simel-rpmdb-") as tmp:
            if db.is_dir():
                shutil.copytree(db, tmp, dirs_exist_ok=True)
            result = self.rpm_home.rpm(*args, dbpath=tmp, check=check)
        return result

    def packages(self):
        """Installed packages (gpg-pubkey entries excluded), sorted by name."""
        out = self.rpm_query("-qa", "--qf", _QF).stdout
        pkgs = []
        for line in out.splitlines():
            fields = line.split("\t")
            if len(fields) != 9 or fields[0] == "gpg-pubkey":
                continue
            name, epoch, version, release, arch, vendor, *sigs = fields
            pkgs.append(InstalledPackage(name, epoch, version, release, arch,
                                         "" if vendor == "(none)" else vendor, _keyid(*sigs)))
        return sorted(pkgs, key=lambda p: p.name)

    def package(self, name):
        """The installed package `name` (None when absent)."""
        return next((p for p in self.packages() if p.name == name), None)

    def imported_keys(self):
        """Short ids (gpg-pubkey versions) of the keys in the root's rpmdb."""
        out = self.rpm_query("-qa", "--qf", "%{NAME} %{VERSION}\\n").stdout
        return sorted(v for n, v in (l.split() for l in out.splitlines() if l.strip())
                      if n == "gpg-pubkey")

    def digest(self, exclude=()):
        """Digest of the whole root: paths, modes, owners, sizes, hashes, links.

        Excludes nothing by default. Mountpoints are empty between runs.
        """
        return digest_tree(self.path, exclude)

    def digest_of(self, subpath, exclude=()):
        """Digest of one directory of the root, e.g. 'etc/yum.repos.d'."""
        return digest_tree(self.path / subpath.lstrip("/"), exclude)

    # ------------------------------------------------------------ breaking
    def _wrap(self, command, body):
        """Install /usr/bin/<command> (root's layer) running `body` after tracing."""
        body = (f"#!/bin/bash\n# Installed by the simulated-EL test harness (not part of any package).\n"
                f"if [[ -e /{FAULT_DIR}/trace.on ]]; then\n"
                f"  printf '%s\\t%s\\t%s\\n' \"$EPOCHREALTIME\" {command} \"$*\" >> /{FAULT_DIR}/trace.log\n"
                f"fi\n" + body)
        real = Path(shutil.which(command, path="/usr/bin:/usr/sbin") or "")
        if not real.name:
            raise FileNotFoundError(f"{command} not on the host; cannot wrap it")
        fault_dir = self.path / FAULT_DIR
        (fault_dir / "real").mkdir(parents=True, exist_ok=True)
        shutil.copy2(real.resolve(), fault_dir / "real" / command)
        wrapper = self.path / "usr/bin" / command
        if wrapper.is_symlink() or wrapper.exists():
            wrapper.unlink()
        wrapper.write_text(body)
        wrapper.chmod(0o755)

    def inject_kill(self, command="dnf", *, match=None, call=None, when="before",
                    delay=0.5):
        """Make `command` SIGKILL the whole script process group (power loss).

        The wrapper (in the root's /usr layer, shadowing the host's command)
        triggers on the `call`-th invocation whose arguments contain `match`
        (None: any invocation; call None: the first matching one). when:
        "before" - kill instead of running the command; "after" - run it to
        completion, then kill; "during" - start it, kill `delay` s later.
        It fires once (state in /usr/libexec/simel); remove_faults() restores
        the plain command.
        """
        if when not in ("before", "after", "during"):
            raise ValueError(f"when must be before/after/during, not {when!r}")
        q = shlex.quote
        state = f"/{FAULT_DIR}/{command}"
        body = f"""real=/{FAULT_DIR}/real/{command}
state={q(state)}
match={q(match or "")}
if [[ ! -e "$state.fired" ]] && [[ -z "$match" || " $* " == *"$match"* ]]; then
  n=$(( $(cat "$state.count" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$state.count"
  if (( {int(call or 1)} == n )); then
    : > "$state.fired"
    kill_group() {{
      local s
      s=$(< /proc/$$/stat)
      s=${{s##*) }}
      read -r _ _ pgid _ <<< "$s"
      kill -KILL -- "-$pgid"
    }}
    case {q(when)} in
      before) kill_group ;;
      after) "$real" "$@"; kill_group ;;
      during) "$real" "$@" & sleep {float(delay)}; kill_group ;;
    esac
  fi
fi
exec "$real" "$@"
"""
        self._wrap(command, body)

    def trace_commands(self, commands=("rpm", "dnf")):
        """Log every call of `commands` (time, command, args) for traced_calls().

        Combines with inject_kill (in either order): every wrapper traces.
        """
        for command in commands:
            if not (self.path / FAULT_DIR / "real" / command).exists():
                self._wrap(command, f'exec /{FAULT_DIR}/real/{command} "$@"\n')
        (self.path / FAULT_DIR / "trace.on").touch()

    def traced_calls(self):
        """[(epoch seconds, command, argument string)] logged by trace_commands."""
        log = self.path / FAULT_DIR / "trace.log"
        if not log.exists():
            return []
        calls = []
        for line in log.read_text().splitlines():
            when, command, args = (line.split("\t", 2) + [""])[:3]
            calls.append((float(when), command, args))
        return calls

    def fault_fired(self, command="dnf"):
        return (self.path / FAULT_DIR / f"{command}.fired").exists()

    def remove_faults(self):
        """Remove every wrapper and its state; the host commands show through."""
        fault_dir = self.path / FAULT_DIR
        real = fault_dir / "real"
        if real.is_dir():
            for wrapped in real.iterdir():
                (self.path / "usr/bin" / wrapped.name).unlink(missing_ok=True)
        shutil.rmtree(fault_dir, ignore_errors=True)
        # Keep the EL names (dnf-3, yum) that make_skeleton added.
        make_el_command_links(self.path)


def make_el_command_links(path):
    """EL has dnf, dnf-3 and yum; add (in the root's /usr layer) what the host lacks."""
    for name, target in (("dnf-3", "dnf"), ("yum", "dnf-3")):
        link = Path(path) / "usr/bin" / name
        if not Path("/usr/bin", name).exists() and not link.is_symlink():
            link.symlink_to(target)


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
