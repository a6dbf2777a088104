"""Host configuration that would silently change a migration's result,
proved on simulated systems with real rpm and dnf: dnf excludes, version
locks, and a CentOS Stream source's EPEL Next repositories and SSSD caches.
"""

import re

import pytest

from migrate_script import EXIT, finding_ids, load_report
from simel import NEWER, REBUILT, RPMDB_VOLATILE, diff_digests, rpms
from test_migrate_scenarios import MIGRATION_TIMEOUT, assert_migrated

REPORT = "/root/migration-report.json"
UNCHANGED_EXCEPT = (*RPMDB_VOLATILE, REPORT.lstrip("/"))
LOCK_CONF = "/etc/dnf/plugins/versionlock.conf"
LOCK_LIST = "/etc/dnf/plugins/versionlock.list"


def report_of(root):
    return load_report(root.file(REPORT))


def write(root, path, text, mode=0o644):
    target = root.path / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def unchanged(root, before):
    """Nothing but the log, the lock and the work directory differ."""
    return [d for d in diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT))
            if "var/log/almalinux-migrate.log" not in d
            and "var/lib/almalinux-migrate" not in d] == []


# ---------------------------------------------------------------- excludes
@pytest.mark.parametrize("check", [True, False], ids=["check", "migration"])
def test_exclude_hiding_a_package_to_replace_is_a_blocker_and_nothing_changes(
        check, make_root, script_args):
    root = make_root("centos-stream9")
    conf = root.read("/etc/dnf/dnf.conf")
    write(root, "/etc/dnf/dnf.conf", conf.rstrip("\n") + f"\nexclude=kernel* {NEWER}\n")
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    args = ["--check"] if check else []
    result = root.run_script(*args, "--report", REPORT, *script_args(root, yes=not check),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "package-excluded" in finding_ids(report_of(root), "blocker")
    assert "/etc/dnf/dnf.conf" in result.output and NEWER in result.output
    assert root.package("almalinux-release") is None
    assert unchanged(root, before)


# ---------------------------------------------------------------- version locks
@pytest.fixture
def locked_root(make_root):
    """A CentOS Stream 9 root whose versionlock plugin pins NEWER's build
    (AlmaLinux has a newer one)."""
    root = make_root("centos-stream9")
    pkg = root.package(NEWER)
    write(root, LOCK_CONF, f"[main]\nenabled = 1\nlocklist = {LOCK_LIST}\n")
    entry = f"{NEWER}-0:{pkg.version}-{pkg.release}.*"
    write(root, LOCK_LIST, f"# pinned by the application team\n{entry}\n")
    return root, pkg, entry


def test_locked_package_keeps_its_build_and_its_lock_stays_true(locked_root, script_args):
    root, before, entry = locked_root
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    assert "package-version-locked" in finding_ids(report_of(root), "warning")
    result = root.run_script("--report", REPORT, *script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.os_release()["ID"] == "almalinux"
    after = root.package(NEWER)
    assert (after.vendor, after.version, after.release) == \
        (before.vendor, before.version, before.release)
    assert root.package(REBUILT).vendor == "AlmaLinux"
    assert root.read(LOCK_LIST) == f"# pinned by the application team\n{entry}\n"


def test_locked_package_is_migrated_with_migrate_locked_and_the_lock_follows(
        locked_root, script_args, simel_lab):
    root, before, entry = locked_root
    result = root.run_script("--migrate-locked", *script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    after = root.package(NEWER)
    assert after.vendor == "AlmaLinux" and after.version != before.version
    lines = root.read(LOCK_LIST).splitlines()
    assert lines[0] == "# pinned by the application team"
    assert entry not in lines
    epoch = "0" if after.epoch in ("", "(none)") else after.epoch
    assert lines[1:] == [f"{NEWER}-{epoch}:{after.version}-{after.release}.*"]
    assert f"version lock {NEWER}: {entry} pinned a build that is no longer installed" \
        in root.read("/var/log/almalinux-migrate.log")


# ---------------------------------------------------------------- CentOS Stream
EPEL_NEXT = """\
[epel-next]
name=Extra Packages for Enterprise Linux 9 - Next
baseurl=file:///srv/nowhere/epel-next/
enabled=1
gpgcheck=1

[epel-next-debuginfo]
name=Extra Packages for Enterprise Linux 9 - Next - Debug
baseurl=file:///srv/nowhere/epel-next-debug/
enabled=0
"""
SSSD_CACHE = "/var/lib/sss/db/cache_example.com.ldb"


def install_sssd(root, lab, tmp_path):
    sssd = rpms.Package("sssd", "2.9.9", "1", "Example Vendor",
                        files={"/usr/share/sssd/sssd.api.conf": "[service]\n"},
                        dirs=["/usr/share/sssd"])
    built = rpms.build(lab.home, [sssd], tmp_path / "sssd", "simel-sssd")
    inside = root.path / "var/tmp" / built["sssd"].name
    inside.write_bytes(built["sssd"].read_bytes())
    installed = root.run(["rpm", "-i", "--nosignature", f"/var/tmp/{inside.name}"])
    assert installed.returncode == 0, str(installed)
    inside.unlink()


def test_stream_source_disables_epel_next_and_clears_sssd_caches(make_root, script_args,
                                                                 simel_lab, tmp_path):
    root = make_root("centos-stream9")
    install_sssd(root, simel_lab, tmp_path)
    write(root, "/etc/yum.repos.d/epel-next.repo", EPEL_NEXT)
    write(root, SSSD_CACHE, "cache written by a newer sssd\n", mode=0o600)
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    report = report_of(root)
    assert "epel-next-disabled" in finding_ids(report, "warning")
    assert not any("epel-next" in repo for repo in report["third_party_repositories"])
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.os_release()["ID"] == "almalinux"
    repo = root.read("/etc/yum.repos.d/epel-next.repo")
    sections = dict(re.findall(r"^\[([^\]]+)\]\n((?:(?!\[).*\n?)*)", repo, re.M))
    assert re.search(r"^enabled\s*=\s*0$", sections["epel-next"], re.M), repo
    assert re.search(r"^enabled\s*=\s*0$", sections["epel-next-debuginfo"], re.M), repo
    assert not root.exists(SSSD_CACHE)
    assert root.exists("/var/lib/sss/db")


def test_stream_source_without_sssd_keeps_its_sss_directory_untouched(make_root, script_args):
    root = make_root("centos-stream9")
    write(root, SSSD_CACHE, "not ours to clear\n", mode=0o600)
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.read(SSSD_CACHE) == "not ours to clear\n"
    assert "sssd is not installed: no SSSD cache to clear" in \
        root.read("/var/log/almalinux-migrate.log")
