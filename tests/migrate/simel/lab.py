"""The Lab: keys, per-family repositories, the AlmaLinux mirror, golden roots."""

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import rpms
from ._proc import RpmHome, host_arch, run
from .families import (ALMA_MODULES, ALMA_VENDOR, FAMILIES, KERNEL_PACKAGES, SIGNING_KEYS,
                       alma_family, kernel_packages,
                       ordinary_packages, repo_section)
from .keys import Keyring
from .root import (FAULT_DIR, MIRROR_IN_ROOT, MIRROR_URL, SCRIPT_DIR_IN_ROOT,
                   THIRD_PARTY_IN_ROOT, SimRoot, make_skeleton)

DEFAULT_SCRIPT_DIR = Path(__file__).resolve().parents[3] / "scripts"
ALMA_MAJORS = (8, 9, 10)
THIRD_PARTY_REPO_ID = "epel-sim"
THIRD_PARTY_PACKAGE = "epel-sim-hello"
THIRD_PARTY_VENDOR = "Fedora Project"
POWER_LOSS_MARKER = f"/{FAULT_DIR}/power-loss.fired"
# Lua, run inside rpm itself (a shell scriptlet would need /bin/sh in the
# rpmdb): SIGKILL to rpm's process group, which dnf and the script share.
POWER_LOSS_SCRIPTLET = f"""local marker = "{POWER_LOSS_MARKER}"
if not posix.access(marker) then
  posix.mkdir("/{FAULT_DIR}")
  local f = io.open(marker, "w")
  f:close()
  posix.kill(-posix.getprocessid("pgrp"), 9)
  posix.sleep(5)
end
"""


# What building a Lab and entering its roots needs on the host.
REQUIRED_TOOLS = ("rpm", "rpmbuild", "rpmsign", "dnf", "createrepo_c", "gpg",
                  "gpgconf", "unshare", "chroot", "setarch", "curl")


def missing_host_requirements() -> list[str]:
    """Why this host cannot build simulated systems (empty when it can)."""
    problems = []
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        problems.append("missing " + ", ".join(missing)
                        + " (run: scripts/dev/install-system-packages.sh test)")
    if os.geteuid() != 0:
        problems.append("not root (mount namespaces and chroot need it)")
    return problems


@dataclass
class Mirror:
    """An AlmaLinux mirror tree on the host, laid out like the official one."""
    path: Path
    arch: str
    majors: tuple
    keys: dict                      # major -> Key whose public part is served
    packages: dict = field(default_factory=dict)   # major -> {name: rpm path}
    variant: str = "good"
    modules: dict = field(default_factory=dict)    # tree -> modules.yaml text

    url = MIRROR_URL                 # where a root sees it (bound read-only)

    def tree(self, major, repo="BaseOS"):
        return self.path / str(major) / repo / self.arch / "os"

    def rpm(self, major, name):
        return self.packages[major][name]


class Lab:
    """Everything a migration test needs, built lazily and cached.

    directory: a fresh scratch directory; n_packages: ordinary
    packages per system (>= 4); majors: AlmaLinux majors on the mirror.
    """

    def __init__(self, directory, *, n_packages=6, majors=ALMA_MAJORS,
                 script_dir=DEFAULT_SCRIPT_DIR, arch=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.n_packages = n_packages
        self.majors = tuple(majors)
        self.script_dir = Path(script_dir)
        self.arch = arch or host_arch()
        self.timings = {}
        self.keyring = Keyring(self.directory / "keys")
        self.home = RpmHome(self.directory / "home", self.keyring.gnupghome)
        self._family_repos = {}
        self._singletons = {}
        self._unsigned = {}
        self._variants = {}
        self._goldens = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------ keys
    def key(self, name):
        """The throwaway key `name`, generated on first use (~0.1-0.9 s each)."""
        if name.startswith("almalinux-"):
            major = name.split("-", 1)[1]
            uid = f"AlmaLinux OS {major} test key <packager@almalinux.invalid>"
        elif name == THIRD_PARTY_REPO_ID:
            uid = "EPEL simulated test key <epel@simel.invalid>"
        else:
            uid = f"{name} test key <{name}@simel.invalid>"
        with self._lock:
            if name not in self.keyring.keys:
                started = time.monotonic()
                self.keyring.create(name, uid)
                self.timings["keys"] = (self.timings.get("keys", 0.0)
                                        + time.monotonic() - started)
            return self.keyring[name]

    def alma_key(self, major):
        return self.key(f"almalinux-{major}")

    def all_keys(self):
        """Generate every key the lab uses; {name: Key}."""
        names = [f"almalinux-{m}" for m in self.majors] + [
            n for n in SIGNING_KEYS if not n.startswith("almalinux-")] + [
            "unknown", THIRD_PARTY_REPO_ID]
        return {n: self.key(n) for n in names}

    def close(self):
        self.keyring.close()

    def _cached(self, cache, key, label, func, *args):
        """cache[key], built once by func(*args) and timed under `label`.

        One builder at a time (re-entrant): callers may ask for roots from
        several threads.
        """
        with self._lock:
            if key not in cache:
                started = time.monotonic()
                cache[key] = func(*args)
                self.timings[label] = time.monotonic() - started
            return cache[key]

    # ------------------------------------------------------------ source repos
    def family_repo(self, family_key):
        """Host directory of the family's own signed repository (built once)."""
        return self._cached(self._family_repos, family_key, f"repo {family_key}",
                            self._build_family_repo, FAMILIES[family_key])

    def _build_family_repo(self, family):
        repo = self.directory / "repos" / family.key
        key = self.key(family.signing_key)
        modular = [p for m in family.modules for p in m.packages]
        packages = family.release_packages(key, self.arch) + ordinary_packages(
            family.major, self.n_packages, family.vendor) + modular + kernel_packages(
            family.major, family.vendor)
        built = rpms.build(self.home, packages, repo / "Packages", f"simel-{family.key}")
        rpms.sign(self.home, key, built.values())
        rpms.createrepo(repo)
        if family.modules:
            rpms.add_modules(repo, "".join(m.modulemd(self.arch) for m in family.modules))
        return repo

    def third_party_repo(self):
        """A third-party repository per AlmaLinux major ('epel-sim'), bound at /srv/thirdparty."""
        return self._cached(self._singletons, "third-party", "repo third-party",
                            self._build_third_party)

    def _build_third_party(self):
        top = self.directory / "thirdparty"
        key = self.key(THIRD_PARTY_REPO_ID)
        keyfile = "/etc/pki/rpm-gpg/RPM-GPG-KEY-EPEL-SIM"
        repo_file = repo_section(
            THIRD_PARTY_REPO_ID, "Extra Packages (simulated third party) $releasever",
            [f"baseurl=file://{THIRD_PARTY_IN_ROOT}/$releasever/"], f"file://{keyfile}")
        for major in self.majors:
            packages = [
                rpms.Package("epel-sim-release", str(major), "1", THIRD_PARTY_VENDOR,
                             files={f"/etc/yum.repos.d/{THIRD_PARTY_REPO_ID}.repo": repo_file,
                                    keyfile: key.public_key.read_text()},
                             config={f"/etc/yum.repos.d/{THIRD_PARTY_REPO_ID}.repo"}),
                rpms.Package(THIRD_PARTY_PACKAGE, "2.10", f"1.el{major}", THIRD_PARTY_VENDOR,
                             files={f"/usr/share/{THIRD_PARTY_PACKAGE}/README": "hello\n"},
                             dirs=[f"/usr/share/{THIRD_PARTY_PACKAGE}"]),
            ]
            built = rpms.build(self.home, packages, top / str(major) / "Packages",
                               f"simel-thirdparty-{major}")
            rpms.sign(self.home, key, built.values())
            rpms.createrepo(top / str(major))
        return top

    # ------------------------------------------------------------ the mirror
    @property
    def mirror(self):
        """The good AlmaLinux mirror (all majors), built once."""
        return self._cached(self._singletons, "mirror", "mirror", self._build_mirror)

    def _build_mirror(self):
        top = self.directory / "mirror"
        mirror = Mirror(top, self.arch, self.majors,
                        {m: self.alma_key(m) for m in self.majors})
        for major in self.majors:
            fam = alma_family(major)
            key = self.alma_key(major)
            release = fam.release_packages(key, self.arch)
            ordinary = ordinary_packages(major, self.n_packages, ALMA_VENDOR, almalinux=True)
            modules = ALMA_MODULES.get(major, list)()
            modular = [p for m in modules for p in m.packages]
            release += kernel_packages(major, ALMA_VENDOR, almalinux=True)
            unsigned = rpms.build(self.home, release + ordinary + modular,
                                  self.directory / "unsigned" / str(major),
                                  f"simel-almalinux-{major}")
            self._unsigned[major] = unsigned
            placed = {}
            for i, pkg in enumerate(release + ordinary + modular):
                # Release packages and every other ordinary one in BaseOS,
                # modular ones in AppStream (as in EL8).
                repo = ("AppStream" if pkg in modular else
                        "BaseOS" if pkg in release or i % 2 == 0 else "AppStream")
                dest = mirror.tree(major, repo) / "Packages" / unsigned[pkg.name].name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(unsigned[pkg.name], dest)
                placed[pkg.name] = dest
            rpms.sign(self.home, key, placed.values())
            mirror.packages[major] = placed
            extra = "PowerTools" if major == 8 else "CRB"
            if modules:
                mirror.modules[mirror.tree(major, "AppStream")] = "".join(
                    m.modulemd(self.arch) for m in modules)
            for repo in ("BaseOS", "AppStream", "extras", extra):
                mirror.tree(major, repo).mkdir(parents=True, exist_ok=True)
                self._index(mirror, mirror.tree(major, repo))
            shutil.copy2(key.public_key, top / f"RPM-GPG-KEY-AlmaLinux-{major}")
            if major == 8:   # the 8.x key also lives under its old, unsuffixed name
                shutil.copy2(key.public_key, top / "RPM-GPG-KEY-AlmaLinux")
        return mirror

    def mirror_with(self, *, tampered=None, unsigned=None, unknown_key=None,
                    missing=None, wrong_key=False, power_loss=None, foreign_key=None,
                    signed_metadata=None, old_release=False, failing_pre=None):
        """A copy of the mirror with one defect (cached per defect).

        tampered/unsigned/unknown_key/missing: a package name whose RPM, in
        every major, gets one payload byte flipped after signing / is the
        unsigned build / is signed by the "unknown" key / is removed. The
        repodata is regenerated afterwards (a compromised mirror serves
        consistent metadata: only the signature check can catch it).
        wrong_key: the served RPM-GPG-KEY-AlmaLinux-* files hold the
        "unknown" key (fingerprint mismatch).
        power_loss: that package, correctly signed, has a %pre scriptlet
        that SIGKILLs the process group of the rpm transaction (dnf and the
        script: power lost in the middle of the transaction, deterministic).
        It fires once per root (marker POWER_LOSS_MARKER, which
        root.remove_faults() deletes), so a re-run, even one reusing a
        downloaded copy, gets past it.
        foreign_key=(NAME, KEY): NAME is signed by the lab key KEY (e.g. a
        source vendor's, which the roots' rpm databases trust).
        signed_metadata="good" | "bad": every repository's repomd.xml gets
        a repomd.xml.asc made by the major's AlmaLinux key / by the
        "unknown" key.
        old_release: almalinux-release is rebuilt as version "<major>.0".
        failing_pre: that package, correctly signed, has a %pre scriptlet
        that always fails (exit 1): rpm skips it, the rest of the
        transaction goes through, and `dnf shell` still exits 0.
        """
        spec = (("tampered", tampered), ("unsigned", unsigned),
                ("unknown_key", unknown_key), ("missing", missing),
                ("wrong_key", wrong_key), ("power_loss", power_loss),
                ("foreign_key", foreign_key), ("signed_metadata", signed_metadata),
                ("old_release", old_release), ("failing_pre", failing_pre))
        label = "-".join(f"{k}={':'.join(v) if isinstance(v, tuple) else v}"
                         for k, v in spec if v) or "good"
        if label == "good":
            return self.mirror
        return self._cached(self._variants, label, f"variant {label}",
                            self._build_variant, label, dict(spec))

    def _build_variant(self, label, spec):
        good = self.mirror
        top = self.directory / "variants" / label
        top.parent.mkdir(parents=True, exist_ok=True)
        run(["cp", "-al", str(good.path), str(top)])   # hard links: cheap
        variant = Mirror(top, good.arch, good.majors, dict(good.keys), variant=label,
                         modules={top / t.relative_to(good.path): text
                                  for t, text in good.modules.items()})
        unknown = self.key("unknown")
        for major in good.majors:
            variant.packages[major] = {
                name: top / path.relative_to(good.path)
                for name, path in good.packages[major].items()}
            touched = set()
            for kind in ("tampered", "unsigned", "unknown_key", "missing", "power_loss",
                         "foreign_key", "old_release", "failing_pre"):
                name = spec[kind]
                if kind == "foreign_key" and name:
                    name, signer = name
                elif kind == "old_release" and name:
                    name = "almalinux-release"
                if not name or name not in variant.packages[major]:
                    continue
                path = variant.packages[major][name]
                source = path if kind == "tampered" else self._unsigned[major][name]
                data = source.read_bytes()
                path.unlink()   # break the hard link before writing
                if kind == "missing":
                    del variant.packages[major][name]
                elif kind == "power_loss":
                    self._build_with_pre(major, name, path, "pre -p <lua>",
                                         POWER_LOSS_SCRIPTLET)
                elif kind == "failing_pre":
                    # Lua: a shell scriptlet would need /bin/sh, which the
                    # mirror does not provide.
                    self._build_with_pre(major, name, path, "pre -p <lua>",
                                         'error("simulated %pre failure")')
                elif kind == "old_release":
                    path = self._build_old_release(major, path)
                    variant.packages[major][name] = path
                else:
                    path.write_bytes(data)
                    if kind == "tampered":
                        rpms.tamper(path)
                    elif kind == "unknown_key":
                        rpms.sign(self.home, unknown, [path])
                    elif kind == "foreign_key":
                        rpms.sign(self.home, self.key(signer), [path])
                touched.add(path.parent.parent)
            for tree in touched:
                shutil.rmtree(tree / "repodata")
                self._index(variant, tree)
            if spec["signed_metadata"]:
                signer = (self.alma_key(major) if spec["signed_metadata"] == "good"
                          else unknown)
                for repomd in top.glob(f"{major}/*/*/os/repodata/repomd.xml"):
                    self.keyring.detach_sign(signer, repomd)
            if spec["wrong_key"]:
                for keyfile in top.glob("RPM-GPG-KEY-AlmaLinux*"):
                    keyfile.unlink()
                    shutil.copy2(unknown.public_key, keyfile)
                variant.keys = {m: unknown for m in good.majors}
        return variant

    def mirror_adding(self, label, packages, tree="BaseOS"):
        """A copy of the good mirror with extra AlmaLinux packages, correctly
        signed (cached per label): `packages` maps a major to a list of
        rpms.Package, placed in that major's `tree` (replacing a build of
        the same name) and indexed again. For packages the good mirror
        lacks, or builds that differ from its own (a file another
        package owns, for one)."""
        return self._cached(self._variants, f"adding={label}", f"variant adding={label}",
                            self._build_adding, label, packages, tree)

    def _build_adding(self, label, packages, tree):
        good = self.mirror
        top = self.directory / "variants" / f"adding={label}"
        top.parent.mkdir(parents=True, exist_ok=True)
        run(["cp", "-al", str(good.path), str(top)])
        variant = Mirror(top, good.arch, good.majors, dict(good.keys), variant=f"adding={label}",
                         modules={top / t.relative_to(good.path): text
                                  for t, text in good.modules.items()})
        for major in good.majors:
            variant.packages[major] = {
                name: top / path.relative_to(good.path)
                for name, path in good.packages[major].items()}
            extra = list(packages.get(major, ()))
            if not extra:
                continue
            built = rpms.build(self.home, extra, self.directory / "adding" / label / str(major),
                               f"simel-adding-{major}")
            rpms.sign(self.home, self.alma_key(major), built.values())
            target = variant.tree(major, tree)
            touched = {target}
            for name, path in built.items():
                old = variant.packages[major].pop(name, None)
                if old is not None:
                    old.unlink()   # a hard link: the good mirror keeps its copy
                    touched.add(old.parent.parent)
                dest = target / "Packages" / path.name
                shutil.move(path, dest)
                variant.packages[major][name] = dest
            for repo in touched:
                shutil.rmtree(repo / "repodata")
                self._index(variant, repo)
        return variant

    @staticmethod
    def _index(mirror, tree):
        rpms.createrepo(tree)
        if tree in mirror.modules:
            rpms.add_modules(tree, mirror.modules[tree])

    def _build_old_release(self, major, dest):
        """almalinux-release as "<major>.0", signed, in dest's directory; its path."""
        (pkg,) = [p for p in alma_family(major).release_packages(self.alma_key(major), self.arch)
                  if p.name == "almalinux-release"]
        pkg.version = f"{major}.0"
        built = rpms.build(self.home, [pkg], self.directory / "old-release" / str(major),
                           f"simel-old-release-{major}")
        rpms.sign(self.home, self.alma_key(major), built.values())
        target = dest.parent / built[pkg.name].name
        shutil.move(built[pkg.name], target)
        return target

    def _build_with_pre(self, major, name, dest, kind, body):
        """NAME's AlmaLinux build with the %pre scriptlet `body`, signed, at dest."""
        fam = alma_family(major)
        candidates = fam.release_packages(self.alma_key(major), self.arch) + \
            ordinary_packages(major, self.n_packages, ALMA_VENDOR, almalinux=True) + \
            [p for m in ALMA_MODULES.get(major, list)() for p in m.packages] + \
            kernel_packages(major, ALMA_VENDOR, almalinux=True)
        (pkg,) = [p for p in candidates if p.name == name]
        pkg.scriptlets = {kind: body}
        label = "power-loss" if "kill" in body else "failing-pre"
        built = rpms.build(self.home, [pkg], self.directory / label / str(major),
                           f"simel-{label}-{major}")
        rpms.sign(self.home, self.alma_key(major), built.values())
        shutil.move(built[name], dest)

    # ------------------------------------------------------------ roots
    def golden(self, family_key, third_party=False, kernel=False):
        """The pristine root of a family, built once (never run things in it)."""
        cache_key = (family_key, third_party, kernel)
        label = f"root {family_key}{'+3rd' if third_party else ''}{'+kernel' if kernel else ''}"
        return self._cached(self._goldens, cache_key, label, self._build_golden,
                            FAMILIES[family_key], third_party, kernel)

    def new_root(self, family_key, base, third_party=False, kernel=False):
        """A private copy of the family's golden root under `base`.

        third_party: the enabled "epel-sim" repository and its package;
        kernel: kernel + kernel-core installed (install-only: after
        distro-sync the source kernel stays next to AlmaLinux's, as on a
        real system).
        """
        return self.golden(family_key, third_party, kernel).copy_to(base)

    def _binds(self, third_party):
        binds = {MIRROR_IN_ROOT: self.mirror.path, SCRIPT_DIR_IN_ROOT: self.script_dir}
        if third_party:
            binds[THIRD_PARTY_IN_ROOT] = self.third_party_repo()
        return binds

    def _build_golden(self, family, third_party, kernel):
        suffix = ("-thirdparty" if third_party else "") + ("-kernel" if kernel else "")
        base = self.directory / "golden" / f"{family.key}{suffix}"
        if base.exists():
            shutil.rmtree(base)
        fingerprint = (self.alma_key(family.major).fingerprint
                       if family.major in self.majors else None)
        root = SimRoot(base, family, self._binds(third_party), self.home, fingerprint,
                       pristine=True)
        if not family.rpm_based:
            make_skeleton(root.path, family.os_release_text())
            (root.path / "etc/debian_version").write_text("12.8\n")
            return root
        make_skeleton(root.path, third_party=third_party)
        with tempfile.TemporaryDirectory(prefix="simel-dnf-") as tmp:
            tmp = Path(tmp)
            reposdir, varsdir = tmp / "repos.d", tmp / "vars"
            reposdir.mkdir()
            varsdir.mkdir()
            repos = []
            if family.vendor == ALMA_VENDOR:
                key = self.alma_key(family.major)
                for tree in ("BaseOS", "AppStream"):
                    repos.append((f"sim-{tree.lower()}",
                                  self.mirror.tree(family.major, tree), key))
            else:
                repos.append((f"sim-{family.key}", self.family_repo(family.key),
                              self.key(family.signing_key)))
            if third_party:
                repos.append((f"sim-{THIRD_PARTY_REPO_ID}",
                              self.third_party_repo() / str(family.major),
                              self.key(THIRD_PARTY_REPO_ID)))
            for repo_id, path, key in repos:
                (reposdir / f"{repo_id}.repo").write_text(repo_section(
                    repo_id, repo_id, [f"baseurl=file://{path}"], f"file://{key.public_key}"))
            conf = tmp / "dnf.conf"
            conf.write_text("[main]\ngpgcheck=1\ninstall_weak_deps=False\n"
                            "skip_if_unavailable=False\n")
            names = sorted({p.stem.rsplit("-", 2)[0]
                            for _, path, _ in repos for p in path.glob("Packages/*.rpm")}
                           - (set() if kernel else set(KERNEL_PACKAGES)))
            dnf = ["dnf", "-y", "-q", "--noplugins", "--config", conf,
                   "--installroot", root.path, "--releasever", str(family.major),
                   "--setopt", f"reposdir={reposdir}", "--setopt", f"varsdir={varsdir}",
                   "--setopt", f"cachedir={tmp / 'cache'}", "--setopt", "tsflags=nodocs",
                   "--setopt", f"module_platform_id=platform:el{family.major}"]
            if family.modules:
                self.home.run(dnf + ["module", "enable",
                                     *[f"{m.name}:{m.stream}" for m in family.modules]])
            self.home.run(dnf + ["install", *names])
        for path, content in family.loose_files(self.arch).items():
            (root.path / path.lstrip("/")).write_text(content)
        return root

    def build_all(self, families=None, third_party=True):
        """Build everything up front; return the timings."""
        self.all_keys()
        self.mirror
        for key in families or FAMILIES:
            self.golden(key)
        if third_party:
            self.third_party_repo()
        return dict(self.timings)

    # ------------------------------------------------------------ the script
    def script_args(self, root, *, mirror_url=MIRROR_URL, fingerprint=True, yes=True):
        """The usual options: --mirror URL [--fingerprint FPR] [-y]."""
        args = ["--mirror", mirror_url]
        if fingerprint and root.fingerprint:
            args += ["--fingerprint", root.fingerprint]
        if yes:
            args.append("-y")
        return args
