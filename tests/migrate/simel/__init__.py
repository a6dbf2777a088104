"""simel: simulated Enterprise Linux systems for testing almalinux-migrate.sh.

Real rpm databases, real dnf, real signatures, no network, no containers:
tiny noarch RPMs signed with throwaway keys, file:// repositories, and roots
entered through a private mount namespace (host /usr as the lower layer of
an overlay, the root's own /usr as the upper layer) and chroot. Needs root
and: rpm, rpmbuild, rpmsign, dnf, createrepo_c, gpg, unshare, chroot,
setarch, curl.

Lab(directory, n_packages=6, majors=(8, 9, 10), script_dir=<repo>/scripts)
    Builds lazily, once, thread-safely: keys, one signed repository per
    family, the AlmaLinux mirror, one golden root per family (golden roots
    refuse run(); copy them). `directory` must be fresh.
    lab.key(name) / lab.alma_key(major) -> Key(name, uid, fingerprint,
        public_key, keyid, short_id). Names: "almalinux-8/9/10", "centos",
        "rocky", "oracle", "redhat", "fedora", "unknown", "epel-sim".
    lab.mirror -> Mirror(path, arch, majors, keys, packages={major:{name:path}})
        laid out as M/RPM-GPG-KEY-AlmaLinux-<major>,
        M/<major>/{BaseOS,AppStream,extras,PowerTools|CRB}/<arch>/os/.
    lab.mirror_with(tampered=NAME | unsigned=NAME | unknown_key=NAME |
        missing=NAME | wrong_key=True | power_loss=NAME) -> Mirror copy with
        that defect (the repodata is regenerated, so only signatures can
        catch it). power_loss: NAME's AlmaLinux build, correctly signed, has
        a Lua %pre scriptlet that SIGKILLs the rpm transaction's process
        group (dnf and the script) once per root: a deterministic power loss
        in the middle of the transaction (marker POWER_LOSS_MARKER). Re-run
        with the same mirror: that build differs from the good mirror's, so
        a cached copy would not match the good mirror's checksums.
        foreign_key=(NAME, KEY): NAME signed by the lab key KEY (a source
        vendor's key is trusted by the roots' rpm databases);
        signed_metadata="good" | "bad": repomd.xml.asc in every
        repository, by the AlmaLinux key / the "unknown" key;
        old_release: almalinux-release rebuilt as "<major>.0".
        failing_pre=NAME: NAME's AlmaLinux build has a %pre that always
        fails: rpm skips it, `dnf shell` still exits 0.
        Every mirror also has newer AlmaLinux kernel/kernel-core builds.
    lab.new_root(family, base_dir, third_party=False, kernel=False) ->
        SimRoot (a cp -a copy of the golden root; ~0.05 s). third_party adds
        the enabled "epel-sim" repository (bound at /srv/thirdparty) and its
        package; kernel adds kernel + kernel-core (install-only; the mirror
        has newer AlmaLinux builds).
    lab.script_args(root, mirror_url="file:///srv/mirror", fingerprint=True,
        yes=True) -> ["--mirror", URL, "--fingerprint", <test key>, "-y"].
    lab.timings -> {step: seconds}; lab.build_all() builds everything.

SimRoot (root.path is the tree on the host)
    root.run(argv, mirror=None, binds=None, timeout=600, setarch=None,
             env=None, input=None) -> RunResult(returncode, stdout, stderr,
             timed_out, seconds, killed, output); never raises on failure.
        Inside: host /usr (overlay), /proc, /dev, tmpfs /run, the mirror at
        /srv/mirror (read-only; `mirror` overrides it), the script directory
        at /srv/script (read-only), env -i PATH=/usr/sbin:/usr/bin
        HOME=/root LANG=C.UTF-8. setarch="i686" for an unsupported
        architecture. All mounts die with the namespace; leftover processes
        are killed. Runs of one root take turns (a lock next to it).
    root.run_script(*args, **kw) == root.run(["bash", SCRIPT_IN_ROOT, *args])
    root.os_release() -> dict; root.read(path); root.exists(path)
    root.packages() -> [InstalledPackage(name, epoch, version, release, arch,
        vendor, keyid)], queried on the host from a copy of the rpmdb (the
        root is never opened); root.package(name); root.imported_keys().
    root.digest(exclude=()) / root.digest_of("etc/yum.repos.d") ->
        {path: (kind, mode, uid, gid, size, sha256 | link target)};
        diff_digests(before, after) -> readable differences. A "--check
        changes nothing" test excludes RPMDB_VOLATILE (sqlite's -shm index,
        rewritten by every rpm query inside the root; see root.py).
    root.inject_kill(command="dnf", match="distro-sync", call=None,
        when="before" | "after" | "during", delay=0.5): a wrapper in the
        root's /usr layer SIGKILLs the whole process group of the run
        (power loss) on the matching call; fires once. root.fault_fired(cmd),
        root.remove_faults() restores the plain command.
    root.trace_commands(("rpm", "dnf")) / root.traced_calls() ->
        [(epoch seconds, command, args)] for counting invocations; combines
        with inject_kill on the same command.

MirrorServer(directory_or_mirror) -> .url (http://127.0.0.1:<port>),
    .fail_after(n) (then connections are dropped), .drop_now(),
    .stall_now() (connections accepted, never answered),
    .stall_matching(regex) (only requests whose path matches stall),
    .recover(),
    .delay (seconds per answer), .redirects ({path: Location}, answered
    302), .requests, .dropped, .stalls, .authorizations ([(path,
    Authorization header)]), .close(); a context manager. The script wants
    --allow-insecure-http for it (plain http).

Keys for hostile key files (simel.keys): lab.keyring.export(name) (binary),
    lab.keyring.variant(name, dir, signing_subkey=True, certified_by=NAME)
    -> (binary key with a bound subkey / a third-party certification,
    subkey fingerprint), lab.keyring.issuers(data); packets(data) ->
    [(tag, bytes)], armor(data), dearmor(text), tags PUBLIC_KEY,
    PUBLIC_SUBKEY, SIGNATURE, USER_ID.

Families (FAMILIES; SOURCE_FAMILIES; UNSUPPORTED_FAMILIES): centos8,
centos-stream8, centos-stream9, centos-stream10, rocky9, ol8, rhel9, rhel10,
almalinux9 (already migrated), centos7, fedora, debian (no rpm database).
Every system has the ordinary packages NEWER, OLDER, REBUILT and
COMMON_PREFIX + "0001".. (the first requires system-release). ol8 has the
EL8 module virt:ol enabled (package simel-virt); the AlmaLinux 8 AppStream
carries virt:rhel.
"""

from ._proc import CommandError, host_rpmdb_state
from .families import (COMMON_PREFIX, FAMILIES, NEWER, OLDER, REBUILT,
                        SOURCE_FAMILIES, UNSUPPORTED_FAMILIES)
from .http import MirrorServer
from .keys import Key, Keyring
from .lab import POWER_LOSS_MARKER, Lab, Mirror, missing_host_requirements
from .root import (MIRROR_IN_ROOT, MIRROR_URL, RPMDB_VOLATILE, SCRIPT_IN_ROOT,
                   InstalledPackage, RunResult, SimRoot, diff_digests, digest_tree)
