"""Real-world system shapes, end to end in simulated EL roots: Oracle Linux
with only UEK kernels, the default boot entry's kernel files, loaded
third-party modules under Secure Boot, containers (the filesystem package's
/proc and /sys), the EFI system partition on md RAID.

What a simulated root lacks is supplied the way a real system has it: files
under the root's own /sys (it is a plain directory there, never the host's
sysfs), /.dockerenv, and stand-ins for firmware and block-device tools
(mokutil, modinfo, findmnt, lsblk, efibootmgr, grubby) in the root's /usr
layer, which shadow the host's commands inside the root only.
"""

import shutil
import subprocess

import pytest

from migrate_script import finding_ids, findings, load_report
from simel import RPMDB_VOLATILE, diff_digests, rpms
from simel.families import KERNEL_VERSIONS
from test_migrate_scenarios import EXIT, MIGRATION_TIMEOUT, snapshot, state_of

REPORT = "/root/migration-report.json"
UNCHANGED_EXCEPT = (*RPMDB_VOLATILE, REPORT.lstrip("/"))
UEK = "5.15.0-208.159.3.el8uek.noarch"


def report_of(root):
    return load_report(root.file(REPORT))


def install_tools(root, tools):
    """Stand-in commands (name -> bash body) in the root's /usr/sbin, which
    comes first on the script's PATH."""
    sbin = root.path / "usr/sbin"
    sbin.mkdir(exist_ok=True)
    for name, body in tools.items():
        tool = sbin / name
        tool.write_text("#!/bin/bash\n" + body)
        tool.chmod(0o755)


def install_packages(root, lab, tmp_path, packages, label):
    """Builds `packages` and installs them into the root with rpm, as the
    source system's own (unsigned: rpm -i accepts that)."""
    built = rpms.build(lab.home, packages, tmp_path / label, label)
    for path in built.values():
        shutil.copy2(path, root.path / "var/tmp" / path.name)
    result = root.run(["rpm", "-i", "--nodeps", "--nosignature",
                       *[f"/var/tmp/{path.name}" for path in built.values()]])
    assert result.returncode == 0, str(result)
    for path in built.values():
        (root.path / "var/tmp" / path.name).unlink()


def mirror_with_packages(lab, tmp_path, major, packages):
    """A copy of the good mirror whose BaseOS also has `packages`, signed
    with the AlmaLinux key of `major` and indexed."""
    top = tmp_path / "mirror"
    subprocess.run(["cp", "-al", str(lab.mirror.path), str(top)], check=True)
    tree = top / str(major) / "BaseOS" / lab.arch / "os"
    built = rpms.build(lab.home, packages, tmp_path / "mirror-extra", "mirror-extra")
    rpms.sign(lab.home, lab.alma_key(major), built.values())
    for path in built.values():
        shutil.move(path, tree / "Packages" / path.name)
    shutil.rmtree(tree / "repodata")
    rpms.createrepo(tree)
    return top


# ---------------------------------------------------------------- UEK only
def uek_packages():
    """Oracle's UEK as an OL8 system has it, with no Red Hat compatible kernel."""
    return [
        rpms.Package("kernel-uek-core", "5.15.0", "208.159.3.el8uek", "Oracle America",
                     provides=["installonlypkg(kernel)", f"kernel-uname-r = {UEK}"],
                     files={f"/usr/lib/modules/{UEK}/vmlinuz": "simulated UEK\n"},
                     dirs=[f"/usr/lib/modules/{UEK}"]),
        rpms.Package("kernel-uek", "5.15.0", "208.159.3.el8uek", "Oracle America",
                     provides=["installonlypkg(kernel)"],
                     requires=[f"kernel-uname-r = {UEK}"]),
    ]


@pytest.fixture
def uek_only_root(make_root, simel_lab, tmp_path):
    root = make_root("ol8")
    install_packages(root, simel_lab, tmp_path, uek_packages(), "uek")
    assert {p.name for p in root.packages() if p.name.startswith("kernel")} == {
        "kernel-uek", "kernel-uek-core"}
    return root


def test_uek_only_host_gets_almalinux_kernel_in_the_swap_transaction(
        uek_only_root, script_args, simel_lab):
    root = uek_only_root
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    report = report_of(root)
    assert "kernel-added" in finding_ids(report, "info")
    assert "kernel" in report["packages"]["install"]
    # Power lost right after the swap transaction: AlmaLinux's kernel is
    # already there, so it came with the swap, not with a later step.
    root.inject_kill("dnf", match=" shell ", when="after")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    alma = simel_lab.alma_key(8).keyid
    assert {p.name for p in root.packages() if p.keyid == alma and
            p.name.startswith("kernel")} == {"kernel", "kernel-core"}
    root.remove_faults()
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["OK"], str(second)
    assert "AlmaLinux kernel(s) installed: kernel-" in second.output, str(second)
    assert "no AlmaLinux kernel is installed" not in first.output + second.output
    kernels = {p.name: p for p in root.packages() if p.name.startswith("kernel")}
    assert set(kernels) == {"kernel", "kernel-core", "kernel-uek", "kernel-uek-core"}
    assert kernels["kernel-core"].keyid == alma
    assert "kernels of the previous system stay installed" in second.output
    assert "kernel-uek-core" in second.output


def test_uek_only_host_with_a_mirror_lacking_the_kernel_is_restored_before_any_change(
        uek_only_root, script_args, bad_mirror):
    root = uek_only_root
    before = snapshot(root)
    result = root.run_script("--report", REPORT, *script_args(root),
                             mirror=bad_mirror(missing="kernel"), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert "have no kernel package" in result.output and "kernel-uek" in result.output
    assert snapshot(root) == before
    assert state_of(root) == {}
    assert report_of(root)["status"] == "failed-restored"


# ---------------------------------------------------------------- default boot entry
GRUBBY = ('echo "$*" >> /var/tmp/grubby.log\n'
          'case "$1" in\n'
          '  --set-default) echo "$2" > /var/tmp/grubby.default ;;\n'
          '  --default-kernel) cat /var/tmp/grubby.default 2>/dev/null'
          ' || echo /boot/vmlinuz-5.15.0-uek ;;\n'
          'esac\nexit 0\n')


@pytest.mark.parametrize("missing", ["initramfs", "vmlinuz"])
def test_default_entry_is_never_a_kernel_without_its_vmlinuz_and_initramfs(
        missing, make_root, script_args):
    root = make_root("ol8", kernel=True)
    version, _, alma_release = KERNEL_VERSIONS[8]
    uname = f"{version}-{alma_release}.noarch"
    files = {"vmlinuz": root.path / f"boot/vmlinuz-{uname}",
             "initramfs": root.path / f"boot/initramfs-{uname}.img"}
    (root.path / "boot/grub2").mkdir(parents=True)
    for kind, path in files.items():
        if kind != missing:
            path.write_text(f"simulated {kind}\n")
    install_tools(root, {"grub2-mkconfig": 'echo "# generated" > "$2"\n', "grubby": GRUBBY})
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.returncode == EXIT["RESUME"], str(first)
    assert "no AlmaLinux kernel has both its vmlinuz and its initramfs in /boot" in first.output
    assert "--set-default" not in root.read("/var/tmp/grubby.log")
    assert state_of(root)["STEP"] == "kernel"
    # kernel-install's work done by hand: the re-run makes it the default.
    files[missing].write_text(f"simulated {missing}\n")
    second = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["OK"], str(second)
    assert root.read("/var/tmp/grubby.default") == f"/boot/vmlinuz-{uname}\n"
    assert f"default kernel: /boot/vmlinuz-{uname} (vmlinuz and initramfs present)" in second.output


def test_a_default_entry_grubby_did_not_take_stops_the_run(make_root, script_args):
    root = make_root("centos-stream9", kernel=True)
    version, _, alma_release = KERNEL_VERSIONS[9]
    uname = f"{version}-{alma_release}.noarch"
    (root.path / "boot/grub2").mkdir(parents=True)
    (root.path / f"boot/vmlinuz-{uname}").write_text("kernel\n")
    (root.path / f"boot/initramfs-{uname}.img").write_text("initramfs\n")
    # grubby accepts --set-default but the old entry stays the default.
    install_tools(root, {"grub2-mkconfig": 'echo "# generated" > "$2"\n',
                         "grubby": '[[ "$1" == --default-kernel ]] && '
                                   'echo /boot/vmlinuz-5.14.0-old\nexit 0\n'})
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["RESUME"], str(result)
    assert (f"the default boot entry is /boot/vmlinuz-5.14.0-old after making "
            f"/boot/vmlinuz-{uname} the default") in result.output


# ---------------------------------------------------------------- kernel modules
def tainted_module_root(make_root, secure_boot, enrolled=""):
    root = make_root("rocky9")
    module = root.path / "sys/module/exdrv"
    module.mkdir(parents=True)
    (module / "taint").write_text("OE\n")
    (root.path / "sys/module/ext4").mkdir()   # in-tree, untainted
    (root.path / "sys/module/ext4/taint").write_text("\n")
    install_tools(root, {
        "mokutil": ('case "$1" in\n'
                    f'  --sb-state) echo "SecureBoot {"enabled" if secure_boot else "disabled"}" ;;\n'
                    f'  --list-enrolled) printf "%s" {enrolled!r} ;;\n'
                    'esac\n'),
        "modinfo": '[[ "$*" == "-F signer -- exdrv" ]] && echo "Example Corp driver key"\n',
    })
    return root


@pytest.mark.parametrize("secure_boot,enrolled,ready", [
    (False, "", True),
    (True, "", False),
    (True, "[key 1]\n        Subject: CN=Example Corp driver key\n", True),
], ids=["no-secure-boot", "secure-boot-key-not-enrolled", "secure-boot-key-enrolled"])
def test_loaded_third_party_module_is_named_and_blocks_only_without_a_mok_key(
        secure_boot, enrolled, ready, make_root, script_args):
    root = tainted_module_root(make_root, secure_boot, enrolled)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert result.returncode == (EXIT["OK"] if ready else EXIT["BLOCKED"]), str(result)
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []
    report = report_of(root)
    found = {f["id"]: f for f in report["findings"]}
    assert "exdrv (OE)" in found["tainted-kernel-module"]["detail"]
    assert "ext4" not in found["tainted-kernel-module"]["detail"]
    assert ("module-refused-by-secure-boot" in finding_ids(report, "blocker")) is not ready
    if not ready:
        detail = found["module-refused-by-secure-boot"]["detail"]
        assert "exdrv (signed by 'Example Corp driver key', a key not in the MOK list)" in detail
        assert "DKMS" in found["module-refused-by-secure-boot"]["remediation"]
        # A real run is refused the same way, before anything is done.
        run = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
        assert run.returncode == EXIT["BLOCKED"], str(run)
        assert state_of(root) == {}


# ---------------------------------------------------------------- containers
def filesystem_package(vendor, release):
    """EL's filesystem package: it owns /proc and /sys."""
    return rpms.Package("filesystem", "3.16", release, vendor,
                        files={"/usr/share/simel-filesystem/README": f"{vendor}\n"},
                        dirs=["/proc", "/sys", "/usr/share/simel-filesystem"])


@pytest.mark.parametrize("container", [True, False], ids=["container", "machine-control"])
def test_container_migrates_with_the_filesystem_package_and_skips_kernel_and_bootloader(
        container, make_root, simel_lab, script_args, tmp_path):
    root = make_root("rocky9")
    install_packages(root, simel_lab, tmp_path, [filesystem_package("Rocky", "2.el9")], "fs")
    mirror = mirror_with_packages(simel_lab, tmp_path, 9,
                                  [filesystem_package("AlmaLinux", "5.el9")])
    if container:
        (root.path / ".dockerenv").write_text("")
    # The host's /sys, read-only (as container runtimes mount it) and with
    # another mode than the package's (0755): rpm would have to chmod it.
    readonly_sys = tmp_path / "sys"
    readonly_sys.mkdir(mode=0o555)
    readonly_sys.chmod(0o555)
    result = root.run_script("--report", REPORT, *script_args(root), mirror=mirror,
                             binds={"/sys": readonly_sys}, timeout=MIGRATION_TIMEOUT)
    if not container:
        # The control: without the container's %_netsharedpath, rpm fails the
        # transaction on the read-only /sys.
        assert result.returncode == EXIT["RESUME"], str(result)
        assert "unpacking of archive failed on file /sys" in result.output, str(result)
        assert root.package("filesystem").vendor == "Rocky"
        return
    assert result.returncode == EXIT["OK"], str(result)
    assert root.package("filesystem").vendor == "AlmaLinux"
    assert root.os_release()["ID"] == "almalinux"
    report = report_of(root)
    assert report["system"]["container"] == "docker"
    assert "container" in finding_ids(report, "info")
    assert findings()["container"][0] == "info"
    assert "kernel: skipped in a container (docker)" in result.output
    assert "bootloader and EFI: skipped in a container (docker)" in result.output
    assert "no-bootloader" not in finding_ids(report)
    # The macro was the transaction's only: nothing of the system's has it.
    assert not root.exists("/var/lib/almalinux-migrate/rpm-home")
    assert "_netsharedpath" not in "".join(
        p.read_text() for p in (root.path / "etc/rpm").iterdir() if p.is_file())


# ---------------------------------------------------------------- EFI on md RAID
def efi_raid_root(make_root, entries):
    root = make_root("centos-stream9")
    (root.path / "sys/firmware/efi").mkdir(parents=True)
    install_tools(root, {
        "findmnt": '[[ "${@: -1}" == /boot/efi ]] && echo /dev/md127 && exit 0\nexit 1\n',
        "lsblk": ('[[ "${@: -1}" == /dev/md127 ]] || exit 32\n'
                  'printf "md127 raid1\\nsda1 part\\nsda disk\\nsdb1 part\\nsdb disk\\n"\n'),
        "efibootmgr": f'printf "BootCurrent: 0000\\n{entries}"\n',
    })
    return root


def test_efi_partition_on_md_raid_is_a_preflight_blocker_with_the_manual_steps(
        make_root, script_args):
    root = efi_raid_root(make_root, "Boot0000* CentOS Stream\\n")
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["BLOCKED"], str(check)
    report = report_of(root)
    (finding,) = [f for f in report["findings"] if f["id"] == "efi-on-raid-or-multipath"]
    assert finding["level"] == "blocker"
    assert "/boot/efi (/dev/md127) is on raid over sda, sdb" in finding["detail"]
    assert "efibootmgr -c -d /dev/<disk>" in finding["remediation"]
    run = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert run.returncode == EXIT["BLOCKED"], str(run)
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []


def test_efi_partition_on_md_raid_with_entries_made_by_hand_is_ready(make_root, script_args):
    root = efi_raid_root(make_root, "Boot0000* CentOS Stream\\nBoot0001* AlmaLinux\\n")
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    assert "efi-on-raid-or-multipath" not in finding_ids(report_of(root))
