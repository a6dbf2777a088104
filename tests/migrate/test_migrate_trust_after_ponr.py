"""Nothing unverified is installed after the point of no return, and dnf
trusts only what the script configures.

The attacks: a mirror offers, for a step after the point of no return, a
package signed by a key the system's rpm database already trusts (the source
vendor's: every simulated root has it imported), or swaps a package in a
file:// tree after its copy was verified; the host's dnf.conf turns TLS
verification off and adds a repository; the mirror's repomd.xml signature
is bad; the mirror serves an old release.
"""

import re
import shutil
from pathlib import Path

import pytest

from simel import NEWER, OLDER, REBUILT, rpms
from test_migrate_scenarios import (EXIT, MIGRATION_TIMEOUT, assert_migrated, snapshot,
                                    state_of)

WORK_DIR = "/var/lib/almalinux-migrate"
CACHE = f"{WORK_DIR}/cache"
REPO_FILE = f"{WORK_DIR}/repos.d/almalinux-migrate.repo"


def refused(output, package):
    """Whether the script's signature-check failure names `package`'s file."""
    return ("package signature check failed" in output
            and re.search(rf"^\s+{re.escape(package)}-[^ /]+\.rpm: .*NOT OK", output, re.M))


def foreign_builds(root, lab):
    """AlmaLinux-built packages in the rpm database not signed by AlmaLinux's key."""
    alma = lab.alma_key(root.family.major).keyid
    return [p for p in root.packages() if p.vendor == "AlmaLinux" and p.keyid != alma]


def wrap(root, command, match, action):
    """Make `command` run the shell code `action` once, first, when its
    arguments contain `match` (a wrapper in the root's /usr layer)."""
    hide = root.path / "usr/libexec/ponr-test"
    hide.mkdir(parents=True, exist_ok=True)
    shutil.copy2(Path("/usr/bin", command).resolve(), hide / command)
    wrapper = root.path / "usr/bin" / command
    wrapper.write_text(f"""#!/bin/bash
if [[ " $* " == *"{match}"* && ! -e /usr/libexec/ponr-test/fired ]]; then
  : > /usr/libexec/ponr-test/fired
  {action}
fi
exec /usr/libexec/ponr-test/{command} "$@"
""")
    wrapper.chmod(0o755)

    def remove():
        wrapper.unlink()
        shutil.rmtree(hide)
    return remove


def lose_cache(root):
    """The script's package and metadata cache is gone (removed by hand between runs)."""
    shutil.rmtree(root.path / CACHE.lstrip("/"))


@pytest.mark.parametrize("family", ["rocky9", "ol8"])
def test_after_the_point_of_no_return_dnf_installs_only_from_the_verified_cache(
        family, make_root, script_args, simel_lab):
    # ol8 also remaps its virt module: its packages are fetched before, too.
    root = make_root(family)
    root.trace_commands(("rpm", "rpmkeys", "dnf"))
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    calls = [(c, a) for _, c, a in root.traced_calls()
             if not (c == "rpmkeys" and a.endswith(" -"))]   # dnf's own checks
    first_change = calls.index(
        ("rpm", f"--import {WORK_DIR}/RPM-GPG-KEY-AlmaLinux-{root.family.major}"))
    checks = [i for i, (c, a) in enumerate(calls) if c == "rpmkeys" and "--checksig" in a]
    assert checks and max(checks) < first_change, calls
    after = [a.split() for c, a in calls[first_change:] if c == "dnf"]
    assert after
    for args in after:
        # A change runs from the cache only; a download pass finds it all
        # there (no new package, so no signature check after the change).
        assert "--cacheonly" in args or "--downloadonly" in args, args
        assert f"--config={WORK_DIR}/repos.d/dnf.conf" in args, args
    assert any("--cacheonly" in args and "shell" in args for args in after)
    if family == "ol8":
        assert "virt: stream ol remapped to rhel" in result.stdout
        assert root.package("simel-virt").keyid == simel_lab.alma_key(8).keyid


def test_file_mirror_tree_swapped_after_verification_is_not_installed(
        make_root, script_args, simel_lab, bad_mirror):
    root = make_root("centos-stream9")
    live = root.path / "srv/live-mirror"
    shutil.copytree(simel_lab.mirror.path, live)
    # What the tree turns into at the point of no return (the script's
    # first change, importing the key): NEWER signed by CentOS's key, which
    # the system trusts, with consistent metadata.
    evil = bad_mirror(foreign_key=(NEWER, "centos"))
    shutil.copytree(evil.path, root.path / "srv/evil-mirror")
    remove = wrap(root, "rpm", "--import", "cp -a /srv/evil-mirror/. /srv/live-mirror/")
    try:
        result = root.run_script(*script_args(root, mirror_url="file:///srv/live-mirror"),
                                 timeout=MIGRATION_TIMEOUT)
    finally:
        remove()
    swapped = live / evil.rpm(9, NEWER).relative_to(evil.path)
    assert swapped.read_bytes() == evil.rpm(9, NEWER).read_bytes(), "the tree was not swapped"
    assert_migrated(root, simel_lab, result)
    assert root.package(NEWER).keyid == simel_lab.alma_key(9).keyid
    assert foreign_builds(root, simel_lab) == []


def test_remapped_module_package_signed_by_a_trusted_vendor_key_is_refused(
        make_root, script_args, simel_lab, bad_mirror):
    # The virt:rhel build is needed only once the module stream is switched;
    # it is fetched and checked before the point of no return all the same.
    root = make_root("ol8")
    before = snapshot(root)
    mirror = bad_mirror(foreign_key=("simel-virt", "oracle"))
    result = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert refused(result.output, "simel-virt"), str(result)
    assert "Nothing was changed" in result.output
    assert snapshot(root) == before
    assert foreign_builds(root, simel_lab) == []


def test_duplicate_reinstall_signed_by_a_trusted_vendor_key_is_refused(
        make_root, script_args, simel_lab, bad_mirror):
    root = make_root("centos-stream9")
    # Power lost inside the swap transaction: REBUILT (a reinstall) is in the
    # rpm database twice. The cache is lost, and the mirror now serves a
    # REBUILT signed by CentOS's key.
    first = root.run_script(*script_args(root), mirror=bad_mirror(power_loss=OLDER),
                            timeout=MIGRATION_TIMEOUT)
    assert first.killed, str(first)
    assert len([p for p in root.packages() if p.name == REBUILT]) == 2
    lose_cache(root)
    second = root.run_script(*script_args(root), mirror=bad_mirror(foreign_key=(REBUILT, "centos")),
                             timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["RESUME"], str(second)
    assert refused(second.output, REBUILT), str(second)
    assert foreign_builds(root, simel_lab) == []
    # Checked before its database entries went: both are still there.
    assert len([p for p in root.packages() if p.name == REBUILT]) == 2
    # Once the mirror is good again (and the refused mirror's metadata gone
    # from the cache), the migration finishes.
    lose_cache(root)
    third = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, third)


def test_fallback_distro_sync_package_signed_by_a_trusted_vendor_key_is_refused(
        make_root, script_args, simel_lab, bad_mirror):
    root = make_root("centos-stream9")
    # Power lost late in the swap transaction (in OLDER's %pre): the release
    # is swapped, OLDER not yet downgraded; the resumed run's own distro-sync
    # has to do it. The cache is lost and the mirror's OLDER is signed by
    # CentOS's key.
    first = root.run_script(*script_args(root), mirror=bad_mirror(power_loss=OLDER),
                            timeout=MIGRATION_TIMEOUT)
    assert first.killed, str(first)
    lose_cache(root)
    second = root.run_script(*script_args(root), mirror=bad_mirror(foreign_key=(OLDER, "centos")),
                             timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["RESUME"], str(second)
    assert "==> distro-sync" in second.stdout, str(second)
    assert state_of(root)["STEP"] == "configure-repos"
    assert refused(second.output, OLDER), str(second)
    assert root.package(OLDER).version == "2.0"
    assert foreign_builds(root, simel_lab) == []


def test_resume_with_another_mirror_checks_its_packages_before_using_it(
        make_root, script_args, simel_lab, bad_mirror):
    root = make_root("rocky9")
    root.inject_kill("dnf", match=" shell ", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and state_of(root)["PONR"] == "1", str(first)
    root.remove_faults()
    other = "file:///srv/other-mirror"
    evil = bad_mirror(foreign_key=(NEWER, "rocky"))
    second = root.run_script(*script_args(root, mirror_url=other),
                             binds={"/srv/other-mirror": evil.path}, timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["RESUME"], str(second)
    assert f"checking {other} before using it" in second.output, str(second)
    assert refused(second.output, NEWER), str(second)
    assert root.package(NEWER).version == "1.0"
    assert foreign_builds(root, simel_lab) == []
    assert state_of(root)["MIRROR"] == "file:///srv/mirror"
    # A good mirror at that address is checked the same way, then used.
    third = root.run_script(*script_args(root, mirror_url=other),
                            binds={"/srv/other-mirror": simel_lab.mirror.path},
                            timeout=MIGRATION_TIMEOUT)
    assert "going back to file:///srv/mirror's key and repositories" in third.output, str(third)
    assert f"mirror {other}: key and packages verified" in third.output, str(third)
    assert_migrated(root, simel_lab, third)
    assert state_of(root)["MIRROR"] == other


def test_host_dnf_conf_repositories_and_tls_settings_do_not_leak_into_the_migration(
        make_root, script_args, simel_lab, tmp_path):
    root = make_root("rocky9")
    # An enabled repository in dnf.conf offering a newer NEWER (of a key no
    # one trusts), TLS verification off, and a proxy (carried over).
    evil = tmp_path / "evil"
    pkg = rpms.Package(NEWER, "9.9", "1.el9", "Evil Corp")
    built = rpms.build(simel_lab.home, [pkg], evil / "Packages", "ponr-evil")
    rpms.sign(simel_lab.home, simel_lab.key("unknown"), built.values())
    rpms.createrepo(evil)
    conf = root.path / "etc/dnf/dnf.conf"
    conf.write_text(conf.read_text() + "sslverify=0\nproxy=http://proxy.example.invalid:3128\n"
                    "proxy_username=migrator\nproxy_password=s3cret\n\n[evil]\nname=evil\n"
                    "baseurl=file:///srv/evil\nenabled=1\ngpgcheck=0\n")
    remove = wrap(root, "dnf", "--config=", 'for a; do [[ $a == --config=* ]] && '
                      'cp -- "${a#--config=}" /var/tmp/migration-dnf.conf; done')
    try:
        result = root.run_script(*script_args(root), binds={"/srv/evil": evil},
                                 timeout=MIGRATION_TIMEOUT)
    finally:
        remove()
    assert_migrated(root, simel_lab, result)
    assert root.package(NEWER).version == "1.1"
    used = root.read("/var/tmp/migration-dnf.conf")
    assert re.findall(r"^\[.*\]$", used, re.M) == ["[main]"], used
    assert re.search(r"^sslverify=1$", used, re.M), used
    assert "sslverify=0" not in used
    assert re.search(r"^proxy=http://proxy\.example\.invalid:3128$", used, re.M), used
    assert re.search(r"^proxy_username=migrator$", used, re.M), used


@pytest.mark.parametrize("signature", ["good", "bad"])
def test_signed_repository_metadata_is_checked_without_touching_the_rpm_database(
        signature, make_root, script_args, simel_lab, bad_mirror):
    root = make_root("centos-stream9")
    before = snapshot(root)
    mirror = bad_mirror(signed_metadata=signature)
    # Stop at the script's first change (importing the AlmaLinux key).
    root.inject_kill("rpm", match="--import", when="before")
    result = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    if signature == "bad":
        assert result.returncode == EXIT["RESTORED"], str(result)
        assert "cannot read the AlmaLinux repository metadata" in result.output, str(result)
        assert re.search(r"repomd\.xml GPG signature verification error", result.output), str(result)
        assert not root.fault_fired("rpm")
        assert snapshot(root) == before
        return
    assert result.killed and root.fault_fired("rpm"), str(result)
    assert re.findall(r"^repo_gpgcheck=(\d)$", root.read(REPO_FILE), re.M) == ["1"] * 4
    assert "signed metadata (repomd.xml.asc, checked): baseos appstream crb extras" in \
        root.read("/var/log/almalinux-migrate.log")
    # Everything was downloaded and checked, and dnf imported no key.
    assert root.imported_keys() == before["imported keys"]
    root.remove_faults()
    second = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, second)


def test_check_warns_when_the_mirror_serves_an_older_release(
        make_root, script_args, bad_mirror):
    root = make_root("rocky9")
    warning = "older than AlmaLinux 9.8 (the newest this script knows)"
    good = root.run_script("--check", *script_args(root, yes=False))
    assert good.returncode == EXIT["OK"], str(good)
    assert warning not in good.output
    old = root.run_script("--check", "--log", "/var/log/check.log",
                          *script_args(root, yes=False), mirror=bad_mirror(old_release=True))
    assert old.returncode == EXIT["OK"], str(old)   # a warning, not a blocker
    assert f"the mirror serves almalinux-release 9.0, {warning}" in old.stdout, str(old)
    assert warning in root.read("/var/log/check.log")


def test_key_of_a_mirror_refused_on_resume_never_reaches_the_rpm_database(
        make_root, script_args, simel_lab, bad_mirror):
    root = make_root("centos-stream9")
    root.inject_kill("dnf", match=" shell ", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and state_of(root)["PONR"] == "1", str(first)
    root.remove_faults()
    other = "file:///srv/other-mirror"
    second = root.run_script(*script_args(root, mirror_url=other),
                             binds={"/srv/other-mirror": bad_mirror(wrong_key=True).path},
                             timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["RESUME"], str(second)
    assert f"checking {other} before using it" in second.output, str(second)
    assert "refusing the AlmaLinux key" in second.output, str(second)
    # Resumed without --mirror: the interrupted run's mirror and its
    # verified key are back; the refused key is imported nowhere.
    third = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert "going back to file:///srv/mirror's key and repositories" in third.output, str(third)
    assert_migrated(root, simel_lab, third)
    assert simel_lab.key("unknown").short_id not in root.imported_keys()
