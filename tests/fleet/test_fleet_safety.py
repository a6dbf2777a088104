"""What stops the playbook, and what it leaves alone when it stops."""

import json
import re

import pytest

from chroot_adapter import handle_for
from migrate_script import EXIT, exit_codes, findings

from simel import NEWER, RPMDB_VOLATILE, diff_digests

pytestmark = pytest.mark.slow


def assert_untouched(fleet, before, exclude=()):
    after = {name: root.digest(exclude) for name, root in fleet.roots.items()}
    for name in fleet.roots:
        assert diff_digests(before[name], after[name]) == [], name


@pytest.mark.parametrize("damage", ["script changed", "no line for the script"])
def test_script_not_matching_sha256sums_is_refused_before_any_host_is_touched(make_fleet, damage):
    fleet = make_fleet([("centos8", "centos8")])
    if damage == "script changed":
        fleet.script.write_bytes(fleet.script.read_bytes() + b"\ntrue  # changed\n")
    else:
        fleet.sums.write_text(fleet.sums.read_text().replace("almalinux-migrate.sh", "other.sh"))
    before = fleet.digests()

    run = fleet.run("refused")

    assert run.returncode != 0, run.output
    assert "Refuse a script that does not match SHA256SUMS" in run.output
    assert "No host was touched" in run.output
    assert set(run.recap) == {"localhost"}, run.recap        # no play reached a host
    assert not run.report_json.exists() and not run.report_md.exists()
    assert_untouched(fleet, before)


def test_check_only_writes_the_report_and_changes_no_host(make_fleet):
    fleet = make_fleet([("rocky9", "rocky9"), ("centos8", "centos8"), ("ol8", "ol8"),
                        ("fedora", "fedora")])
    # ol8 is given a mirror that does not exist: a preflight blocker.
    inventory = json.loads(fleet.inventory.read_text())
    inventory["all"]["hosts"]["ol8"]["fleet_mirror"] = "file:///srv/no-such-mirror"
    fleet.inventory.write_text(json.dumps(inventory))
    # The script's own rpm queries may rewrite sqlite's shared-memory index
    # (not data; see simel's RPMDB_VOLATILE).
    before = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}

    # One host per batch: check-only must stop every batch, not just the first.
    run = fleet.run("check", fleet_check_only=True, fleet_serial=1)

    assert run.returncode == 0, run.output
    assert all(r["changed"] == 0 for r in run.recap.values()), run.recap
    report = run.report
    assert report["phase"] == "preflight"
    assert [(h["host"], h["os_id"], h["status"]) for h in report["hosts"]] == [
        ("rocky9", "rocky", "ready"), ("centos8", "centos", "ready"), ("ol8", "ol", "blocked"),
        ("fedora", "fedora", "blocked")]
    ol8 = run.host("ol8")
    assert (ol8["check_exit"], ol8["check_exit_name"]) == (EXIT["BLOCKED"], "BLOCKED")
    assert ol8["check_status"] == "blocked"
    assert ol8["reasons"][0] == exit_codes()["BLOCKED"][1]
    assert any("mirror" in r and "no-such-mirror" in r for r in ol8["reasons"][1:]), ol8
    assert any("Secure Boot" in w for w in ol8["warnings"]), ol8
    assert all(f["level"] == findings()[f["id"]][0] for f in ol8["findings"]), ol8
    assert "PLAY [Migrate the ready hosts" in run.output
    assert "Run almalinux-migrate.sh in mode migrate" not in run.output
    assert_untouched(fleet, before, RPMDB_VOLATILE)


def findings_section(markdown):
    """{finding id: (the heading line, the host list items)} of the Markdown report."""
    section = markdown.split("\n## Findings\n", 1)[1].split("\n## ", 1)[0]
    groups = {}
    for block in section.split("\n### ")[1:]:
        lines = block.splitlines()
        fid = re.match(r"`([a-z0-9-]+)`", lines[0])[1]
        assert fid not in groups, f"{fid} has two headings"
        groups[fid] = (lines[0], [line for line in lines if line.startswith("- **")])
    return groups


def test_blocker_on_two_hosts_is_listed_once_under_its_id_with_both_hosts(make_fleet):
    fleet = make_fleet([("centos8", "centos8"), ("rocky9", "rocky9"), ("ol8", "ol8")])
    inventory = json.loads(fleet.inventory.read_text())
    for name in ("centos8", "ol8"):
        inventory["all"]["hosts"][name]["fleet_mirror"] = "file:///srv/no-such-mirror"
    fleet.inventory.write_text(json.dumps(inventory))

    run = fleet.run("grouped", fleet_check_only=True)

    assert run.returncode == 0, run.output
    blockers = {f["id"] for f in run.host("centos8")["findings"] if f["level"] == "blocker"}
    assert blockers and blockers == {f["id"] for f in run.host("ol8")["findings"]
                                     if f["level"] == "blocker"}, run.report["hosts"]
    assert not [f for f in run.host("rocky9")["findings"] if f["level"] == "blocker"]
    groups = {g["id"]: g for g in run.report["findings"]}
    markdown = findings_section(run.report_md.read_text())
    known = findings()
    for fid in blockers:
        level, title, fix = known[fid]
        group = groups[fid]
        assert (group["level"], group["title"], group["remediation"]) == (level, title, fix)
        assert [h["host"] for h in group["hosts"]] == ["centos8", "ol8"], group
        assert all("no-such-mirror" in h["detail"] for h in group["hosts"]), group
        heading, items = markdown[fid]
        assert heading == f"`{fid}` (blocker): {title}", heading
        assert [item.split("**")[1] for item in items] == ["centos8", "ol8"], items
    # Blockers come first; every id of the JSON is a heading of the Markdown.
    assert list(markdown) == [g["id"] for g in run.report["findings"]]
    levels = [g["level"] for g in run.report["findings"]]
    assert levels == sorted(levels, key=["blocker", "warning", "info"].index), levels
    # A warning all three hosts have is listed once too, with all three; no
    # id is listed twice.
    shared = [g for g in run.report["findings"] if len(g["hosts"]) == 3]
    assert any(g["level"] == "warning" for g in shared), run.report["findings"]
    ids = [g["id"] for g in run.report["findings"]]
    assert len(ids) == len(set(ids)), ids


def test_failed_canary_stops_the_rollout_and_the_next_host_is_untouched(make_fleet, fleet_lab):
    # The canary's mirror serves a tampered package: --check (which does not
    # download packages) says ready, the real run refuses the package and
    # restores the host.
    tampered = fleet_lab.mirror_with(tampered=NEWER)
    fleet = make_fleet([("canary-rocky9", "rocky9"), ("centos8", "centos8")],
                       mirrors={"canary-rocky9": tampered})
    before = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}

    run = fleet.run("halted", fleet_serial=[1, "100%"])

    assert run.returncode != 0, run.output
    assert run.recap["canary-rocky9"]["failed"] == 1, run.recap
    assert run.recap["centos8"]["changed"] == 0, run.recap
    report = run.report
    canary, other = (run.host(h) for h in ("canary-rocky9", "centos8"))
    assert canary["status"] == other["status"] == "ready"
    assert canary["migration"]["state"] == "failed"
    assert canary["migration"]["exit"] == 5, canary
    assert canary["migration"]["reason"].startswith("Failed before the point of no return")
    assert "package signature check failed" in canary["migration"]["reason"]
    assert other["migration"] is None
    assert report["summary"]["failed"] == 1 and report["summary"]["migrated"] == 0
    assert "| centos8 |" in run.report_md.read_text()
    assert "not started" in run.report_md.read_text()
    # The next batch never started: only its preflight read that host.
    assert diff_digests(before["centos8"], fleet.roots["centos8"].digest(RPMDB_VOLATILE)) == []
    # The canary was restored by the script: still Rocky Linux.
    assert fleet.roots["canary-rocky9"].os_release()["ID"] == "rocky"


# Rewrites the report of a real run (not of --check) with garbage as the
# script syncs it, before renaming it into place (see also
# test_fleet_hostile_hosts.py).
GARBAGE_SYNC = """#!/bin/sh
case "$2" in
  */report.json.*) grep -q '"check_only": false' "$2" && echo '{"status": "migrated", "exit_code": 0' > "$2" ;;
esac
exec /usr/bin/sync "$@"
"""


def test_host_whose_migration_report_is_invalid_is_failed_never_migrated(make_fleet):
    fleet = make_fleet([("canary-centos8", "centos8"), ("rocky9", "rocky9")])
    sync = fleet.roots["canary-centos8"].path / "usr/sbin/sync"
    sync.parent.mkdir(parents=True, exist_ok=True)
    sync.write_text(GARBAGE_SYNC)
    sync.chmod(0o755)
    before = fleet.roots["rocky9"].digest(RPMDB_VOLATILE)

    run = fleet.run("forged-migration", fleet_serial=[1, "100%"])

    assert run.returncode != 0, run.output
    canary = run.host("canary-centos8")
    assert canary["status"] == "ready", canary            # its --check report was fine
    migration = canary["migration"]
    assert migration["state"] == "failed", migration
    assert migration["reason"].startswith(
        f"almalinux-migrate.sh exited with {EXIT['OK']} on canary-centos8, but its report cannot be used:"
        " it is not JSON."), migration
    assert "The host counts as failed, not as ready or migrated" in migration["reason"]
    assert run.report["summary"]["migrated"] == 0 and run.report["summary"]["failed"] == 1
    # A failed canary stops the rollout: the next host was only read.
    assert run.host("rocky9")["migration"] is None
    assert diff_digests(before, fleet.roots["rocky9"].digest(RPMDB_VOLATILE)) == []


def test_host_that_cannot_be_checked_stops_everything_before_any_change(make_fleet, tmp_path):
    fleet = make_fleet([("centos8", "centos8")])
    # A host the connection cannot enter: the chroot executable refuses it.
    inventory = json.loads(fleet.inventory.read_text())
    lost = handle_for(tmp_path, "lost")
    inventory["all"]["hosts"]["lost"] = {"ansible_host": str(lost)}
    fleet.inventory.write_text(json.dumps(inventory))
    before = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}

    run = fleet.run("unchecked")

    assert run.returncode != 0, run.output
    assert "Stopped before any change: lost could not be checked" in run.output
    assert [(h["host"], h["status"]) for h in run.report["hosts"]] == [
        ("centos8", "ready"), ("lost", "unchecked")]
    assert "unknown host handle" in " ".join(run.host("lost")["reasons"])
    assert "PLAY [Migrate the ready hosts" not in run.output
    assert_untouched(fleet, before, RPMDB_VOLATILE)
