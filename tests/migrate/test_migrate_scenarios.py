"""almalinux-migrate.sh, unmodified, inside simulated EL systems.

Each test names the behaviour it proves. The simulated systems (real rpm
databases, real dnf with gpgcheck, packages signed with throwaway keys,
file:// and http:// mirrors) come from the fixtures in conftest.py.
"""

import re
import shutil
from pathlib import Path

import pytest

from simel import rpms
from simel.families import KERNEL_VERSIONS
from simel import (NEWER, OLDER, REBUILT, RPMDB_VOLATILE, SCRIPT_IN_ROOT,
                   SOURCE_FAMILIES, diff_digests)

from migrate_script import EXIT

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "almalinux-migrate.sh"
STATE = "/var/lib/almalinux-migrate/state"
LOG = "/var/log/almalinux-migrate.log"
MIGRATION_TIMEOUT = 300

# Release-side packages of every source family: none may survive a migration.
SOURCE_RELEASE_NAMES = {
    "centos-linux-release", "centos-linux-repos", "centos-stream-release",
    "centos-stream-repos", "centos-gpg-keys", "centos-logos", "rocky-release",
    "rocky-repos", "rocky-gpg-keys", "rocky-logos", "oraclelinux-release",
    "oraclelinux-release-el8", "redhat-release", "redhat-logos", "oracle-logos",
}


def state_of(root):
    """The script's state file as a dict ({} when there is none)."""
    if not root.exists(STATE):
        return {}
    return dict(line.split("=", 1) for line in root.read(STATE).splitlines() if "=" in line)


def release_providers(root):
    result = root.rpm_query("-q", "--whatprovides", "system-release", "--qf", "%{NAME}\\n",
                            check=False)
    return [line for line in result.stdout.splitlines() if line and " " not in line]


def snapshot(root):
    """What a failed or refused run must leave exactly as it was."""
    return {
        "repos": root.digest_of("etc/yum.repos.d"),
        "dnf": root.digest_of("etc/dnf"),
        "keys": root.digest_of("etc/pki/rpm-gpg"),
        "os-release": root.read("/etc/os-release"),
        "redhat-release": root.read("/etc/redhat-release"),
        "packages": root.packages(),
        "imported keys": root.imported_keys(),
    }


def assert_migrated(root, lab, result):
    """ID=almalinux and every package is AlmaLinux's build from the mirror."""
    assert result.returncode == EXIT["OK"], str(result)
    major = root.family.major
    release = root.os_release()
    assert release["ID"] == "almalinux"
    assert release["VERSION_ID"].split(".")[0] == str(major)
    alma = lab.alma_key(major)
    mirror = {path.name for path in lab.mirror.packages[major].values()}
    packages = root.packages()
    assert not SOURCE_RELEASE_NAMES & {p.name for p in packages}
    assert root.package("almalinux-release") is not None
    for pkg in packages:
        if pkg.name.startswith("epel-sim"):
            continue
        assert pkg.vendor == "AlmaLinux", pkg
        assert pkg.keyid == alma.keyid, pkg
        assert f"{pkg.name}-{pkg.version}-{pkg.release}.{pkg.arch}.rpm" in mirror, pkg
    assert release_providers(root) == ["almalinux-release"]


@pytest.mark.slow
@pytest.mark.parametrize("family", SOURCE_FAMILIES)
def test_each_source_family_migrates_and_every_package_comes_from_almalinux(
        family, make_root, script_args, simel_lab):
    root = make_root(family)
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    # The three kinds of switch distro-sync has to make.
    assert root.package(NEWER).version == "1.1"
    assert root.package(OLDER).version == "1.9"
    assert root.package(REBUILT).vendor == "AlmaLinux"
    # Progress is recorded as finished, the transcript is in the log.
    assert state_of(root)["STEP"] == "done"
    log = root.read(LOG)
    assert re.search(r"unsafe window: [0-9.]+ s", log)
    assert "point of no return" in log
    assert "no bootloader found" in log   # no grub in a simulated system: skipped
    # The migrated system's own repository files point at the mirror and
    # work with gpgcheck on: nothing is left to sync.
    after = root.run(["dnf", "-y", "--noplugins", "distro-sync"], timeout=120)
    assert after.returncode == 0, str(after)
    assert "Nothing to do" in after.output
    if family == "ol8":
        # OL8's virt:ol stream does not exist in AlmaLinux: remapped to rhel.
        module = root.read("/etc/dnf/modules.d/virt.module")
        assert re.search(r"^stream=rhel$", module, re.M), module
        assert re.search(r"^state=enabled$", module, re.M), module
        assert "virt: stream ol remapped to rhel" in log
    if family.startswith("rhel"):
        # redhat.repo belongs to no package: the script moves it aside.
        assert not root.exists("/etc/yum.repos.d/redhat.repo")
        assert root.exists("/etc/yum.repos.d/redhat.repo.almalinux-migrate-disabled")


def is_read_only(command, args):
    """Whether a traced rpm/dnf call can only read (or download into the work dir)."""
    words = args.split()
    if command == "rpmkeys":
        return "--import" not in words or "--dbpath" in words   # temporary keyring
    if command == "rpm":   # a query, or a test transaction (rpm -e --test)
        return words[0].startswith("-q") or "--test" in words
    # --assumeno: dnf resolves and stops at its question (the swap's dry run)
    # --setopt=tsflags=test with --cacheonly: rpm's test transaction of the swap
    return ("--downloadonly" in words or "repoquery" in words or "--assumeno" in words
            or ("--setopt=tsflags=test" in words and "--cacheonly" in words))


def test_first_change_comes_after_every_download_and_signature_check(
        make_root, script_args, simel_lab):
    root = make_root("rocky9")
    root.trace_commands(("rpm", "rpmkeys", "dnf"))
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    calls = [(command, args) for _, command, args in root.traced_calls()
             if not (command == "rpmkeys" and args.endswith(" -"))]   # dnf's own checks
    first_change = next(i for i, call in enumerate(calls) if not is_read_only(*call))
    downloads = [i for i, (c, a) in enumerate(calls) if c == "dnf" and "--downloadonly" in a]
    checks = [i for i, (c, a) in enumerate(calls) if c == "rpmkeys" and "--checksig" in a]
    assert downloads and checks
    # (dnf's download passes after it find everything in the verified cache:
    # test_migrate_trust_after_ponr.py)
    assert downloads[0] < first_change and max(checks) < first_change, calls
    assert calls[first_change] == (
        "rpm", "--import /var/lib/almalinux-migrate/RPM-GPG-KEY-AlmaLinux-9")




def test_check_changes_nothing_and_reports_ready(make_root, script_args):
    root = make_root("centos8")
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script("--check", *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []
    for heading in ("Blockers (0)", "Warnings", "Third-party repositories",
                    "What would change", "Result: READY"):
        assert heading in result.stdout, str(result)
    assert "centos-linux-release" in result.stdout
    assert "Secure Boot state unknown" in result.stdout   # no mokutil


def test_check_warns_about_a_releasever_pinned_in_dnf_vars(make_root, script_args):
    root = make_root("rhel9")
    pin = root.path / "etc/dnf/vars/releasever"
    pin.parent.mkdir(parents=True, exist_ok=True)
    pin.write_text("9.2\n")
    result = root.run_script("--check", *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    assert "/etc/dnf/vars/releasever pins the release to '9.2'" in result.stdout


def test_check_accepts_two_versions_of_an_installonly_package(
        make_root, script_args, simel_lab, tmp_path):
    # Kernel modules (installonlypkg(kernel-module)) are installed side by
    # side by design: no sign of an unfinished transaction.
    root = make_root("rocky9")
    for version in ("1.0", "2.0"):
        pkg = rpms.Package("kmod-sim", version, "1.el9", "Sim Vendor",
                           provides=["installonlypkg(kernel-module)"])
        built = rpms.build(simel_lab.home, [pkg], tmp_path, f"kmod-sim-{version}")
        shutil.copy2(built["kmod-sim"], root.path / "var/tmp" / pkg.filename)
        added = root.run(["rpm", "-i", "--justdb", "--nodeps", "--nosignature",
                          f"/var/tmp/{pkg.filename}"])
        assert added.returncode == 0, str(added)
    assert len([p for p in root.packages() if p.name == "kmod-sim"]) == 2
    result = root.run_script("--check", *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    assert "unfinished transaction" not in result.stdout


def test_check_with_log_writes_only_the_log(make_root, script_args):
    root = make_root("centos-stream9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script("--check", "--log", "/var/log/migrate-check.log",
                             *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == [
        "+ var/log/migrate-check.log"]
    assert "Result: READY" in root.read("/var/log/migrate-check.log")


def test_check_reports_a_blocker_and_not_ready_when_the_mirror_is_unreachable(
        make_root, script_args):
    root = make_root("rocky9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    args = script_args(root, mirror_url="file:///srv/no-such-mirror", yes=False)
    result = root.run_script("--check", *args)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "mirror unreachable" in result.stdout
    assert "NOT READY" in result.stdout
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_already_migrated_system_is_a_no_op(make_root, script_args):
    root = make_root("almalinux9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script(*script_args(root))
    assert result.returncode == EXIT["OK"], str(result)
    assert "nothing to do" in result.stdout
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


@pytest.mark.parametrize("family", ["centos7", "fedora", "debian"])
def test_unsupported_system_is_refused_and_unchanged(family, make_root, script_args):
    root = make_root(family)
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script(*script_args(root))
    assert result.returncode == EXIT["UNSUPPORTED"], str(result)
    assert "not supported" in result.stderr
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_unsupported_architecture_is_refused_and_unchanged(make_root, script_args):
    root = make_root("centos-stream9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script(*script_args(root), setarch="i686")
    assert result.returncode == EXIT["UNSUPPORTED"], str(result)
    assert "architecture i686 is not supported" in result.stderr
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_non_root_user_is_refused_and_nothing_changes(make_root, script_args):
    root = make_root("centos-stream9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "bash", SCRIPT_IN_ROOT, *script_args(root)])
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "root" in result.stderr
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


@pytest.mark.parametrize("trust", ["pinned-key", "mirror-serves-another-key"])
def test_key_whose_fingerprint_does_not_match_is_refused_before_any_change(
        trust, make_root, script_args, bad_mirror):
    root = make_root("centos-stream9")
    before = root.digest(exclude=RPMDB_VOLATILE)
    if trust == "pinned-key":
        # The test mirror is signed by a throwaway key, not AlmaLinux's.
        result = root.run_script(*script_args(root, fingerprint=False))
    else:
        result = root.run_script(*script_args(root), mirror=bad_mirror(wrong_key=True))
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "untrusted AlmaLinux key" in result.output
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


@pytest.mark.parametrize("defect", [
    {"tampered": NEWER}, {"unsigned": OLDER}, {"unknown_key": REBUILT},
    {"tampered": "almalinux-release"},
], ids=["tampered", "unsigned", "unknown-key", "tampered-release-package"])
def test_bad_package_is_refused_and_files_are_restored_byte_identical(
        defect, make_root, script_args, bad_mirror):
    root = make_root("centos-stream9")
    before = snapshot(root)
    result = root.run_script(*script_args(root), mirror=bad_mirror(**defect))
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert "signature check failed" in result.output
    assert "Nothing was changed" in result.output
    assert snapshot(root) == before
    assert state_of(root) == {}


def test_mirror_lost_mid_download_restores_the_system(make_root, script_args, http_mirror):
    # Learn, on a first root, after how many requests packages are fetched.
    probe = make_root("centos8")
    server = http_mirror()
    result = probe.run_script("--allow-insecure-http",
                              *script_args(probe, mirror_url=server.url),
                              timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    first_package = next(i for i, path in enumerate(server.requests) if path.endswith(".rpm"))

    root = make_root("centos8")
    before = snapshot(root)
    server = http_mirror()
    server.fail_after(first_package + 1)   # one package arrives, then the mirror is gone
    result = root.run_script("--allow-insecure-http", *script_args(root, mirror_url=server.url),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert any(path.endswith(".rpm") for path in server.dropped), server.requests
    assert "Nothing was changed" in result.output
    assert snapshot(root) == before


@pytest.mark.slow
# The release swap and the distro-sync are one dnf transaction ("shell");
# on a resumed run a separate distro-sync settles whatever was left.
@pytest.mark.parametrize("match,call,when", [
    ("shell", 1, "before"),
    ("shell", 1, "during"),
    ("shell", 1, "after"),
], ids=["before-swap-transaction", "during-swap-transaction", "after-swap-transaction"])
def test_killed_after_the_point_of_no_return_a_rerun_completes(
        match, call, when, make_root, script_args, simel_lab):
    root = make_root("ol8")
    root.inject_kill("dnf", match=match, call=call, when=when, delay=0.8)
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    state = state_of(root)
    assert state["PONR"] == "1", state
    # Whatever instant it died at, a release package is installed.
    assert release_providers(root), "no package provides system-release"
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert "resuming the interrupted migration" in second.stdout, str(second)
    assert_migrated(root, simel_lab, second)


def test_killed_before_the_point_of_no_return_nothing_changed_and_a_rerun_completes(
        make_root, script_args, simel_lab):
    root = make_root("centos8")
    before = snapshot(root)
    root.inject_kill("dnf", match="distro-sync", call=1, when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    assert state_of(root).get("PONR") == "0"
    assert snapshot(root) == before
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert "starting over" in second.stdout, str(second)
    assert_migrated(root, simel_lab, second)


def test_third_party_repository_is_kept_enabled_and_reported(
        make_root, script_args, simel_lab, tmp_path):
    root = make_root("rocky9", third_party=True)
    repo_file = "etc/yum.repos.d/epel-sim.repo"
    before = root.digest_of("etc/yum.repos.d")[Path(repo_file).name]
    hello = root.package("epel-sim-hello")
    check = root.run_script("--check", *script_args(root, yes=False))
    assert re.search(r"Third-party repositories.*\n\s+- epel-sim \(epel-sim\.repo\)",
                     check.stdout), str(check)
    # The third-party repository is unreachable during the migration: the
    # script never uses it, so that must not matter.
    unreachable = tmp_path / "empty"
    unreachable.mkdir()
    result = root.run_script(*script_args(root), binds={"/srv/thirdparty": unreachable},
                             timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    assert root.digest_of("etc/yum.repos.d")[Path(repo_file).name] == before
    assert root.package("epel-sim-hello") == hello
    assert "third-party repositories kept enabled: epel-sim (epel-sim.repo)" in result.stdout
    repolist = root.run(["dnf", "-q", "--noplugins", "repolist", "--enabled"])
    assert re.search(r"^epel-sim\s", repolist.stdout, re.M), str(repolist)


def test_unconfirmed_run_changes_nothing(make_root, script_args):
    root = make_root("centos-stream9")
    before = snapshot(root)
    result = root.run_script(*script_args(root, yes=False), input="n\n",
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["DECLINED"], str(result)
    assert "Continue? [y/N]" in result.stdout
    assert snapshot(root) == before
    assert state_of(root) == {}


def test_rerun_after_a_completed_migration_is_a_no_op(make_root, script_args):
    root = make_root("centos-stream10")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.returncode == EXIT["OK"], str(first)
    before = root.digest(exclude=RPMDB_VOLATILE)
    second = root.run_script(*script_args(root))
    assert second.returncode == EXIT["OK"], str(second)
    assert "nothing to do" in second.stdout
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_interrupted_upgrade_leaving_two_versions_is_cleaned_up_on_rerun(
        make_root, script_args, simel_lab):
    root = make_root("centos8")
    root.inject_kill("dnf", match="shell", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed, str(first)
    # What a power cut inside rpm's transaction leaves: the new build is in
    # the database, the old one not yet erased.
    newer = simel_lab.mirror.rpm(8, NEWER)
    inside = "/srv/mirror/" + str(newer.relative_to(simel_lab.mirror.path))
    half = root.run(["rpm", "-i", "--justdb", "--nodeps", "--noscripts", "--replacefiles",
                     inside])
    assert half.returncode == 0, str(half)
    assert len([p for p in root.packages() if p.name == NEWER]) == 2
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, second)
    assert [p.version for p in root.packages() if p.name == NEWER] == ["1.1"]


def send_from_dnf(root, match, kill):
    """Make dnf run `kill` (once) when its arguments contain `match`.

    The harness injects SIGKILL only; a signal the script can trap needs this
    small wrapper of our own (in the root's /usr layer, like the harness's).
    """
    hide = root.path / "usr/libexec/migrate-test"
    hide.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path("/usr/bin/dnf").resolve(), hide / "dnf")
    wrapper = root.path / "usr/bin/dnf"
    wrapper.write_text(f"""#!/bin/bash
if [[ " $* " == *" {match} "* && ! -e /usr/libexec/migrate-test/fired ]]; then
  : > /usr/libexec/migrate-test/fired
  {kill}
fi
exec /usr/libexec/migrate-test/dnf "$@"
""")
    wrapper.chmod(0o755)
    return lambda: (wrapper.unlink(), shutil.rmtree(hide))


@pytest.mark.parametrize("phase", ["before", "after"])
def test_sigterm_restores_before_the_point_of_no_return_and_resumes_after_it(
        phase, make_root, script_args, simel_lab):
    root = make_root("centos-stream9")
    before = snapshot(root)
    # Before: while downloading; after: at the swap transaction (dnf shell).
    remove = send_from_dnf(root, "--downloadonly" if phase == "before" else "shell",
                           'kill -TERM "$PPID"')
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert "interrupted by signal TERM" in first.output, str(first)
    remove()
    if phase == "before":
        assert first.returncode == EXIT["RESTORED"], str(first)
        assert snapshot(root) == before
        assert state_of(root) == {}
    else:
        assert first.returncode == EXIT["RESUME"], str(first)
        assert "run the script again" in first.output
        second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
        assert_migrated(root, simel_lab, second)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_ctrl_c_to_the_whole_process_group_still_restores_or_says_how_to_resume(
        phase, make_root, script_args, simel_lab):
    # Ctrl-C reaches every process of the terminal's foreground group, the
    # logging tee too: the script's last words and its restore must survive.
    root = make_root("centos-stream9")
    before = snapshot(root)
    remove = send_from_dnf(root, "--downloadonly" if phase == "before" else "shell",
                           "kill -INT 0")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    remove()
    assert "interrupted by signal INT" in first.output, str(first)
    log = root.read(LOG)
    if phase == "before":
        assert first.returncode == EXIT["RESTORED"], str(first)
        assert "Nothing was changed" in log
        assert snapshot(root) == before
        assert state_of(root) == {}
    else:
        assert first.returncode == EXIT["RESUME"], str(first)
        assert "run the script again" in log
        second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
        assert_migrated(root, simel_lab, second)


def test_hangup_after_the_point_of_no_return_does_not_stop_the_migration(
        make_root, script_args, simel_lab):
    # A dropped SSH session sends SIGHUP to the whole process group.
    root = make_root("centos-stream9")
    remove = send_from_dnf(root, "shell", "kill -HUP 0")
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    remove()
    assert_migrated(root, simel_lab, result)
    assert state_of(root)["STEP"] == "done"


@pytest.mark.parametrize("package", ["almalinux-release", NEWER, OLDER])
def test_power_lost_inside_the_swap_transaction_a_rerun_completes(
        package, make_root, script_args, bad_mirror, simel_lab):
    root = make_root("centos-stream9")
    mirror = bad_mirror(power_loss=package)   # its %pre kills dnf and the script
    first = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert first.killed, str(first)
    assert state_of(root)["PONR"] == "1"
    assert release_providers(root), "no package provides system-release"
    second = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert "resuming the interrupted migration" in second.stdout, str(second)
    if package == OLDER:
        # Late in rpm's order: earlier packages are in the database twice
        # (reinstalls: same version; upgrades: old next to new) and are fixed.
        assert "interrupted reinstall left" in second.output, str(second)
        assert "next to AlmaLinux's build: removing it" in second.output, str(second)
    assert_migrated(root, simel_lab, second)


def test_almalinux_kernel_is_installed_and_the_old_kernel_is_reported(
        make_root, script_args, simel_lab):
    root = make_root("rocky9", kernel=True)
    old = {p.nevra for p in root.packages() if p.name.startswith("kernel")}
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.os_release()["ID"] == "almalinux"
    kernels = [p for p in root.packages() if p.name.startswith("kernel")]
    alma = simel_lab.alma_key(9).keyid
    assert {p.name for p in kernels if p.keyid == alma} == {"kernel", "kernel-core"}
    # Install-only: the old kernel stays (it may be the running one), and is named.
    assert old <= {p.nevra for p in kernels}
    assert "kernels of the previous system stay installed" in result.stdout
    for nevra in old:
        assert nevra in result.stdout
    others = [p for p in root.packages() if not p.name.startswith("kernel")]
    assert {p.keyid for p in others} == {alma}


def test_almalinux_kernel_becomes_the_default_boot_entry_instead_of_uek(
        make_root, script_args):
    # Oracle Linux boots UEK by default; AlmaLinux's shim would refuse it
    # under Secure Boot. grub2-mkconfig and grubby are recorded stand-ins
    # (the simulated system has no bootloader); the kernel is in /boot as
    # kernel-install leaves it.
    root = make_root("ol8", kernel=True)
    version, _, alma_release = KERNEL_VERSIONS[8]
    alma_kernel = f"/boot/vmlinuz-{version}-{alma_release}.noarch"
    (root.path / "boot/grub2").mkdir(parents=True)
    root.file(alma_kernel).write_text("simulated kernel\n")
    root.file(alma_kernel.replace("vmlinuz-", "initramfs-") + ".img").write_text("initramfs\n")
    sysconfig = root.path / "etc/sysconfig/kernel"
    sysconfig.parent.mkdir(parents=True, exist_ok=True)
    sysconfig.write_text("UPDATEDEFAULT=yes\nDEFAULTKERNEL=kernel-uek-core\n")
    tools = {
        "grub2-mkconfig": 'echo "# generated" > "$2"\n',
        # Remembers the default it is given (the script checks it took).
        "grubby": 'echo "$*" >> /var/tmp/grubby.log\n'
                  '[[ "$1" == --set-default ]] && echo "$2" > /var/tmp/grubby.default\n'
                  '[[ "$1" == --default-kernel ]] && { cat /var/tmp/grubby.default 2>/dev/null ||'
                  ' echo /boot/vmlinuz-5.15.0-uek; }\n'
                  'exit 0\n',
    }
    for name, body in tools.items():
        tool = root.path / "usr/bin" / name
        tool.write_text("#!/bin/bash\n" + body)
        tool.chmod(0o755)
    try:
        result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    finally:
        for name in tools:
            (root.path / "usr/bin" / name).unlink()
    assert result.returncode == EXIT["OK"], str(result)
    assert f"--set-default {alma_kernel}" in root.read("/var/tmp/grubby.log")
    assert "DEFAULTKERNEL=kernel-core\n" in sysconfig.read_text()
    assert root.read("/boot/grub2/grub.cfg") == "# generated\n"


def test_subscription_manager_stops_managing_repositories_on_rhel(
        make_root, script_args, simel_lab):
    # Otherwise rhsmcertd writes redhat.repo (RHEL's repositories) back.
    root = make_root("rhel9")
    conf = root.path / "etc/rhsm/rhsm.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text("[rhsm]\nmanage_repos = 1\nfull_refresh_on_yum = 0\n")
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    assert conf.read_text() == "[rhsm]\nmanage_repos = 0\nfull_refresh_on_yum = 0\n"
    assert "subscription-manager unregister" in result.stdout
