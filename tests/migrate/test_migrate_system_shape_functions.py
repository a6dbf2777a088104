"""Real-world system shapes, one function at a time (no root, milliseconds):
container detection, the EFI system partition on md RAID or multipath,
loaded tainted kernel modules under Secure Boot, UEK-only kernels.

The commands these checks read (systemd-detect-virt, findmnt, lsblk,
efibootmgr, mokutil, modinfo, rpm) are replaced by shell functions of the
same name; files are looked up under a directory of the test's own where
the function takes one. The end-to-end versions run in simulated EL roots
(test_migrate_system_shapes.py).
"""

import pytest

from migrate_script import findings
from test_migrate_functions import in_script

NO_SYSTEMD_DETECT_VIRT = 'systemd-detect-virt() { echo none; return 1; }\n'


# ---------------------------------------------------------------- containers
@pytest.mark.parametrize("marks,expected", [
    ({}, ""),
    ({"run/.containerenv": ""}, "podman"),
    ({".dockerenv": ""}, "docker"),
    ({"run/systemd/container": "systemd-nspawn\n"}, "systemd-nspawn"),
    ({"proc/1/environ": "PATH=/usr/bin\0container=lxc\0HOME=/\0"}, "lxc"),
    ({"proc/vz/": None}, "openvz"),
    ({"proc/vz/": None, "proc/bc/": None}, ""),   # the OpenVZ host itself
    ({"run/systemd/container": "$(touch /tmp/x) no\n"}, ""),   # only plain words
], ids=["machine", "podman", "docker", "nspawn", "lxc-environ", "openvz-container",
        "openvz-host", "garbage"])
def test_container_is_told_from_the_marks_container_managers_leave(tmp_path, marks, expected):
    for rel, content in marks.items():
        path = tmp_path / rel
        if content is None:
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    result = in_script(NO_SYSTEMD_DETECT_VIRT + 'container_technology "$TOP"', TOP=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


def test_systemd_detect_virt_names_the_container_first(tmp_path):
    (tmp_path / ".dockerenv").write_text("")
    result = in_script('systemd-detect-virt() { [[ "$1" == --container ]] && echo lxc; }\n'
                       'container_technology "$TOP"', TOP=str(tmp_path))
    assert result.stdout == "lxc"


def test_the_report_names_the_detected_container():
    result = in_script(NO_SYSTEMD_DETECT_VIRT + 'printf "%s|" "$(container_shown)"\n'
                       'CONTAINER=podman; container_shown')
    # This test host's own marks aside, a detected container is what is shown.
    assert result.stdout.split("|")[1] == "podman"


def test_in_a_container_only_the_transactions_run_with_the_macro_home(tmp_path):
    # env and dnf are stand-ins that print what they were given.
    result = in_script(
        'write_container_rpm_macros() { echo "macros written"; }\n'
        'env() { printf "env %s\\n" "$*"; }\n'
        'dnf() { printf "dnf HOME=%s\\n" "$HOME"; }\n'
        'CONTAINER=docker; dnf_run post distro-sync 2>/dev/null; dnf_run pre distro-sync 2>/dev/null\n'
        'CONTAINER=; dnf_run post distro-sync 2>/dev/null',
        HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "macros written"
    assert lines[1].startswith("env HOME=/var/lib/almalinux-migrate/rpm-home dnf -y "), lines
    assert "--cacheonly" in lines[1]
    # Resolving and downloading, and everything outside a container: as before.
    assert lines[2:] == [f"dnf HOME={tmp_path}", f"dnf HOME={tmp_path}"]


@pytest.mark.parametrize("system_value,expected", [
    ("", "%_netsharedpath /proc:/sys"),
    ("/srv/nfs", "%_netsharedpath /srv/nfs:/proc:/sys"),
])
def test_the_container_macro_file_keeps_roots_macros_and_adds_proc_and_sys(
        tmp_path, system_value, expected):
    home = tmp_path / "root"
    home.mkdir()
    (home / ".rpmmacros").write_text("%_install_langs C:en\n")
    result = in_script(
        'rpm() { [[ "$*" == "--eval %{?_netsharedpath}" ]] && echo "$SYSTEM"; }\n'
        'RPM_HOME=$TOP/rpm-home\n'
        # The real function, with its directory moved under the test's.
        'eval "$(declare -f write_container_rpm_macros | sed "s|\\${RPM_HOME_DIR}|${RPM_HOME}|g")"\n'
        'write_container_rpm_macros; write_container_rpm_macros\n'
        'cat "$RPM_HOME/.rpmmacros"; stat -c %a "$RPM_HOME"',
        TOP=str(tmp_path), HOME=str(home), SYSTEM=system_value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["%_install_langs C:en", expected, "700"]


# ---------------------------------------------------------------- EFI on RAID
LSBLK = {
    "plain": "nvme0n1p1 part\nnvme0n1 disk\n",
    "md-raid1": "md127 raid1\nsda1 part\nsda disk\nsdb1 part\nsdb disk\n",
    "md-partition": "md126p1 part\nmd126 raid1\nsda disk\nsdb disk\n",
    "imsm": "md126p1 part\nmd126 raid1\nmd127 md\nsda disk\nsdb disk\n",
    "multipath": "mpatha1 part\nmpatha mpath\nsdc disk\nsdd disk\n",
    "lvm": "vg-esp lvm\nsda2 part\nsda disk\n",
}


@pytest.mark.parametrize("shape,expected", [
    ("plain", ""), ("md-raid1", "raid sda sdb"), ("md-partition", "raid sda sdb"),
    ("imsm", "raid sda sdb"), ("multipath", "multipath sdc sdd"), ("lvm", ""),
])
def test_esp_layout_reads_raid_and_multipath_from_lsblk(shape, expected):
    result = in_script('printf "%s" "$LSBLK" | esp_layout', LSBLK=LSBLK[shape])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def efi_check(shape, efi=True, entries="Boot0000* CentOS\n"):
    return in_script(
        f'efi_booted() {{ return {0 if efi else 1}; }}\n'
        'findmnt() { [[ "$*" == *" /boot/efi" ]] && echo /dev/md127; }\n'
        'lsblk() { [[ "$*" == "-rsno NAME,TYPE -- /dev/md127" ]] && printf "%s" "$LSBLK"; }\n'
        'efibootmgr() { printf "%s" "$ENTRIES"; }\n'
        'check_efi_partition\n'
        'printf "%s\\n" "${FINDING_IDS[*]}" "${BLOCKERS[*]}"',
        LSBLK=LSBLK[shape], ENTRIES=entries)


@pytest.mark.parametrize("shape", ["md-raid1", "multipath"])
def test_an_efi_partition_on_raid_or_multipath_is_a_blocker_naming_the_disks(shape):
    result = efi_check(shape)
    assert result.returncode == 0, result.stderr
    ids, blockers = result.stdout.splitlines()
    assert ids == "efi-on-raid-or-multipath"
    assert findings()[ids][0] == "blocker"
    disks = [line.split()[0] for line in LSBLK[shape].splitlines() if line.endswith(" disk")]
    assert f"over {', '.join(disks)}:" in blockers
    assert "efibootmgr -c -d /dev/<disk>" in blockers and "/boot/efi (/dev/md127)" in blockers


@pytest.mark.parametrize("case", ["plain-partition", "bios-boot", "entries-added-by-hand"])
def test_no_efi_blocker_for_a_plain_partition_bios_or_entries_already_made(case):
    result = efi_check("plain" if case == "plain-partition" else "md-raid1",
                       efi=case != "bios-boot",
                       entries="Boot0000* CentOS\nBoot0003* AlmaLinux\n"
                       if case == "entries-added-by-hand" else "Boot0000* CentOS\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n\n"


# ---------------------------------------------------------------- kernel modules
def module_check(taints, secure_boot, signers=None, enrolled=""):
    """check_kernel_modules with tainted_modules, modinfo and mokutil replaced."""
    lines = "".join(f"{name} {flags}\\n" for name, flags in taints.items())
    signer_cases = "".join(f'    {name}) echo "{signer}" ;;\n'
                           for name, signer in (signers or {}).items())
    return in_script(
        f'tainted_modules() {{ printf "{lines}"; }}\n'
        f'modinfo() {{ case "${{@: -1}}" in\n{signer_cases}    *) ;; esac; }}\n'
        'mokutil() { [[ "$1" == --list-enrolled ]] && printf "%s" "$ENROLLED"; }\n'
        f'SECURE_BOOT={1 if secure_boot else 0}\n'
        'check_kernel_modules\n'
        'printf "%s\\n" "${FINDING_IDS[*]}" "${WARNINGS[*]}" "${BLOCKERS[*]}"',
        ENROLLED=enrolled)


def test_tainted_modules_are_a_warning_naming_each_one():
    result = module_check({"nvidia": "POE", "vboxdrv": "OE"}, secure_boot=False)
    assert result.returncode == 0, result.stderr
    ids, warnings, blockers = result.stdout.splitlines()
    assert ids == "tainted-kernel-module" and blockers == ""
    assert "nvidia (POE)" in warnings and "vboxdrv (OE)" in warnings


@pytest.mark.parametrize("signer,enrolled,blocked", [
    ("", "", True),                                       # unsigned
    ("Example Corp driver key", "", True),                # not in the MOK list
    ("Example Corp driver key", "[key 1]\nSubject: CN=Example Corp driver key\n", False),
    ("DKMS module signing key", "Subject: CN=dkms module signing key\n", False),
], ids=["unsigned", "foreign-key", "enrolled", "dkms-enrolled"])
def test_under_secure_boot_a_module_not_signed_by_a_mok_key_is_a_blocker(signer, enrolled,
                                                                         blocked):
    result = module_check({"exdrv": "OE"}, secure_boot=True, signers={"exdrv": signer},
                          enrolled=enrolled)
    assert result.returncode == 0, result.stderr
    ids, warnings, blockers = result.stdout.splitlines()
    assert "exdrv (OE)" in warnings
    if blocked:
        assert ids.split() == ["tainted-kernel-module", "module-refused-by-secure-boot"]
        assert findings()["module-refused-by-secure-boot"][0] == "blocker"
        assert "exdrv (" in blockers and "mokutil --import" in blockers
    else:
        assert ids == "tainted-kernel-module" and blockers == ""


def test_an_in_tree_staging_module_is_no_secure_boot_blocker():
    result = module_check({"r8188eu": "C"}, secure_boot=True)
    ids, _, blockers = result.stdout.splitlines()
    assert ids == "tainted-kernel-module" and blockers == ""


def test_tainted_modules_are_read_from_sysfs_taint_flags(tmp_path):
    # The real function, pointed at a directory laid out like /sys/module.
    for name, flags in (("nvidia", "POE\n"), ("ext4", "\n"), ("zfs", "POE")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "taint").write_text(flags)
    (tmp_path / "builtin").mkdir()    # built in: no taint file
    result = in_script(
        'eval "$(declare -f tainted_modules | sed "s|/sys/module|${MODULES}|")"\n'
        'tainted_modules', MODULES=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == ["nvidia POE", "zfs POE"]


# ---------------------------------------------------------------- kernels
def kernel_check(installed):
    """check_kernels with rpm's answers replaced: `installed` is what provides
    installonlypkg(kernel) or is named kernel-uek*."""
    return in_script(
        'rpm() { local n; for n in $INSTALLED; do\n'
        '    case "$*" in *installonlypkg*) [[ $n == kernel-uek* ]] || echo "$n" ;;\n'
        '      *) [[ " $* " == *" $n "* ]] && echo "$n" ;; esac; done; return 0; }\n'
        'TARGET_PKGS=(almalinux-release)\n'
        'check_kernels\n'
        'printf "%s\\n" "${TARGET_PKGS[*]}" "${FINDING_IDS[*]}"', INSTALLED=" ".join(installed))


@pytest.mark.parametrize("installed,added", [
    (["kernel-uek", "kernel-uek-core"], True),
    (["kernel-uek-core"], True),
    (["kernel", "kernel-core", "kernel-uek-core"], False),
    (["kernel-core"], False),
    (["kernel-64k-core"], False),
    ([], False),                  # a chroot or container image: no kernel at all
], ids=["uek-only", "uek-core-only", "rhck-and-uek", "rhck", "64k", "none"])
def test_a_system_with_only_another_vendors_kernels_gets_almalinux_kernel(installed, added):
    result = kernel_check(installed)
    assert result.returncode == 0, result.stderr
    targets, ids = result.stdout.splitlines()
    assert targets == ("almalinux-release kernel" if added else "almalinux-release")
    assert ids == ("kernel-added" if added else "")
