"""What stops the playbook, and what it leaves alone when it stops."""

import json

import pytest

from chroot_adapter import handle_for

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
    assert (ol8["check_exit"], ol8["check_exit_name"]) == (4, "BLOCKED")
    assert ol8["reasons"][0].startswith("Preflight blockers")
    assert any("mirror" in r and "no-such-mirror" in r for r in ol8["reasons"][1:]), ol8
    assert any("Secure Boot" in w for w in ol8["warnings"]), ol8
    assert "PLAY [Migrate the ready hosts" in run.output
    assert "Run almalinux-migrate.sh in mode migrate" not in run.output
    assert_untouched(fleet, before, RPMDB_VOLATILE)


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
