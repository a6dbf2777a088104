"""The script's functions, loaded with `source` and run one at a time.

No root and no simulated system: milliseconds each. The end-to-end
scenarios (test_migrate_scenarios.py and the others) prove the same
behaviour on real rpm/dnf roots; these pin the parsing, validation, report
and table logic down precisely.
"""

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from migrate_script import (CLEAN_ENV, EXIT, REPORT_SCHEMA, SCRIPT, exit_codes, findings,
                            load_report)

TEXT = SCRIPT.read_text()
LIBRARY_ENV = {**CLEAN_ENV, "ALMALINUX_MIGRATE_LIBRARY": "1"}


def in_script(code, **variables):
    """Runs bash code with the script's functions loaded (main not run)."""
    assigns = "".join(f"{name}={shlex.quote(value)}\n" for name, value in variables.items())
    return subprocess.run(["bash", "-c", f'source "$0"\n{assigns}{code}', str(SCRIPT)],
                          capture_output=True, text=True, env=LIBRARY_ENV, timeout=30, cwd="/")


# -----------------------------------------------------------------------------
# Loading the script as a library
# -----------------------------------------------------------------------------


def test_sourcing_with_the_library_switch_runs_nothing():
    result = in_script('printf "loaded %s\\n" "${EXIT_RESUME}"')
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"loaded {EXIT['RESUME']}\n"
    assert result.stderr == ""


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_the_library_switch_without_source_is_refused_not_a_silent_success(how):
    # `curl ... | bash` with the variable left in the environment must not
    # exit 0 having done nothing.
    if how == "file":
        result = subprocess.run(["bash", str(SCRIPT), "--check"], capture_output=True,
                                text=True, env=LIBRARY_ENV, timeout=30)
    else:
        result = subprocess.run(["bash", "-s", "--", "--check"], input=TEXT,
                                capture_output=True, text=True, env=LIBRARY_ENV, timeout=30)
    assert result.returncode == EXIT["USAGE"], result
    assert "ALMALINUX_MIGRATE_LIBRARY" in result.stderr


# -----------------------------------------------------------------------------
# Exit codes: one declaration
# -----------------------------------------------------------------------------


def test_exit_codes_are_distinct_and_cover_the_contract():
    codes = [code for code, _ in exit_codes().values()]
    assert len(codes) == len(set(codes))
    assert set(EXIT) >= {"OK", "USAGE", "UNSUPPORTED", "BLOCKED", "RESTORED", "RESUME",
                         "DECLINED"}
    assert EXIT["OK"] == 0


def test_every_exit_code_the_script_uses_is_declared():
    used = set(re.findall(r"\$\{EXIT_([A-Z_]+)\}", TEXT))
    assert used, "the script uses no exit code variable"
    assert used <= set(EXIT), f"used but not declared: {used - set(EXIT)}"


def test_exit_code_variables_are_read_only():
    result = in_script("EXIT_OK=3")
    assert result.returncode != 0
    assert "readonly" in result.stderr


# -----------------------------------------------------------------------------
# Findings: stable ids in one table
# -----------------------------------------------------------------------------


def test_finding_ids_are_unique_stable_words_with_a_level_title_and_remedy():
    table = findings()
    lines = in_script('printf "%s\\n" "${FINDINGS[@]}"').stdout.splitlines()
    assert len(lines) == len(table), "a finding id is declared twice"
    for fid, (level, title, fix) in table.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fid), fid
        assert level in {"info", "warning", "blocker"}, (fid, level)
        assert title and fix, fid


def test_every_finding_the_script_records_is_declared_and_every_declared_one_is_used():
    recorded = set(re.findall(r"(?:^\s+|\|\| )finding ([a-z0-9-]+) \"", TEXT, re.M))
    # find_vendor_packages records the finding id of each VENDOR_PKGS row,
    # transaction_findings the ids transaction_problems prints.
    recorded |= {row[1] for row in vendor_rows()}
    recorded |= set(re.findall(r'print "(transaction-[a-z-]+)"', TEXT))
    declared = set(findings())
    assert recorded - declared == set(), "recorded but not declared"
    assert declared - recorded == set(), "declared but never recorded"


def test_an_unknown_finding_id_stops_the_run_as_a_bug():
    result = in_script('finding no-such-finding "detail"')
    assert result.returncode == EXIT["BLOCKED"]
    assert "unknown finding id 'no-such-finding'" in result.stderr


def test_findings_feed_the_text_report_by_level_and_can_be_dropped_by_id():
    result = in_script(
        'finding low-free-space "only 3 MiB free on /var"\n'
        'finding secure-boot-enabled "on"\n'
        'finding dependent-packages "vendor-agent"\n'
        'drop_findings dependent-packages\n'
        'printf "B=%s\\nW=%s\\nI=%s\\n" "${BLOCKERS[*]}" "${WARNINGS[*]}" "${FINDING_IDS[*]}"')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["B=only 3 MiB free on /var", "W=on",
                                          "I=low-free-space secure-boot-enabled"]


# -----------------------------------------------------------------------------
# The --report document
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    'plain', 'quote " and backslash \\ and slash /', "new\nline\ttab\rreturn",
    "bell \x07 escape \x1b[2J delete \x7f", "NAME=\"Oracle Linux Server\" 9.4 é ü 日本",
    "", "\\u0000 not an escape",
], ids=["plain", "quote-backslash", "whitespace", "control", "unicode", "empty",
        "escape-lookalike"])
def test_json_strings_round_trip_any_text(text):
    result = in_script('json_string "$VALUE"', VALUE=text)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == text


def test_json_arrays_round_trip_words():
    result = in_script('json_array a "b c" \'d"e\'; echo; json_array')
    first, empty = result.stdout.splitlines()
    assert json.loads(first) == ["a", "b c", 'd"e']
    assert json.loads(empty) == []


def schema_statuses():
    return set(json.loads(REPORT_SCHEMA.read_text())["properties"]["status"]["enum"])


@pytest.mark.parametrize("name,check_only,status", [
    ("OK", 1, "ready"), ("OK", 0, "migrated"), ("UNSUPPORTED", 0, "unsupported"),
    ("BLOCKED", 1, "blocked"), ("BLOCKED", 0, "blocked"), ("RESTORED", 0, "failed-restored"),
    ("RESUME", 0, "failed-resumable"), ("DECLINED", 0, "declined"),
])
def test_report_status_follows_the_exit_code(name, check_only, status):
    result = in_script(f'CHECK_ONLY={check_only}; report_status "${{EXIT_{name}}}"')
    assert result.stdout == status
    assert status in schema_statuses()


def test_every_status_the_schema_names_can_be_reported():
    reachable = set(re.findall(r"printf '([a-z-]+)'", re.search(
        r"^report_status\(\) \{.*?^\}", TEXT, re.M | re.S).group(0)))
    reachable |= set(re.findall(r'REPORT_STATUS="([a-z-]+)"', TEXT))
    assert reachable == schema_statuses()


def write_report(tmp_path, code, setup=""):
    report = tmp_path / "report.json"
    result = in_script(
        f'OS_ID=rocky; OS_NAME="Rocky Linux"; OS_VERSION=9.4; MAJOR=9; ARCH=x86_64\n'
        f'MIRROR=https://mirror.example.invalid/almalinux\n{setup}\n'
        f'REPORT_FILE="$REPORT"; write_report {code}', REPORT=str(report))
    assert result.returncode == 0, result.stderr
    return report


def test_a_written_report_validates_and_lists_findings_with_their_table_entries(tmp_path):
    report = load_report(write_report(tmp_path, EXIT["BLOCKED"], setup=(
        'CHECK_ONLY=1\nSOURCE_PKGS=(rocky-release rocky-repos)\n'
        'TARGET_PKGS=(almalinux-release)\nDEPENDENTS=(vendor-agent)\n'
        'finding dependent-packages "the release swap would remove vendor-agent"\n'
        'finding insecure-http "INSECURE: \\"http\\"\nmirror"')))
    assert report["status"] == "blocked" and report["exit_code"] == EXIT["BLOCKED"]
    assert report["system"]["id"] == "rocky" and report["system"]["major"] == "9"
    assert [(f["id"], f["level"]) for f in report["findings"]] == [
        ("dependent-packages", "blocker"), ("insecure-http", "warning")]
    assert report["findings"][1]["detail"] == 'INSECURE: "http"\nmirror'
    assert report["packages"]["remove"] == ["rocky-release", "rocky-repos", "vendor-agent"]
    assert report["packages"]["install"] == ["almalinux-release"]


def test_the_report_replaces_a_symlink_planted_at_its_name_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "report.json").symlink_to(victim)
    report = write_report(tmp_path, EXIT["OK"])
    assert victim.read_text() == "precious\n"
    assert not report.is_symlink()
    load_report(report)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("report.json.")] == []


@pytest.mark.parametrize("where,problem", [
    ("missing-dir/report.json", "does not exist or is not writable"),
    (".", "is a directory"),
    ("", "needs a file name"),
])
def test_an_unusable_report_path_is_a_usage_error_naming_it(tmp_path, where, problem):
    target = str(tmp_path / where) if where else ""
    result = subprocess.run(["bash", str(SCRIPT), "--check", "--report", target],
                            capture_output=True, text=True, env=CLEAN_ENV, timeout=30)
    assert result.returncode == EXIT["USAGE"], result
    assert problem in result.stderr
    assert "--report" in result.stderr


def test_check_on_an_unsupported_system_writes_an_unsupported_report(tmp_path):
    # The tests run on Debian: the script refuses it before any check.
    assert "ID=debian" in Path("/etc/os-release").read_text()
    report = tmp_path / "report.json"
    result = subprocess.run(["bash", str(SCRIPT), "--check", "--report", str(report)],
                            capture_output=True, text=True, env=CLEAN_ENV, timeout=30)
    assert result.returncode == EXIT["UNSUPPORTED"], result
    loaded = load_report(report)
    assert loaded["status"] == "unsupported" and loaded["check_only"] is True
    assert "is not supported" in loaded["message"]


# -----------------------------------------------------------------------------
# The vendor package table and the test transaction's output
# -----------------------------------------------------------------------------


def vendor_rows():
    """The VENDOR_PKGS rows: [names, finding id, action, counterpart, what]."""
    out = in_script('printf "%s\\n" "${VENDOR_PKGS[@]}"')
    assert out.returncode == 0, out.stderr
    return [line.split("|") for line in out.stdout.splitlines()]


def test_vendor_table_rows_name_a_declared_finding_and_a_known_action():
    rows = vendor_rows()
    table = findings()
    for names, fid, action, counterpart, what in rows:
        assert fid in table and table[fid][0] in {"warning", "info"}, fid
        assert action in {"swap", "remove", "keep"}, names
        assert (action == "swap") == bool(counterpart), names
        assert names and what, names
    covered = " ".join(row[0] for row in rows)
    for name in ("openssl-fips-provider-so", "fips-provider-next", "insights-client", "rhc",
                 "rhc-worker-playbook", "libreport-rhel-*", "kernel-uek", "aliyun_rhui_rhel*",
                 "oraclelinux-*-release-el*", "oracle-*-release-el*", "oracle-epel-release-el*",
                 "epel-next-release", "centos-logos", "redhat-logos"):
        assert name in covered.split(), name


def test_vendor_table_leaves_the_release_packages_to_the_release_swap():
    # A name is declared once: the release packages the swap removes anyway
    # match no row of the vendor table (a row would report them twice).
    names = in_script('printf "%s\\n" "${SOURCE_RELEASE_PKGS[@]}" | vendor_matches').stdout
    assert in_script('printf "%s\\n" "${SOURCE_RELEASE_PKGS[@]}"').stdout.split()
    assert names == ""


def test_branding_packages_are_the_vendor_tables_branding_rows():
    out = in_script('printf "%s\\n" "${SOURCE_BRANDING_PKGS[@]}"').stdout.split()
    assert out == [n for row in vendor_rows() if row[1] == "vendor-branding" for n in row[0].split()]


@pytest.mark.parametrize("name,expected", [
    ("openssl-fips-provider-so", "vendor-fips-provider swap openssl-libs"),
    ("insights-client", "vendor-support-tools remove "),
    ("libreport-rhel-bugzilla", "vendor-support-tools remove "),
    ("kernel-uek-core", "vendor-kernel keep "),
    ("rocky-logos-httpd", "vendor-branding swap almalinux-logos-httpd"),
    ("rhui-azure-rhel9-sap-ha", "vendor-cloud-client remove "),
    ("google-rhui-client-rhel810-sap", "vendor-cloud-client remove "),
    ("aliyun_rhui_rhel9", "vendor-cloud-client remove "),
    # Oracle's EPEL row comes before the row for Oracle's other repositories.
    ("oracle-epel-release-el9", "vendor-repositories swap epel-release"),
    ("oraclelinux-developer-release-el9", "vendor-repositories remove "),
    ("oraclelinux-automation-manager-release-el8", "vendor-repositories remove "),
    ("oracle-instantclient-release-el8", "vendor-repositories remove "),
    ("oraclelinux-release-el9", ""),
    ("bash", ""),
])
def test_vendor_matches_applies_the_tables_globs(name, expected):
    out = in_script('printf "%s\\n" "$NAME" | vendor_matches | cut -f2-4', NAME=name)
    assert out.stdout.strip("\n").replace("\t", " ") == expected


FILE_CONFLICT_OUTPUT = """Transaction Summary
Running transaction test
Error: Transaction test error:
  file /usr/lib64/ossl-modules/fips.so from install of openssl-libs-1:3.2.2-6.el9.noarch conflicts with file from package openssl-fips-provider-so-3.0.7-2.el9.noarch
"""
DISK_OUTPUT = """Transaction Summary
Running transaction test
Error: Transaction test error:
  installing package simel-newer-1.1-1.el9.noarch needs 2MB more space on the /opt filesystem
"""
# dnf's real output: rpm's line for each package that does not fit (the
# shortfall so far), then its summary of the largest space shortfall per
# file system (not for inodes, nor for a mount point with a space in it).
DISK_SUMMARY_OUTPUT = """Transaction Summary
Running transaction test
Error: Transaction test error:
  installing package big-1.0-1.el9.noarch needs 2MB more space on the /opt filesystem
  installing package bigger-1.0-1.el9.noarch needs 9MB more space on the /opt filesystem
  installing package many-1.0-1.el9.noarch needs 12 more inodes on the /opt filesystem
  installing package big-data-1.0-1.el9.noarch needs 1MB more space on the /srv/big data filesystem

Error Summary
-------------
Disk Requirements:
   At least 9MB more space needed on the /opt filesystem.

"""
UNRESOLVED_OUTPUT = """Error:
 Problem: cannot install the best candidate for the job
  - nothing provides simel-missing needed by simel-newer-1.1-1.el9.noarch
"""
RESOLVED_OUTPUT = """Transaction Summary
Install 4 Packages
Operation aborted.
Error: Operation aborted.
"""
# dnf 4.14 in one shell: "module reset" then "module enable" of another
# stream fails, and the rest of the script still resolves and tests fine.
MODULE_SWITCH_FAILED_OUTPUT = """Cannot enable multiple streams for module 'virt'
Unable to resolve argument virt:rhel
Error: Problems in request:
broken groups or modules: virt:rhel
Transaction Summary
Running transaction test
Transaction test succeeded.
"""


@pytest.mark.parametrize("output,expected", [
    (FILE_CONFLICT_OUTPUT, "transaction-file-conflict"),
    (DISK_OUTPUT, "transaction-disk-space"),
    (UNRESOLVED_OUTPUT, "transaction-dependency-problem"),
    (RESOLVED_OUTPUT, ""),
    (MODULE_SWITCH_FAILED_OUTPUT, "transaction-dependency-problem"),
], ids=["file-conflict", "disk-space", "unresolved", "resolved-and-aborted",
        "module-switch-failed"])
def test_transaction_problems_sort_dnfs_output_into_finding_ids(output, expected):
    out = in_script('printf "%s" "$OUT" | transaction_problems', OUT=output)
    assert out.returncode == 0, out.stderr
    assert [line.split("\t")[0] for line in out.stdout.splitlines()] == ([expected] if expected else [])


SWAP_TABLE_OUTPUT = """Installing:
 almalinux-release      noarch   9.6-1.el9   almalinux-migrate-baseos   26 k
Removing:
 centos-stream-release  noarch   9.0-26.el9  @System                    7 k

Transaction Summary
Running transaction test
Transaction test succeeded.
"""
SYNC_ONLY_OUTPUT = """Upgrading:
 simel-newer            noarch   1.1-1.el9   almalinux-migrate-baseos   7 k

Transaction Summary
Running transaction test
Transaction test succeeded.
"""


@pytest.mark.parametrize("output,expected", [
    (SWAP_TABLE_OUTPUT, []),
    (SYNC_ONLY_OUTPUT, ["transaction-not-the-swap"]),
    (FILE_CONFLICT_OUTPUT, ["transaction-file-conflict"]),
], ids=["the-swap", "a-sync-without-the-release", "a-conflict-says-only-that"])
def test_a_transaction_rpm_accepts_counts_only_when_it_installs_almalinux_release(
        output, expected):
    out = in_script('read_transaction "$OUT"; transaction_findings "$OUT" || true\n'
                    'printf "%s\\n" "${FINDING_IDS[@]}"', OUT=output)
    assert out.returncode == 0, out.stderr
    assert [line for line in out.stdout.splitlines() if line] == expected


def test_disk_space_is_one_finding_per_file_system_with_dnfs_total_and_rpms_packages():
    out = in_script('printf "%s" "$OUT" | transaction_problems', OUT=DISK_SUMMARY_OUTPUT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "transaction-disk-space\tAt least 9MB more space needed on the /opt filesystem"
        " (installing big-1.0-1.el9.noarch, bigger-1.0-1.el9.noarch)",
        "transaction-disk-space\tinstalling package many-1.0-1.el9.noarch"
        " needs 12 more inodes on the /opt filesystem",
        "transaction-disk-space\tinstalling package big-data-1.0-1.el9.noarch"
        " needs 1MB more space on the /srv/big data filesystem"]
    alone = in_script('printf "%s" "$OUT" | transaction_problems', OUT=DISK_OUTPUT)
    assert alone.stdout.splitlines() == [
        "transaction-disk-space\tinstalling package simel-newer-1.1-1.el9.noarch"
        " needs 2MB more space on the /opt filesystem"]


def test_transaction_table_reads_every_kind_and_wrapped_names():
    table = """Installing:
 almalinux-release          noarch      9.8-1.el9          baseos         7.5 k
 a-very-long-package-name-that-wraps-onto-its-own-line
                            noarch      1.0-1.el9          baseos         7.5 k
Upgrading:
 openssl-libs               noarch      1:3.2.2-6.el9      baseos         6.4 k
Reinstalling:
 simel-rebuilt              noarch      1.0-1.el9          baseos         6.2 k
Removing:
 centos-logos               noarch      90.2-1.el9         @System        36
Downgrading:
 simel-older                noarch      1.9-1.el9          appstream      6.2 k

Transaction Summary
"""
    out = in_script('printf "%s" "$OUT" | transaction_table', OUT=table)
    assert out.stdout.splitlines() == [
        "install almalinux-release", "install a-very-long-package-name-that-wraps-onto-its-own-line",
        "upgrade openssl-libs", "reinstall simel-rebuilt", "remove centos-logos",
        "downgrade simel-older"]


@pytest.mark.parametrize("table", ["FINDINGS", "EXIT_CODES"])
def test_table_entries_read_the_same_in_the_file_as_the_script_prints_them(table):
    # The fleet playbook reads these tables from the verified file, without
    # running it: an entry must not hold anything bash would expand or unescape.
    block = re.search(rf"^readonly {table}=\(\n(.*?)^\)", TEXT, re.M | re.S)[1]
    in_file = re.findall(r'^  "(.*)"$', block, re.M)
    printed = in_script(f'printf "%s\\n" "${{{table}[@]}}"').stdout.splitlines()
    assert in_file == printed
    assert not [entry for entry in in_file if re.search(r'[\\$`]', entry)]


def test_the_migrations_dnf_gives_up_a_stalled_mirror_within_the_curl_stall_bound(tmp_path):
    # The migration's own dnf.conf bounds a stalled transfer like the
    # script's curl downloads (dnf's default is 30 s), and the failed
    # transfers of a command are counted (0 would retry forever): a few
    # minutes at most, as the troubleshooting page says.
    conf = tmp_path / "dnf.conf"
    result = in_script(f'write_dnf_conf {shlex.quote(str(conf))}')
    assert result.returncode == 0, result.stderr
    settings = dict(line.split("=", 1) for line in conf.read_text().splitlines()[1:])
    stall = int(re.search(r"^readonly CURL_STALL_SECONDS=([0-9]+)$", TEXT, re.M)[1])
    assert int(settings["timeout"]) == stall
    retries = int(settings["retries"])
    assert int(settings["minrate"]) > 0 and retries > 0
    assert (retries + 1) * stall <= 300
    assert settings["skip_if_unavailable"] == "False" and settings["sslverify"] == "1"


# -----------------------------------------------------------------------------
# A mirror that does not answer
# -----------------------------------------------------------------------------
def test_a_probe_the_mirror_does_not_answer_is_kept_and_later_probes_fail_at_once(tmp_path):
    # Nothing listens on port 1: connection refused (curl exit 7), at once.
    scratch = tmp_path / "check"
    scratch.mkdir()
    result = in_script(
        'rc=0; url_exists "http://127.0.0.1:1/9/BaseOS/x86_64/os/repodata/repomd.xml" || rc=$?\n'
        'echo "first=$rc"; rc=0\n'
        'url_exists "http://127.0.0.1:1/9/AppStream/x86_64/os/repodata/repomd.xml" || rc=$?\n'
        'echo "second=$rc"; rc=0\n'
        'fetch "http://127.0.0.1:1/RPM-GPG-KEY-AlmaLinux-9" "$CHECK_TMP/key" 100 || rc=$?\n'
        'echo "fetch=$rc"; mirror_failure',
        CHECK_TMP=str(scratch), ALLOW_HTTP="1")
    lines = result.stdout.splitlines()
    assert lines[:3] == ["first=2", "second=2", "fetch=1"], result
    kept = "cannot download http://127.0.0.1:1/9/BaseOS/x86_64/os/repodata/repomd.xml: curl: (7)"
    assert lines[3].startswith(kept), result
    # The later probe said the kept failure, not its own.
    assert result.stderr.strip().startswith(kept), result.stderr


def test_an_http_error_status_or_a_file_too_large_is_an_answer_not_a_mirror_failure(tmp_path):
    from simel.http import MirrorServer
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "big").write_bytes(b"x" * 100)
    (tmp_path / "check").mkdir()
    with MirrorServer(tmp_path / "mirror") as server:
        result = in_script(
            f'rc=0; url_exists "{server.url}/9/BaseOS/x86_64/os/repodata/repomd.xml.asc" || rc=$?\n'
            'echo "rc=$rc"; rc=0\n'
            f'fetch "{server.url}/big" "$CHECK_TMP/big" 10 2>/dev/null || rc=$?\n'
            'echo "fetch=$rc"\n'
            'mirror_failure || echo "no failure kept"',
            CHECK_TMP=str(tmp_path / "check"), ALLOW_HTTP="1")
    assert result.stdout.splitlines() == ["rc=1", "fetch=1", "no failure kept"], result


@pytest.mark.parametrize("messages,expected", [
    ("Downloading Packages:\n[MIRROR] a-1.rpm: Curl error (28): Timeout was reached for "
     "http://m/a-1.rpm [Operation too slow]\n[FAILED] a-1.rpm: No more mirrors to try\n"
     "Error: Error downloading packages:\n",
     "a-1.rpm: Curl error (28): Timeout was reached for http://m/a-1.rpm [Operation too slow]"),
    ("Errors during downloading metadata for repository 'baseos':\n"
     "  - Curl error (28): Timeout was reached for http://m/repodata/x-filelists.xml.gz [slow]\n"
     "Error: Failed to download metadata for repo 'baseos'\n",
     "Curl error (28): Timeout was reached for http://m/repodata/x-filelists.xml.gz [slow]"),
    ("Error: Failed to download metadata for repo 'baseos': repodata/x.xml.gz - Cannot download\n",
     "Error: Failed to download metadata for repo 'baseos': repodata/x.xml.gz - Cannot download"),
    ("Nothing to do.\n", ""),
], ids=["package", "metadata", "error-line-only", "none"])
def test_download_error_names_the_file_that_failed_first(messages, expected):
    result = in_script('download_error <<<"$MESSAGES"', MESSAGES=messages)
    assert result.returncode == 0, result
    assert result.stdout.strip() == expected
