"""Self-tests of the simulated EL harness (tests/migrate/simel).

The migration tests trust these systems to look like the real ones and the
mirror to be checked like a real one; this file proves both.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from simel import (COMMON_PREFIX, FAMILIES, NEWER, OLDER, REBUILT, RPMDB_VOLATILE,
                   SOURCE_FAMILIES, diff_digests, host_rpmdb_state)
from simel import Keyring
from simel.lab import POWER_LOSS_MARKER

# family -> (ID, VERSION_ID, NAME, release-side packages) from the contract table.
EXPECTED = {
    "centos8": ("centos", "8", "CentOS Linux",
                ["centos-linux-release", "centos-linux-repos", "centos-gpg-keys", "centos-logos"]),
    "centos-stream8": ("centos", "8", "CentOS Stream",
                       ["centos-stream-release", "centos-stream-repos", "centos-gpg-keys",
                        "centos-logos"]),
    "centos-stream9": ("centos", "9", "CentOS Stream",
                       ["centos-stream-release", "centos-stream-repos", "centos-gpg-keys",
                        "centos-logos"]),
    "centos-stream10": ("centos", "10", "CentOS Stream",
                        ["centos-stream-release", "centos-stream-repos", "centos-gpg-keys",
                         "centos-logos"]),
    "rocky9": ("rocky", "9.5", "Rocky Linux",
               ["rocky-release", "rocky-repos", "rocky-gpg-keys", "rocky-logos"]),
    "ol8": ("ol", "8.10", "Oracle Linux Server",
            ["oraclelinux-release", "oraclelinux-release-el8", "redhat-release", "oracle-logos"]),
    "rhel9": ("rhel", "9.4", "Red Hat Enterprise Linux", ["redhat-release", "redhat-logos"]),
    "rhel10": ("rhel", "10.0", "Red Hat Enterprise Linux", ["redhat-release", "redhat-logos"]),
    "almalinux9": ("almalinux", "9.8", "AlmaLinux",
                   ["almalinux-release", "almalinux-repos", "almalinux-gpg-keys",
                    "almalinux-logos"]),
    "centos7": ("centos", "7", "CentOS Linux", ["centos-release", "centos-logos"]),
    "fedora": ("fedora", "41", "Fedora Linux", ["fedora-release-common", "fedora-repos"]),
}
EXPECTED_REPO_IDS = {
    "centos8": {"baseos", "appstream", "powertools", "extras"},
    "centos-stream8": {"baseos", "appstream", "powertools", "extras"},
    "centos-stream9": {"baseos", "appstream", "crb", "extras-common"},
    "centos-stream10": {"baseos", "appstream", "crb", "extras-common"},
    "rocky9": {"baseos", "appstream", "crb", "extras"},
    "ol8": {"ol8_baseos_latest", "ol8_appstream"},
    "rhel9": {"rhel-9-for-{arch}-baseos-rpms", "rhel-9-for-{arch}-appstream-rpms"},
    "rhel10": {"rhel-10-for-{arch}-baseos-rpms", "rhel-10-for-{arch}-appstream-rpms"},
    "almalinux9": {"baseos", "appstream", "extras", "crb"},
}


def repo_ids(root):
    ids = set()
    for repo in (root.path / "etc/yum.repos.d").glob("*.repo"):
        ids |= {line.strip()[1:-1] for line in repo.read_text().splitlines()
                if line.strip().startswith("[")}
    return ids


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if str(path) in line]


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_family_root_has_its_os_release_and_release_packages(make_root, simel_lab, family):
    root = make_root(family)
    os_id, version_id, name, release_pkgs = EXPECTED[family]
    info = root.os_release()
    assert (info["ID"], info["VERSION_ID"], info["NAME"]) == (os_id, version_id, name)
    installed = {p.name: p for p in root.packages()}
    assert set(release_pkgs) <= set(installed)
    key = simel_lab.key(FAMILIES[family].signing_key)
    assert {p.keyid for p in installed.values()} == {key.keyid}
    assert {p.vendor for p in installed.values()} == {FAMILIES[family].vendor}
    assert key.short_id in root.imported_keys()
    for path in ("/etc/redhat-release", "/etc/system-release"):
        assert root.read(path).strip(), path


@pytest.mark.parametrize("family", sorted(EXPECTED_REPO_IDS))
def test_family_root_has_its_real_repo_files_and_no_build_repo(make_root, simel_lab, family):
    root = make_root(family)
    expected = {r.format(arch=simel_lab.arch) for r in EXPECTED_REPO_IDS[family]}
    assert repo_ids(root) == expected
    text = "".join(p.read_text() for p in (root.path / "etc/yum.repos.d").glob("*.repo"))
    assert "baseurl=file://" not in text  # the build-time repository left no trace


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_dnf_inside_the_root_sees_the_release_and_releasever(make_root, family):
    root = make_root(family)
    major = FAMILIES[family].major
    result = root.run(["dnf", "-q", "--disablerepo=*", "repoquery", "--installed",
                       "--whatprovides", "system-release(releasever)",
                       "--qf", "%{name}"])
    assert result.returncode == 0, result
    assert result.stdout.split() == [EXPECTED[family][3][0]]
    result = root.run(["/usr/bin/python3", "-c",
                       "import dnf.rpm; print(dnf.rpm.detect_releasever('/'))"])
    assert result.stdout.strip() == str(major), result


def test_release_package_cannot_be_erased_without_a_replacement(make_root):
    root = make_root("centos8")
    result = root.run(["rpm", "-e", "--test", "centos-linux-release"])
    assert result.returncode != 0
    assert f"{COMMON_PREFIX}0001" in result.stderr


def test_ol8_root_has_the_virt_module_on_its_ol_stream(make_root, simel_lab):
    root = make_root("ol8")
    module = root.read("/etc/dnf/modules.d/virt.module")
    assert "stream=ol" in module and "state=enabled" in module
    assert root.package("simel-virt").release.startswith("1.module+el8")
    result = root.run(["dnf", "-q", "--disablerepo=*",
                       f"--repofrompath=alma,file:///srv/mirror/8/AppStream/{simel_lab.arch}/os",
                       "--setopt=alma.gpgcheck=0", "module", "list", "virt"])
    assert result.returncode == 0, result
    assert ["virt", "rhel"] in [l.split()[:2] for l in result.stdout.splitlines()
                                if l.startswith("virt")], result


def test_root_has_the_el_base_layout(make_root):
    root = make_root("centos-stream9")
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                         ("lib64", "usr/lib64"), ("etc/yum.conf", "dnf/dnf.conf")):
        assert (root.path / link).readlink() == Path(target)
    assert "gpgcheck=1" in root.read("/etc/yum.conf").splitlines()
    assert root.read("/etc/rpm/macros.dbpath").strip() == "%_dbpath /var/lib/rpm"
    assert root.read("/etc/passwd").startswith("root:x:0:0:")
    result = root.run(["bash", "-c", "awk 'BEGIN { print 6 * 7 }'; id -un; command -v yum dnf"])
    assert result.stdout.split()[:2] == ["42", "root"], result
    assert result.returncode == 0, result
    assert not root.exists("/sys/firmware/efi")


def test_kernel_root_keeps_both_kernels_after_an_update(make_root, simel_lab):
    assert make_root("centos-stream9").package("kernel-core") is None
    root = make_root("centos-stream9", kernel=True)
    assert root.package("kernel-core").vendor == "CentOS"
    result = root.run([a.format(arch=simel_lab.arch) for a in UPGRADE_FROM_MIRROR[:-2]]
                      + ["upgrade", "kernel"])
    assert result.returncode == 0, result
    kernels = sorted((p.version, p.release, p.vendor) for p in root.packages()
                     if p.name == "kernel-core")
    assert kernels == [("5.14.0", "427.13.1.el9", "CentOS"),
                       ("5.14.0", "503.11.1.el9", "AlmaLinux")]


def test_debian_root_is_not_rpm_based(make_root):
    root = make_root("debian")
    assert root.os_release()["ID"] == "debian"
    assert not root.exists("/var/lib/rpm")
    assert root.packages() == []


def test_roots_are_private_copies(make_root, simel_lab):
    first, second = make_root("centos8"), make_root("centos8")
    (first.path / "etc/motd").write_text("changed\n")
    assert not second.exists("/etc/motd")
    assert not simel_lab.golden("centos8").exists("/etc/motd")
    with pytest.raises(RuntimeError, match="golden root"):
        simel_lab.golden("centos8").run(["true"])


@pytest.mark.parametrize("major", [8, 9, 10])
def test_mirror_is_laid_out_like_the_official_tree(alma_mirror, simel_lab, major):
    top = alma_mirror.path
    assert (top / f"RPM-GPG-KEY-AlmaLinux-{major}").read_text() == \
        simel_lab.alma_key(major).public_key.read_text()
    extra = "PowerTools" if major == 8 else "CRB"
    for repo in ("BaseOS", "AppStream", "extras", extra):
        assert (alma_mirror.tree(major, repo) / "repodata/repomd.xml").is_file()
    assert (alma_mirror.tree(major, "BaseOS") / "Packages").is_dir()


@pytest.mark.parametrize("major", [8, 9, 10])
def test_mirror_packages_are_almalinux_builds_signed_by_the_test_key(
        alma_mirror, simel_lab, major):
    keyid = simel_lab.alma_key(major).keyid
    paths = list(alma_mirror.packages[major].values())
    out = simel_lab.home.rpm("-qp", "--qf", "%{NAME} %{VENDOR} %{RSAHEADER:pgpsig}\\n",
                             *paths).stdout
    lines = [l for l in out.splitlines() if l.strip() and not l.startswith("warning:")]
    assert len(lines) == len(paths)
    for line in lines:
        assert " AlmaLinux " in line and line.endswith(keyid), line
    names = set(alma_mirror.packages[major])
    assert {"almalinux-release", "almalinux-logos", NEWER, OLDER, REBUILT} <= names
    assert ("almalinux-repos" in names) == (major != 8)


def test_mirror_differs_from_the_sources_as_the_migration_needs(alma_mirror, simel_lab):
    source = simel_lab.family_repo("centos-stream9")
    def versions(paths):
        out = simel_lab.home.rpm("-qp", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n",
                                 *paths).stdout
        return dict(l.split() for l in out.splitlines() if l and not l.startswith("warning"))
    src = versions(sorted(source.glob("Packages/*.rpm")))
    alma = versions(alma_mirror.packages[9].values())
    assert alma[NEWER] > src[NEWER] and alma[OLDER] < src[OLDER]
    assert alma[REBUILT] == src[REBUILT]
    assert all(alma[n] == src[n] for n in src if n.startswith(COMMON_PREFIX))


# dnf with gpgcheck=1 inside a CentOS Stream 9 root, upgrading simel-newer
# from the mirror's BaseOS: works from the good mirror, refused from each bad one.
UPGRADE_FROM_MIRROR = [
    "dnf", "-y", "--disablerepo=*",
    "--repofrompath=alma,file:///srv/mirror/9/BaseOS/{arch}/os",
    "--setopt=alma.gpgcheck=1",
    "--setopt=alma.gpgkey=file:///srv/mirror/RPM-GPG-KEY-AlmaLinux-9",
    "upgrade", NEWER,
]


def upgrade_newer(root, mirror, arch):
    return root.run([a.format(arch=arch) for a in UPGRADE_FROM_MIRROR], mirror=mirror)


def test_dnf_upgrades_from_the_good_mirror(make_root, alma_mirror, simel_lab):
    root = make_root("centos-stream9")
    result = upgrade_newer(root, alma_mirror, simel_lab.arch)
    assert result.returncode == 0, result
    pkg = root.package(NEWER)
    assert (pkg.version, pkg.vendor, pkg.keyid) == ("1.1", "AlmaLinux",
                                                    simel_lab.alma_key(9).keyid)


@pytest.mark.parametrize("defect", ["tampered", "unsigned", "unknown_key"])
def test_dnf_with_gpgcheck_refuses_a_bad_package(make_root, bad_mirror, simel_lab, defect):
    mirror = bad_mirror(**{defect: NEWER})
    root = make_root("centos-stream9")
    result = upgrade_newer(root, mirror, simel_lab.arch)
    assert result.returncode != 0, result
    assert root.package(NEWER).version == "1.0"


def test_power_loss_package_kills_the_transaction_once(make_root, bad_mirror, simel_lab):
    root = make_root("centos-stream9")
    mirror = bad_mirror(power_loss=NEWER)
    upgrade = ["bash", "-c", " ".join(UPGRADE_FROM_MIRROR).format(arch=simel_lab.arch)
               + "; echo survived"]
    first = root.run(upgrade, mirror=mirror)
    assert first.killed and "survived" not in first.stdout, first
    assert root.exists(POWER_LOSS_MARKER)
    assert root.package(NEWER).version == "1.0"
    assert root.kill_leftovers() == [] and mounts_under(root.path) == []
    second = root.run(upgrade, mirror=mirror)
    assert second.returncode == 0 and "survived" in second.stdout, second
    assert root.package(NEWER).version == "1.1"


def test_failing_pre_package_is_skipped_while_dnf_shell_exits_0(make_root, bad_mirror,
                                                                simel_lab):
    # The premise of the script's rpm-database check after each transaction.
    root = make_root("centos-stream9")
    mirror = bad_mirror(failing_pre=NEWER)
    commands = "upgrade " + NEWER + "\\nrun\\n"
    shell = " ".join(UPGRADE_FROM_MIRROR[:-2]).format(arch=simel_lab.arch)
    result = root.run(["bash", "-c", f"printf '{commands}' >/tmp/t.dnf; {shell} shell /tmp/t.dnf"],
                      mirror=mirror)
    assert result.returncode == 0, result
    assert "Error in PREIN scriptlet" in result.output, result
    assert root.package(NEWER).version == "1.0"


def test_tampered_package_keeps_its_signature_but_fails_the_digest(bad_mirror, simel_lab):
    path = bad_mirror(tampered=NEWER).rpm(9, NEWER)
    result = simel_lab.home.rpm("-K", "--nosignature", path, check=False)
    assert result.returncode != 0
    assert "digests SIGNATURES NOT OK" in result.stdout or "NOT OK" in result.stdout


def test_wrong_key_mirror_serves_another_fingerprint(bad_mirror, simel_lab):
    mirror = bad_mirror(wrong_key=True)
    assert (mirror.path / "RPM-GPG-KEY-AlmaLinux-9").read_text() == \
        simel_lab.key("unknown").public_key.read_text()
    assert simel_lab.mirror.path != mirror.path


def test_missing_package_mirror_lacks_only_that_package(bad_mirror, alma_mirror):
    mirror = bad_mirror(missing=OLDER)
    assert OLDER not in mirror.packages[9]
    assert set(mirror.packages[9]) == set(alma_mirror.packages[9]) - {OLDER}
    assert not list(mirror.tree(9, "BaseOS").glob(f"Packages/{OLDER}-*"))


def test_entering_twice_works_and_leaves_no_mounts(make_root):
    root = make_root("rocky9")
    for _ in range(2):
        result = root.run(["bash", "-c", "grep -c . /proc/self/mountinfo >/dev/null; "
                           "test -f /srv/script/almalinux-migrate.sh && "
                           "test -d /srv/mirror/9 && rpm -q rocky-release"])
        assert result.returncode == 0, result
        assert result.stdout.startswith("rocky-release-9.5")
    assert mounts_under(root.path) == []
    assert root.kill_leftovers() == []


def test_binds_are_read_only_and_the_environment_is_clean(make_root):
    root = make_root("centos8")
    result = root.run(["bash", "-c", "touch /srv/mirror/x /srv/script/x 2>&1; env | sort"])
    assert result.stdout.count("Read-only file system") == 2, result
    env = dict(l.split("=", 1) for l in result.stdout.splitlines() if "=" in l
               and not l.startswith("touch"))
    assert env["PATH"] == "/usr/sbin:/usr/bin" and env["HOME"] == "/root"
    assert env["LANG"] == "C.UTF-8" and "PYTEST_CURRENT_TEST" not in env


def test_files_installed_inside_stay_in_the_root(make_root):
    root = make_root("centos8")
    result = root.run(["bash", "-c", "echo sim > /usr/share/simel-probe"])
    assert result.returncode == 0, result
    assert (root.path / "usr/share/simel-probe").read_text() == "sim\n"
    assert not Path("/usr/share/simel-probe").exists()


def test_rpm_query_inside_the_root_changes_only_the_sqlite_index(make_root):
    root = make_root("centos-stream9")
    before = root.digest()
    result = root.run(["rpm", "-qa"])
    assert result.returncode == 0 and "centos-stream-release" in result.stdout
    changed = {line.split(":")[0][2:] for line in diff_digests(before, root.digest())}
    assert changed <= set(RPMDB_VOLATILE)
    assert diff_digests(root.digest(exclude=RPMDB_VOLATILE),
                        digest_without(before, RPMDB_VOLATILE)) == []


def digest_without(digest, excluded):
    return {path: value for path, value in digest.items() if path not in excluded}


def test_digest_sees_a_one_byte_change(make_root):
    root = make_root("centos-stream9")
    before = root.digest()
    repo = root.path / "etc/yum.repos.d/centos.repo"
    repo.write_text(repo.read_text().replace("enabled=1", "enabled=0", 1))
    assert diff_digests(before, root.digest()) == [
        f"~ etc/yum.repos.d/centos.repo: {before['etc/yum.repos.d/centos.repo']} -> "
        f"{root.digest()['etc/yum.repos.d/centos.repo']}"]


def test_exit_status_output_and_stdin_are_passed_through(make_root):
    root = make_root("centos8")
    result = root.run(["bash", "-c", "read -r answer; echo \"got $answer\"; echo err >&2; exit 7"],
                      input="yes\n")
    assert (result.returncode, result.stdout, result.stderr) == (7, "got yes\n", "err\n")


def test_timeout_kills_the_whole_tree(make_root):
    root = make_root("centos8")
    # setsid: a process outside the group, still holding the output pipes.
    result = root.run(["bash", "-c", "setsid sleep 60 & sleep 60"], timeout=1)
    assert result.timed_out and result.killed
    assert root.kill_leftovers() == []
    assert mounts_under(root.path) == []


def test_runs_of_one_root_from_two_threads_take_turns(make_root):
    root = make_root("centos8")
    log = "/var/tmp/turns"
    step = f"echo start >> {log}; sleep 0.5; echo end >> {log}"
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: root.run(["bash", "-c", step]), range(2)))
    assert [r.returncode for r in results] == [0, 0]
    assert root.read(log).split() == ["start", "end", "start", "end"]


def test_a_daemon_left_behind_is_ended_with_the_run(make_root):
    root = make_root("centos8")
    result = root.run(["bash", "-c", "setsid sleep 60 >/dev/null 2>&1 < /dev/null & echo started"])
    assert result.returncode == 0 and result.stdout == "started\n"
    assert root.kill_leftovers() == [] and mounts_under(root.path) == []


def test_setarch_changes_the_architecture_the_script_sees(make_root):
    root = make_root("centos-stream9")
    assert root.run(["uname", "-m"], setarch="i686").stdout.strip() == "i686"


def test_inject_kill_stops_the_script_then_remove_faults_restores_dnf(make_root):
    root = make_root("centos8")
    root.inject_kill("dnf", match="distro-sync", when="before")
    script = "dnf --version >/dev/null && echo first; dnf -q distro-sync --disablerepo='*'; echo survived"
    result = root.run(["bash", "-c", script])
    assert result.killed, result
    assert "first" in result.stdout and "survived" not in result.stdout
    assert root.fault_fired("dnf")
    assert root.kill_leftovers() == [] and mounts_under(root.path) == []
    root.remove_faults()
    result = root.run(["bash", "-c", script])
    assert result.returncode == 0 and "survived" in result.stdout, result


def test_inject_kill_on_the_kth_call_after_running_it(make_root):
    root = make_root("centos8")
    root.inject_kill("rpm", call=2, when="after")
    result = root.run(["bash", "-c", "rpm -q centos-logos; rpm -q centos-gpg-keys; echo no"])
    assert result.killed
    assert result.stdout.split() == ["centos-logos-85.8-2.el8.noarch",
                                     "centos-gpg-keys-8-3.el8.noarch"]


def test_trace_commands_records_each_call(make_root):
    root = make_root("centos8")
    root.trace_commands(("rpm",))
    root.run(["bash", "-c", "rpm -q centos-logos; rpm -qa >/dev/null"])
    assert [args for _, cmd, args in root.traced_calls()] == ["-q centos-logos", "-qa"]


def test_tracing_and_a_fault_on_the_same_command_combine(make_root):
    root = make_root("centos8")
    root.trace_commands(("rpm",))
    root.inject_kill("rpm", call=2, when="before")
    result = root.run(["bash", "-c", "rpm -q centos-logos; rpm -qa; echo no"])
    assert result.killed and "no" not in result.stdout.split()
    assert [args for _, cmd, args in root.traced_calls()] == ["-q centos-logos", "-qa"]


def test_http_mirror_can_be_slow(make_root, http_mirror):
    root = make_root("centos8")
    server = http_mirror()
    server.delay = 3
    result = root.run(["curl", "-fsS", "--max-time", "1", f"{server.url}/RPM-GPG-KEY-AlmaLinux-8",
                       "-o", "/dev/null"])
    assert result.returncode == 28, result   # curl: operation timed out


def test_http_mirror_serves_then_drops_connections(make_root, http_mirror):
    root = make_root("centos8")
    server = http_mirror()
    fetch = ["curl", "-fsS", f"{server.url}/RPM-GPG-KEY-AlmaLinux-8", "-o", "/dev/null"]
    assert root.run(fetch).returncode == 0
    server.fail_after(1)
    assert root.run(fetch).returncode == 0
    result = root.run(fetch)
    assert result.returncode != 0, result
    assert server.dropped == ["/RPM-GPG-KEY-AlmaLinux-8"]
    server.recover()
    assert root.run(fetch).returncode == 0


def test_third_party_repository_is_installed_enabled_and_reachable(make_root):
    root = make_root("rocky9", third_party=True)
    assert "epel-sim" in repo_ids(root)
    assert root.package("epel-sim-hello").vendor == "Fedora Project"
    result = root.run(["dnf", "-q", "--disablerepo=*", "--enablerepo=epel-sim",
                       "repoquery", "--qf", "%{name}", "epel-sim-hello"])
    assert result.returncode == 0 and result.stdout.split() == ["epel-sim-hello"], result


def test_every_source_family_is_supported_and_built(simel_lab):
    assert set(SOURCE_FAMILIES) == {
        "centos8", "centos-stream8", "centos-stream9", "centos-stream10",
        "rocky9", "ol8", "rhel9", "rhel10"}


def test_keyring_close_stops_its_gpg_agent(tmp_path):
    keyring = Keyring(tmp_path / "keys")
    key = keyring.create("probe", "Probe key <probe@simel.invalid>")
    assert len(key.fingerprint) == 40 and "BEGIN PGP PUBLIC KEY" in key.public_key.read_text()
    assert agents_for(keyring.gnupghome)
    keyring.close()
    assert agents_for(keyring.gnupghome) == []


def test_keyring_in_a_deep_directory_keeps_an_agent_and_leaves_no_home_behind(tmp_path):
    # Deeper than a Unix socket path allows, were the agent's sockets there.
    deep = tmp_path / ("d" * 80) / "keys"
    keyring = Keyring(deep)
    keyring.create("probe", "Probe key <probe@simel.invalid>")
    data, subkey = keyring.variant("probe", deep.parent / "variant", signing_subkey=True)
    assert subkey and data
    keyring.close()
    assert not keyring.gnupghome.exists()


def agents_for(gnupghome):
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "gpg-agent" in cmdline and str(gnupghome) in cmdline:
            pids.append(proc.name)
    return pids


def test_host_rpm_database_is_untouched(simel_lab, make_root, host_rpmdb_before):
    root = make_root("centos8")
    root.packages()
    root.run(["rpm", "-qa"])
    assert host_rpmdb_state() == host_rpmdb_before


def test_http_mirror_can_stall_redirect_and_record_logins(make_root, http_mirror):
    root = make_root("centos8")
    server = http_mirror()
    server.redirects["/moved"] = "/RPM-GPG-KEY-AlmaLinux-8"
    moved = root.run(["curl", "-fsSL", "-u", "u:p", f"{server.url}/moved", "-o", "/dev/null"])
    assert moved.returncode == 0, moved
    assert server.requests == ["/moved", "/RPM-GPG-KEY-AlmaLinux-8"]
    assert server.authorizations[0] == ("/moved", "Basic dTpw")
    server.stall_now()
    stalled = root.run(["curl", "-fsS", "--max-time", "2", f"{server.url}/RPM-GPG-KEY-AlmaLinux-8",
                        "-o", "/dev/null"])
    assert stalled.returncode == 28, stalled   # accepted, then nothing: timed out
    assert server.stalls == ["/RPM-GPG-KEY-AlmaLinux-8"]
    server.recover()
    assert root.run(["curl", "-fsS", f"{server.url}/RPM-GPG-KEY-AlmaLinux-8",
                     "-o", "/dev/null"]).returncode == 0


def test_http_mirror_can_stall_only_on_matching_paths(make_root, http_mirror):
    root = make_root("centos8")
    server = http_mirror()
    server.stall_matching(r"/repodata/")
    key = root.run(["curl", "-fsS", "--max-time", "5", f"{server.url}/RPM-GPG-KEY-AlmaLinux-8",
                    "-o", "/dev/null"])
    assert key.returncode == 0, key   # not matching: served
    repomd = "/8/BaseOS/x86_64/os/repodata/repomd.xml"
    stalled = root.run(["curl", "-fsS", "--max-time", "2", f"{server.url}{repomd}",
                        "-o", "/dev/null"])
    assert stalled.returncode == 28, stalled
    assert server.stalls == [repomd]
    server.recover()
    assert root.run(["curl", "-fsS", f"{server.url}{repomd}", "-o", "/dev/null"]).returncode == 0
