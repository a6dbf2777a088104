"""Hosts that lie in what they report, and staging places others could change.

One check-only run over: a host whose os-release and uname try to rewrite
the fleet report (extra columns and rows, a link, HTML, a forged "ready"
row), and hosts whose fleet_stage_parent is a directory of an ordinary
user, a symbolic link, a world-writable directory without the sticky bit,
or that still set the removed fleet_stage_dir.
"""

import json
import os
import re

import pytest

from chroot_adapter import INTRUDER_UID
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
HOSTS = [("liar", "centos8"), *[(name, "centos8") for name in UNSAFE], ("old-setting", "centos8")]


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
