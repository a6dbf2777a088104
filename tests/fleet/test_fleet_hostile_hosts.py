"""Hosts that lie in what they report, and staging places others could change.

One check-only run over: a host whose os-release and uname try to rewrite
the fleet report (extra columns and rows, a link, HTML, a forged "ready"
row), and hosts whose fleet_stage_parent is a directory of an ordinary
user, a symbolic link, a world-writable directory without the sticky bit,
or that still set the removed fleet_stage_dir; and hosts that forge the
script's --report: garbage, a "ready" report for a blocked host, a finding
the script does not have, and a consistent report whose details, title and
repositories carry table rows, links and HTML.
"""

import json
import os
import re

import pytest

from chroot_adapter import INTRUDER_UID
from migrate_script import EXIT, findings
from simel import RPMDB_VOLATILE, diff_digests

pytestmark = pytest.mark.slow

LYING_NAME = "Evil | ready | [x](https://evil.example) <b>bold</b> `code`"
FORGED_ROW = "| forged-host | CentOS Linux | 8 | x86_64 | ready | - | migrated (now) |"
FAKE_UNAME = f"""#!/bin/sh
# A host that lies: a second line in its architecture.
if [ "$1" = -m ]; then printf 'x86_64\\n%s\\n' '{FORGED_ROW}'; else exec /usr/bin/uname "$@"; fi
"""

# host: (fleet_stage_parent or None, setup of the root, what the refusal says)
UNSAFE = {
    "parent-mallorys": ("/var/tmp/mallory", "mallorys", f"is owned by uid {INTRUDER_UID}, not root"),
    "parent-symlink": ("/srv/stage-link", "symlink", "is a symbolic link"),
    "parent-open": ("/srv/open", "open", "is writable by others (mode 0777, no sticky bit)"),
}

# Hosts that rewrite the script's report as it is written: the script syncs
# the finished report (report.json.XXXXXX beside its name) before renaming it
# into place, and this sync, found before /usr/bin/sync, first puts the
# host's own document there (or removes the report, without one).
FORGED_REPORT = "/etc/forged-report"
FAKE_SYNC = f"""#!/bin/sh
case "$2" in
  */report.json.*) if [ -f {FORGED_REPORT} ]; then cat {FORGED_REPORT} > "$2"; else rm -f "$2"; fi ;;
esac
exec /usr/bin/sync "$@"
"""
REPORT_ROW = "| forged-by-report | CentOS Linux | 8 | x86_64 | ready | - | migrated (now) |"
FORGED_DETAIL = f"fine\n{REPORT_ROW}\n<b>bold</b> [x](https://evil.example) `code` <script>alert(1)</script>"
FORGED_TITLE = "<img src=x onerror=alert(2)> all good"
FORGED_REPO = "[repo](https://evil.example/repo) <i>it</i>"


def forged_ready_report(finding_list, third_party=()):
    """A --check report in the script's format that says: ready."""
    return json.dumps({
        "format_version": 1, "tool": {"name": "almalinux-migrate.sh", "version": "1.0.0"},
        "check_only": True,
        "system": {"id": "centos", "name": "CentOS Linux", "version_id": "8", "major": "8",
                   "arch": "x86_64", "container": "none", "virtualization": "none"},
        "mirror": "", "status": "ready", "exit_code": EXIT["OK"], "message": "",
        "findings": finding_list, "third_party_repositories": list(third_party),
        "packages": {"install": [], "remove": ["| forged-by-report |"], "accepted_removals": [],
                     "downgrade": [], "not_migrated": []}})


# host: (the forged report or None, a blocked host (a mirror that does not exist)?,
# what the refusal says, or None where the report is consistent)
FORGERS = {
    "forger-no-report": (None, False, "its report cannot be used: it wrote none"),
    "forger-garbage": ("<html><body>| forged-by-report | ready |</body></html>\n", False,
                       "its report cannot be used: it is not JSON"),
    "forger-claims-ready": (forged_ready_report([]), True,
                            f"it gives exit code {EXIT['OK']}, but the script exited with {EXIT['BLOCKED']}"),
    "forger-unknown-finding": (forged_ready_report([{
        "id": "all-good", "level": "info", "title": "All good", "detail": "trust me",
        "remediation": ""}]), False, "its finding 1 is not one of the script's findings"),
    "forger-markup": (forged_ready_report([{
        "id": "custom-key", "level": "warning", "title": FORGED_TITLE, "detail": FORGED_DETAIL,
        "remediation": "[click](https://evil.example)"}], [FORGED_REPO]), False, None),
}
HOSTS = [("liar", "centos8"), *[(name, "centos8") for name in UNSAFE], ("old-setting", "centos8"),
         *[(name, "centos8") for name in FORGERS]]


def prepare(root, kind):
    if kind == "mallorys":
        path = root.path / "var/tmp/mallory"
        path.mkdir()
        os.chown(path, INTRUDER_UID, INTRUDER_UID)
        path.chmod(0o700)
    elif kind == "symlink":
        (root.path / "srv/stage-link").symlink_to("/var/tmp")
    elif kind == "open":
        path = root.path / "srv/open"
        path.mkdir()
        path.chmod(0o777)


@pytest.fixture(scope="module")
def checked(make_fleet):
    fleet = make_fleet(HOSTS)
    liar = fleet.roots["liar"]
    os_release = liar.path / "etc/os-release"
    os_release.write_text(re.sub(r'(?m)^NAME=.*$', f'NAME="{LYING_NAME}"', os_release.read_text()))
    uname = liar.path / "usr/sbin/uname"     # found before /usr/bin/uname
    uname.parent.mkdir(parents=True, exist_ok=True)
    uname.write_text(FAKE_UNAME)
    uname.chmod(0o755)
    inventory = json.loads(fleet.inventory.read_text())
    for name, (parent, kind, _) in UNSAFE.items():
        prepare(fleet.roots[name], kind)
        inventory["all"]["hosts"][name]["fleet_stage_parent"] = parent
    inventory["all"]["hosts"]["old-setting"]["fleet_stage_dir"] = "/var/tmp/almalinux-fleet"
    for name, (document, blocked, _) in FORGERS.items():
        root = fleet.roots[name]
        if document is not None:
            (root.path / FORGED_REPORT.lstrip("/")).write_text(document)
        sync = root.path / "usr/sbin/sync"
        sync.parent.mkdir(parents=True, exist_ok=True)
        sync.write_text(FAKE_SYNC)
        sync.chmod(0o755)
        if blocked:
            inventory["all"]["hosts"][name]["fleet_mirror"] = "file:///srv/no-such-mirror"
    fleet.inventory.write_text(json.dumps(inventory))
    before = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}
    run = fleet.run("check", fleet_check_only=True)
    after = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}
    return {"fleet": fleet, "run": run, "before": before, "after": after}


def table_rows(markdown):
    """Rows of the host table, split into cells on pipes that are not escaped."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


def test_lying_host_gets_exactly_one_row_with_its_real_status(checked):
    run = checked["run"]
    markdown = run.report_md.read_text()
    rows = table_rows(markdown)
    assert [r[0] for r in rows] == [name for name, _ in HOSTS], markdown
    assert all(len(r) == 7 for r in rows), rows
    liar = next(r for r in rows if r[0] == "liar")
    assert liar[4] == "blocked", liar       # the script refuses the two-line architecture
    assert run.host("liar")["status"] == "blocked"
    # The forged row stays inside the liar's Arch cell, on the liar's line.
    assert [line for line in markdown.splitlines() if "forged-host" in line] == [
        next(line for line in markdown.splitlines() if line.startswith("| liar |"))]


def test_lying_host_cannot_inject_links_html_or_code(checked):
    markdown = checked["run"].report_md.read_text()
    assert "[x](" not in markdown and "<b>" not in markdown and "`code`" not in markdown
    assert ("Evil \\| ready \\| \\[x\\](https://evil.example) \\<b\\>bold\\</b\\> \\`code\\`"
            in markdown), markdown
    # The JSON report keeps what the host said, unchanged.
    host = checked["run"].host("liar")
    assert host["os_name"] == LYING_NAME
    assert host["arch"] == "x86_64\n" + FORGED_ROW


@pytest.mark.parametrize("host", list(UNSAFE))
def test_staging_parent_that_others_could_change_is_refused(checked, host):
    run = checked["run"]
    parent, _, said = UNSAFE[host]
    status = run.host(host)
    assert status["status"] == "unchecked", status
    reasons = " ".join(status["reasons"])
    assert f"Cannot stage the script below {parent} on {host}" in reasons, reasons
    assert said in reasons, reasons
    assert "Nothing was run on this host" in reasons


def test_removed_fleet_stage_dir_setting_is_refused(checked):
    status = checked["run"].host("old-setting")
    assert status["status"] == "unchecked", status
    assert "fleet_stage_dir is set for old-setting" in " ".join(status["reasons"])


def test_refused_hosts_stop_the_run_and_nothing_is_created_on_any_host(checked):
    run = checked["run"]
    assert run.returncode != 0, run.output
    assert "Stopped before any change" in run.output
    for name in checked["fleet"].roots:
        assert diff_digests(checked["before"][name], checked["after"][name]) == [], name


def test_reports_are_private_and_say_the_downloads_are_unsigned(checked):
    run = checked["run"]
    for path in (run.report_json, run.report_md):
        assert oct(path.stat().st_mode & 0o777) == oct(0o600), path
    assert "The downloads are not signed" in run.output
    assert "SHA256SUMS: not signed." in run.report_md.read_text()
    assert run.report["sha256sums_signed_by"] == ""


@pytest.mark.parametrize("host", [name for name, (_, _, said) in FORGERS.items() if said])
def test_forged_report_that_does_not_match_the_run_fails_the_host_never_ready(checked, host):
    run = checked["run"]
    status = run.host(host)
    assert status["status"] == "unchecked", status
    reasons = " ".join(status["reasons"])
    assert f"on {host}, but its report cannot be used" in reasons, reasons
    assert FORGERS[host][2] in reasons, reasons
    assert "The host counts as failed, not as ready or migrated" in reasons, reasons
    assert status["findings"] == [] and status["migration"] is None, status
    row = next(r for r in table_rows(run.report_md.read_text()) if r[0] == host)
    assert row[4] == "unchecked", row
    assert host in run.output.split("Stopped before any change:")[1].split("could not be checked")[0]


def test_forged_report_cannot_add_rows_links_html_or_titles(checked):
    run = checked["run"]
    markdown = run.report_md.read_text()
    rows = table_rows(markdown)
    assert [r[0] for r in rows].count("forger-markup") == 1 and all(len(r) == 7 for r in rows), rows
    # Its report matches its run (ready, exit 0), so only its words are shown:
    assert run.host("forger-markup")["status"] == "ready"
    # the forged row stays inside one escaped list item of the finding's
    # group, and nothing of it is a link, an image, HTML or code.
    lines = [line for line in markdown.splitlines() if "forged-by-report" in line]
    escaped = ("- **forger-markup**: fine \\| forged-by-report \\| CentOS Linux \\| 8 \\| x86_64"
               " \\| ready \\| - \\| migrated (now) \\| \\<b\\>bold\\</b\\> \\[x\\](https://evil.example)"
               " \\`code\\` \\<script\\>alert(1)\\</script\\>")
    assert escaped in lines, lines
    assert not [line for line in lines if line.startswith("|")], lines
    for raw in ("<script>", "<img", "<i>", "[repo](", "[click](", "[x]("):
        assert raw not in markdown, raw
    # Title and what to do come from the verified script, not from the host.
    assert "alert(2)" not in markdown and "all good" not in markdown
    level, title, fix = findings()["custom-key"]
    group = next(g for g in run.report["findings"] if g["id"] == "custom-key")
    assert (group["level"], group["title"], group["remediation"]) == (level, title, fix)
    assert {"host": "forger-markup", "detail": FORGED_DETAIL} in group["hosts"], group
    assert markdown.count("### `custom-key`") == 1
    # The JSON report keeps what the host said, unchanged, and no more.
    host = run.host("forger-markup")
    assert host["findings"] == [{"id": "custom-key", "level": "warning", "detail": FORGED_DETAIL}]
    assert host["third_party_repos"] == [FORGED_REPO]
    assert "\\[repo\\](https://evil.example/repo) \\<i\\>it\\</i\\>" in markdown
