"""EL8 module streams AlmaLinux names differently (Oracle Linux 8's virt:ol)
are switched inside the swap transaction itself, so rpm's test transaction
before the point of no return and --check's resolution see exactly what the
swap after it runs: the modular packages of the AlmaLinux stream.

The faults, each only the AlmaLinux stream brings: its simel-virt ships a
file a local package on the host already owns (dnf's resolution has nothing
against it; rpm's test of the swap sees it), or needs the source's newer
simel-older, which the distro-sync downgrades (dnf would remove it). dnf
writes the module state even under tsflags=test when the package
transaction comes out empty: a stand-in for dnf provokes that. Resumes
switch a stream once: in the swap, or after a swap that could not.
"""

import re
import shutil

import pytest

from migrate_script import EXIT, finding_ids, load_report
from simel import OLDER, RPMDB_VOLATILE, diff_digests, rpms
from test_migrate_scenarios import MIGRATION_TIMEOUT, state_of
from test_migrate_system_shapes import install_tools

FAMILY = "ol8"
REPORT = "/root/migration-report.json"
UNCHANGED_EXCEPT = (*RPMDB_VOLATILE, REPORT.lstrip("/"))
VIRT = "simel-virt"
VIRT_MODULE = "/etc/dnf/modules.d/virt.module"
# AlmaLinux's virt:rhel artifact (simel.families.ALMA_MODULES): a rebuild of
# the same NEVRA keeps modules.yaml true.
ALMA_VIRT_RELEASE = "1.module_el8.10.0+3945+2b1a5a4b"
SHARED = "/usr/share/simel-virt-tools/virt.conf"
# A dnf command of its own that resets or enables a module stream.
SEPARATE_SWITCH = re.compile(r"^\+ .*\bdnf .* module (reset|enable) ", re.M)


def package(name, version, release, vendor, files, **kw):
    dirs = sorted({path.rsplit("/", 1)[0] for path in files})
    return rpms.Package(name, version, release, vendor, files=files, dirs=dirs, **kw)


@pytest.fixture
def conflicting_virt_mirror(simel_lab):
    """The good mirror whose virt:rhel simel-virt also ships SHARED."""
    pkg = package(VIRT, "8.0.0", ALMA_VIRT_RELEASE, "AlmaLinux",
                  {f"/usr/share/{VIRT}/README": f"{VIRT} 8.0.0-{ALMA_VIRT_RELEASE}\n",
                   SHARED: "AlmaLinux's virt.conf\n"})
    return simel_lab.mirror_adding("virt-conflict", {8: [pkg]}, tree="AppStream")


def with_local_tools(root, simel_lab, tmp_path):
    """Installs a local package (no repository has it) that owns SHARED."""
    built = rpms.build(simel_lab.home, [package("simel-virt-tools", "1.0", "1", "Example Vendor",
                                                {SHARED: "local virt.conf\n"})],
                       tmp_path / "local", "simel-local")
    (path,) = built.values()
    (root.path / "var/tmp" / path.name).write_bytes(path.read_bytes())
    result = root.run(["rpm", "-i", "--nosignature", f"/var/tmp/{path.name}"])
    assert result.returncode == 0, str(result)
    (root.path / "var/tmp" / path.name).unlink()
    return root


def unchanged(root, before):
    """Nothing but the log and the work directory's lock differ."""
    return [d for d in diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT))
            if "var/log/almalinux-migrate.log" not in d and "var/lib/almalinux-migrate" not in d]


def stream_of(root):
    text = root.read(VIRT_MODULE)
    assert re.search(r"^state=enabled$", text, re.M), text
    return re.search(r"^stream=(.*)$", text, re.M).group(1)


def test_conflict_only_the_new_module_stream_brings_is_a_blocker_before_any_change(
        make_root, simel_lab, tmp_path, conflicting_virt_mirror, script_args):
    root = with_local_tools(make_root(FAMILY), simel_lab, tmp_path)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    modules = root.digest_of("etc/dnf/modules.d")
    result = root.run_script("--report", REPORT, *script_args(root),
                             mirror=conflicting_virt_mirror, timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = load_report(root.file(REPORT))
    assert finding_ids(report, "blocker") == {"transaction-file-conflict"}
    detail = next(f["detail"] for f in report["findings"] if f["id"] == "transaction-file-conflict")
    assert SHARED in detail and VIRT in detail and "simel-virt-tools" in detail
    assert "point of no return" not in result.output
    # The test transaction switched the stream in dnf's memory only.
    assert root.digest_of("etc/dnf/modules.d") == modules
    assert stream_of(root) == "ol"
    assert unchanged(root, before) == []
    assert root.package("almalinux-release") is None
    assert root.package(VIRT).vendor == "Oracle America"


def test_removal_only_the_new_module_stream_forces_is_a_blocker_before_any_change(
        make_root, simel_lab, script_args):
    # virt:rhel's simel-virt needs the source's newer simel-older, which the
    # distro-sync downgrades: resolved together, dnf removes simel-virt.
    pkg = package(VIRT, "8.0.0", ALMA_VIRT_RELEASE, "AlmaLinux",
                  {f"/usr/share/{VIRT}/README": f"{VIRT} 8.0.0-{ALMA_VIRT_RELEASE}\n"},
                  requires=[f"{OLDER} >= 2.0"])
    mirror = simel_lab.mirror_adding("virt-needs-older", {8: [pkg]}, tree="AppStream")
    root = make_root(FAMILY)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--report", REPORT, *script_args(root), mirror=mirror,
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert finding_ids(load_report(root.file(REPORT)), "blocker") == {"dependent-packages"}
    assert f"would remove {VIRT}" in result.output
    assert "point of no return" not in result.output
    assert unchanged(root, before) == []
    assert root.package(VIRT).vendor == "Oracle America"


def test_check_resolves_the_module_packages_of_the_almalinux_stream(make_root, script_args):
    root = make_root(FAMILY)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    packages = load_report(root.file(REPORT))["packages"]
    # Oracle's build sorts after AlmaLinux's: the sync to virt:rhel downgrades it.
    assert VIRT in packages["downgrade"], packages
    assert VIRT not in packages["left_unmigrated"], packages
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []
    assert stream_of(root) == "ol"


def test_stream_is_switched_in_the_swap_transaction_and_a_resume_does_not_switch_it_again(
        make_root, script_args, simel_lab):
    root = make_root(FAMILY)
    # Power lost right after the swap transaction: the stream switched with it.
    root.inject_kill("dnf", match=" shell ", when="after")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    assert stream_of(root) == "rhel"
    alma = simel_lab.alma_key(8).keyid
    assert root.package(VIRT).keyid == alma
    assert not SEPARATE_SWITCH.search(first.output), str(first)
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["OK"], str(second)
    assert not SEPARATE_SWITCH.search(second.output), str(second)
    assert "module virt: already on stream rhel" in second.output, str(second)
    assert stream_of(root) == "rhel"
    assert root.package(VIRT).keyid == alma


def test_resume_before_the_swap_switches_the_stream_in_the_swap(make_root, script_args, simel_lab):
    root = make_root(FAMILY)
    root.inject_kill("dnf", match=" shell ", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    assert (state_of(root)["PONR"], state_of(root)["STEP"]) == ("1", "remap-modules")
    assert stream_of(root) == "ol"     # nothing switched ahead of the swap
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["OK"], str(second)
    assert stream_of(root) == "rhel"
    assert root.package(VIRT).keyid == simel_lab.alma_key(8).keyid
    assert "module virt: stream ol remapped to rhel in the swap transaction" in second.output


# Stands in for dnf (the root's /usr/sbin comes first on the script's PATH)
# in the test transaction only: of its shell script it keeps the module
# stream change (as "module enable", which brings no packages along) and
# drops every package command, so the package transaction comes out empty,
# as a resolution that failed leaves it. The real dnf then writes the new
# stream to /etc/dnf/modules.d, tsflags=test or not.
EMPTY_TEST_TRANSACTION = """if [[ " $* " == *" --setopt=tsflags=test sh "* ]]; then
  script="${@: -1}"
  { sed -n 's/^module switch-to /module enable /p' "$script"; echo run; } > "$script.tmp"
  mv "$script.tmp" "$script"
  exec /usr/bin/dnf --setopt=module_stream_switch=True "$@"
fi
exec /usr/bin/dnf "$@"
"""


def test_module_state_dnf_writes_in_an_empty_test_transaction_is_put_back(
        make_root, script_args):
    root = make_root(FAMILY)
    install_tools(root, {"dnf": EMPTY_TEST_TRANSACTION})
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    modules = root.digest_of("etc/dnf/modules.d")
    result = root.run_script("--report", REPORT, *script_args(root), timeout=MIGRATION_TIMEOUT)
    # No package transaction is not the swap: the run stops with nothing changed.
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "almalinux-release not among them" in result.output
    assert root.digest_of("etc/dnf/modules.d") == modules
    assert stream_of(root) == "ol"
    assert unchanged(root, before) == []
    assert "dnf changed /etc/dnf/modules.d in the test transaction" in result.output


# Stands in for dnf: the first swap transaction (swap and distro-sync, with
# the module switch) fails without running; the rest is the real dnf.
FIRST_SWAP_FAILS = """if [[ " $* " == *" shell "* && ! -e /var/tmp/first-swap-failed ]]; then
  : > /var/tmp/first-swap-failed
  exit 1
fi
exec /usr/bin/dnf "$@"
"""


def test_swap_without_the_distro_sync_still_gets_the_stream_switched_before_the_sync(
        make_root, script_args, simel_lab):
    root = make_root(FAMILY)
    install_tools(root, {"dnf": FIRST_SWAP_FAILS})
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.exists("/var/tmp/first-swap-failed")
    assert "swapping the release packages alone" in result.output
    # The release swap alone carries no module switch: it comes after it,
    # on its own, and the final distro-sync moves simel-virt to virt:rhel.
    assert SEPARATE_SWITCH.search(result.output), str(result)
    assert "module virt: stream ol remapped to rhel\n" in result.output
    assert stream_of(root) == "rhel"
    assert root.package(VIRT).keyid == simel_lab.alma_key(8).keyid


def test_resume_without_the_cache_downloads_the_new_streams_packages_for_the_swap(
        make_root, script_args, simel_lab):
    root = make_root(FAMILY)
    root.inject_kill("dnf", match=" shell ", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    root.remove_faults()
    # The cache is gone (removed by hand): what the swap needs, virt:rhel's
    # packages among it, is downloaded and checked again.
    shutil.rmtree(root.path / "var/lib/almalinux-migrate/cache")
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["OK"], str(second)
    assert "swapping the release packages alone" not in second.output, str(second)
    assert "module virt: stream ol remapped to rhel in the swap transaction" in second.output
    assert root.package(VIRT).keyid == simel_lab.alma_key(8).keyid
