"""The swap transaction is proved before the point of no return, --check
resolves it, and vendor packages are handled as the script's table says.

The faults: a FIPS provider package of another vendor owning the file
AlmaLinux's openssl-libs also ships (only rpm's test transaction sees it:
dnf's resolution has nothing to object to), an AlmaLinux build too large
for the file system it installs into (rpm's disk-space check), and an
AlmaLinux build with a requirement nothing provides. The vendor packages:
RHEL/Oracle Linux's openssl-fips-provider-so (swapped for AlmaLinux's
openssl-libs), an insights-client and an Oracle add-on repository package
(removed).
"""

import re
import subprocess

import pytest

from migrate_script import EXIT, finding_ids, load_report
from simel import NEWER, OLDER, RPMDB_VOLATILE, diff_digests, rpms
from test_migrate_functions import vendor_rows
from test_migrate_scenarios import MIGRATION_TIMEOUT, assert_migrated
from test_migrate_system_shapes import install_tools

FAMILY = "centos-stream9"
REPORT = "/root/migration-report.json"
UNCHANGED_EXCEPT = (*RPMDB_VOLATILE, REPORT.lstrip("/"))
FIPS = "/usr/lib64/ossl-modules/fips.so"
ALMA_FIPS = "AlmaLinux FIPS provider\n"


def package(name, version, release, vendor, files, **kw):
    dirs = sorted({path.rsplit("/", 1)[0] for path in files})
    return rpms.Package(name, version, release, vendor, files=files, dirs=dirs, **kw)


def alma_openssl():
    return package("openssl-libs", "3.2.2", "6.el9", "AlmaLinux",
                   {FIPS: ALMA_FIPS, "/usr/share/simel-openssl/README": "3.2.2\n"}, epoch=1)


@pytest.fixture
def openssl_mirror(simel_lab):
    """The good mirror plus AlmaLinux's openssl-libs, which carries fips.so."""
    return simel_lab.mirror_adding("openssl", {9: [alma_openssl()]})


@pytest.fixture
def unresolvable_mirror(simel_lab):
    """The good mirror with a newer simel-newer needing what nothing provides."""
    pkg = package(NEWER, "1.2", "1.el9", "AlmaLinux", {f"/usr/share/{NEWER}/README": "1.2\n"},
                  requires=["simel-capability-nobody-provides"])
    return simel_lab.mirror_adding("unresolvable", {9: [pkg]})


# An AlmaLinux simel-newer whose payload is a file of zeros in /opt: tiny
# on the mirror (compressed), BULKY_MIB when installed; /opt is a tmpfs of
# OPT_MIB, far below what the script's own preflight looks at (/, /var,
# the work directory, /boot), so only rpm's disk-space check sees it.
BULKY = f"/opt/{NEWER}/data.bin"
BULKY_MIB = 48
OPT_MIB = 8


@pytest.fixture
def bulky_mirror(simel_lab):
    """The good mirror with an AlmaLinux simel-newer carrying BULKY."""
    pkg = package(NEWER, "1.1", "2.el9", "AlmaLinux",
                  {f"/usr/share/{NEWER}/README": "1.1\n", BULKY: bytes(BULKY_MIB << 20)})
    return simel_lab.mirror_adding("bulky", {9: [pkg]})


@pytest.fixture
def small_opt():
    """small_opt(root): a tmpfs of OPT_MIB at the root's /opt (the host's
    mount; a root entered later sees it), unmounted after the test."""
    mounted = []

    def mount(root):
        opt = root.path / "opt"
        opt.mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={OPT_MIB}m,mode=0755",
                        "simel-small-opt", str(opt)], check=True)
        mounted.append(opt)
        return root

    yield mount
    for opt in mounted:
        subprocess.run(["umount", str(opt)], check=True)


def install(root, simel_lab, tmp_path, packages):
    """Installs the (unsigned, vendor-built) packages into the root with rpm."""
    built = rpms.build(simel_lab.home, packages, tmp_path / "vendor", "simel-vendor")
    names = []
    for path in built.values():
        (root.path / "var/tmp" / path.name).write_bytes(path.read_bytes())
        names.append(f"/var/tmp/{path.name}")
    result = root.run(["rpm", "-i", "--nosignature", *names])
    assert result.returncode == 0, str(result)
    for name in names:
        (root.path / name.lstrip("/")).unlink()
    return root


def source_openssl(provider):
    """The source's openssl-libs (no fips.so) and the FIPS provider `provider`."""
    return [package("openssl-libs", "3.0.7", "27.el9", "CentOS",
                    {"/usr/share/simel-openssl/README": "3.0.7\n"}, epoch=1),
            package(provider, "3.0.7", "2.el9", "Example Vendor", {FIPS: "vendor provider\n"})]


def unchanged(root, before):
    """Nothing but the log and the work directory's lock differ."""
    return [d for d in diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT))
            if "var/log/almalinux-migrate.log" not in d and "var/lib/almalinux-migrate" not in d]


def action_of(name):
    return next(row[2] for row in vendor_rows() if name in row[0].split())


# ---------------------------------------------------------------- the test transaction
def test_file_conflict_only_rpms_test_transaction_sees_is_a_blocker_and_nothing_changes(
        make_root, simel_lab, tmp_path, openssl_mirror, script_args):
    # A FIPS provider the vendor table does not know: dnf resolves the
    # transaction happily; rpm would refuse it at the swap, after the point
    # of no return, leaving the system half migrated.
    root = install(make_root(FAMILY), simel_lab, tmp_path, source_openssl("simel-fips-provider"))
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--report", REPORT, *script_args(root), mirror=openssl_mirror,
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = load_report(root.file(REPORT))
    assert (report["status"], report["exit_code"]) == ("blocked", EXIT["BLOCKED"])
    assert finding_ids(report, "blocker") == {"transaction-file-conflict"}
    detail = next(f["detail"] for f in report["findings"] if f["id"] == "transaction-file-conflict")
    assert FIPS in detail and "simel-fips-provider" in detail
    assert "point of no return" not in result.output
    assert unchanged(root, before) == []
    assert root.package("almalinux-release") is None
    assert root.read(FIPS) == "vendor provider\n"


def test_swap_too_large_for_its_file_system_is_a_blocker_and_nothing_changes(
        make_root, bulky_mirror, small_opt, script_args):
    # The script's preflight passes (/ and /var have room); rpm's own check
    # of the file system /opt is on fails: before the point of no return.
    root = small_opt(make_root(FAMILY))
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--report", REPORT, *script_args(root), mirror=bulky_mirror,
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = load_report(root.file(REPORT))
    assert (report["status"], report["exit_code"]) == ("blocked", EXIT["BLOCKED"])
    assert finding_ids(report, "blocker") == {"transaction-disk-space"}
    assert "low-free-space" not in finding_ids(report)
    details = [f["detail"] for f in report["findings"] if f["id"] == "transaction-disk-space"]
    # One finding for the one file system: the amount, where, and for what.
    assert len(details) == 1, details
    assert re.fullmatch(rf"At least \d+MB more space needed on the /opt filesystem "
                        rf"\(installing {NEWER}-1\.1-2\.el9\.noarch\)", details[0]), details
    assert details[0] in result.output
    assert "point of no return" not in result.output
    assert unchanged(root, before) == []
    assert root.package("almalinux-release") is None
    assert root.package(NEWER).version == "1.0"
    assert not root.exists(BULKY)


def test_migration_logs_what_its_test_transaction_cost(make_root, simel_lab, script_args):
    # The benchmark weighs this figure against the whole run.
    root = make_root(FAMILY)
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    match = re.search(r"test transaction passed in (\d+\.\d{3}) s \(rpm: ", result.stdout)
    assert match, result.stdout
    assert 0 < float(match.group(1)) < result.seconds
    assert match.group(0) in root.read("/var/log/almalinux-migrate.log")


# dnf's way out of the unmet requirement is to remove simel-newer: a removal
# no one accepted (or, where it cannot, an unresolved transaction).
UNRESOLVED = {"transaction-dependency-problem", "dependent-packages"}


def test_transaction_that_does_not_resolve_is_a_blocker_in_check_and_migration(
        make_root, unresolvable_mirror, script_args):
    root = make_root(FAMILY)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False),
                            mirror=unresolvable_mirror)
    assert check.returncode == EXIT["BLOCKED"], str(check)
    assert finding_ids(load_report(root.file(REPORT)), "blocker") & UNRESOLVED
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []
    # A real run: dnf's download of the distro-sync already refuses it, before
    # the backup; nothing changed.
    result = root.run_script("--report", REPORT, *script_args(root), mirror=unresolvable_mirror,
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode in (EXIT["BLOCKED"], EXIT["RESTORED"]), str(result)
    assert "simel-capability-nobody-provides" in result.output
    assert "point of no return" not in result.output
    assert unchanged(root, before) == []
    assert root.package(NEWER).version == "1.0"


# ---------------------------------------------------------------- --check
def test_check_resolves_the_transaction_reports_downgrades_and_leaves_no_trace(
        make_root, script_args):
    root = make_root(FAMILY, third_party=True)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    report = load_report(root.file(REPORT))
    assert report["packages"]["downgrade"] == [OLDER]
    assert "epel-sim-hello" in report["packages"]["left_unmigrated"]
    assert "downgrade: 1 package(s)" in result.stdout
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []


def test_downgrade_count_of_centos_stream_is_stated_before_the_prompt(make_root, script_args):
    root = make_root(FAMILY)
    result = root.run_script(*script_args(root, yes=False), input="n\n",
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["DECLINED"], str(result)
    prompt = result.stdout.index("Continue? [y/N]")
    assert f"downgrade: 1 package(s) ({OLDER}): CentOS Stream" in result.stdout[:prompt]


# ---------------------------------------------------------------- vendor packages
def test_fips_provider_of_the_table_is_swapped_for_almalinux_openssl(
        make_root, simel_lab, tmp_path, openssl_mirror, script_args):
    assert action_of("openssl-fips-provider-so") == "swap"
    root = install(make_root(FAMILY), simel_lab, tmp_path,
                   source_openssl("openssl-fips-provider-so"))
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False),
                            mirror=openssl_mirror)
    assert check.returncode == EXIT["OK"], str(check)
    assert "vendor-fips-provider" in finding_ids(load_report(root.file(REPORT)), "warning")
    result = root.run_script(*script_args(root), mirror=openssl_mirror, timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.package("openssl-fips-provider-so") is None
    assert root.package("openssl-libs").vendor == "AlmaLinux"
    assert root.read(FIPS) == ALMA_FIPS


def test_insights_client_is_handled_as_the_table_says(make_root, simel_lab, tmp_path,
                                                      script_args):
    action = action_of("insights-client")
    root = install(make_root(FAMILY), simel_lab, tmp_path, [package(
        "insights-client", "3.2.8", "1.el9", "Red Hat, Inc.",
        {"/usr/share/simel-insights/insights-client.conf": "auto_config=True\n"})])
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    assert "vendor-support-tools" in finding_ids(load_report(root.file(REPORT)), "warning")
    assert "insights-client" in check.stdout
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result) if action == "remove" else None
    assert (root.package("insights-client") is None) == (action in ("remove", "swap"))


def test_oracle_add_on_repository_package_is_removed_with_the_release(make_root, simel_lab,
                                                                      tmp_path, script_args):
    # Its repository needs Oracle's dnf variables and key, which leave with
    # oraclelinux-release: kept, it would be a broken third-party repository.
    name = "oracle-instantclient-release-el8"
    assert action_of("oracle-*-release-el*") == "remove"
    repo_file = "/etc/yum.repos.d/oracle-instantclient-ol8.repo"
    repo = ("[ol8_oracle_instantclient21]\nname=Oracle Instant Client 21\n"
            "baseurl=https://yum$ociregion.$ocidomain/repo/OracleLinux/OL8/oracle/"
            "instantclient21/$basearch/\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-oracle\n"
            "gpgcheck=1\nenabled=1\n")
    root = install(make_root("ol8"), simel_lab, tmp_path,
                   [package(name, "1.0", "2.el8", "Oracle America", {repo_file: repo})])
    check = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    loaded = load_report(root.file(REPORT))
    assert "vendor-repositories" in finding_ids(loaded, "warning")
    assert name in check.stdout
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    assert root.package(name) is None
    assert not root.exists(repo_file)


# Stands in for dnf (the root's /usr/sbin comes first on the script's PATH)
# in the test transaction only: it drops the swap's remove and install
# lines, so what rpm tests is the distro-sync alone, a transaction rpm
# accepts that is not the swap.
NOT_THE_SWAP = """if [[ " $* " == *" --setopt=tsflags=test sh "* ]]; then
  script="${@: -1}"
  grep -v -e '^install ' -e '^remove ' "$script" > "$script.tmp"
  mv "$script.tmp" "$script"
fi
exec /usr/bin/dnf "$@"
"""


def test_test_transaction_that_is_not_the_swap_is_a_blocker_and_nothing_changes(
        make_root, script_args):
    root = make_root(FAMILY)
    install_tools(root, {"dnf": NOT_THE_SWAP})
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--report", REPORT, *script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = load_report(root.file(REPORT))
    assert (report["status"], report["exit_code"]) == ("blocked", EXIT["BLOCKED"])
    assert finding_ids(report, "blocker") == {"transaction-not-the-swap"}
    assert "almalinux-release not among them" in result.output
    assert "point of no return" not in result.output
    assert unchanged(root, before) == []
    assert root.package("almalinux-release") is None
