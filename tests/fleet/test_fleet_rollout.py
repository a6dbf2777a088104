"""A real rollout of migrate.yml over simulated EL hosts.

Four hosts in inventory order: a CentOS Linux 8 canary, Rocky Linux 9,
Oracle Linux 8 and a CentOS Linux 7 host the script refuses. The playbook runs
for real (checksum check, --check on every host, report, canary, batches,
verification) with only the reboot switched off; then it runs a second time.
"""

import datetime as dt

import pytest

from fleet_helpers import FLEET_DIR
from simel import diff_digests

pytestmark = pytest.mark.slow

HOSTS = [("canary-centos8", "centos8"), ("rocky9", "rocky9"),
         ("ol8", "ol8"), ("legacy-centos7", "centos7")]
READY = ["canary-centos8", "rocky9", "ol8"]
BLOCKED = "legacy-centos7"
CANARY = "canary-centos8"


def when(stamp):
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture(scope="module")
def rollout(make_fleet):
    """The fleet before, after a first run and after a second run."""
    fleet = make_fleet(HOSTS)
    before = fleet.digests()
    first = fleet.run("first")
    after_first = fleet.digests()
    second = fleet.run("second")
    after_second = fleet.digests()
    return {"fleet": fleet, "before": before, "first": first, "after_first": after_first,
            "second": second, "after_second": after_second}


def test_first_run_succeeds_with_the_blocked_host_skipped(rollout):
    first = rollout["first"]
    assert first.returncode == 0, first.output
    recap = first.recap
    assert set(recap) == {*dict(HOSTS), "localhost"}, first.output
    assert all(recap[h]["failed"] == 0 and recap[h]["unreachable"] == 0 for h in recap), recap
    assert all(recap[h]["changed"] >= 1 for h in READY), recap
    assert recap[BLOCKED]["changed"] == 0, recap


def test_report_json_gives_source_os_and_readiness_per_host(rollout):
    report = rollout["first"].report
    rows = {h["host"]: h for h in report["hosts"]}
    assert list(rows) == [name for name, _ in HOSTS]
    assert (rows[CANARY]["os_id"], rows[CANARY]["os_version"]) == ("centos", "8")
    assert (rows["rocky9"]["os_name"], rows["rocky9"]["os_version"]) == ("Rocky Linux", "9.5")
    assert (rows["ol8"]["os_id"], rows["ol8"]["os_version"]) == ("ol", "8.10")
    assert (rows[BLOCKED]["os_id"], rows[BLOCKED]["os_version"]) == ("centos", "7")
    assert [rows[h]["status"] for h in READY] == ["ready"] * 3
    assert all(rows[h]["reasons"] == [] for h in READY)
    assert report["summary"] == {"hosts": 4, "ready": 3, "blocked": 1, "already_almalinux": 0,
                                 "unchecked": 0, "migrated": 3, "failed": 0}
    assert report["phase"] == "rollout"


def test_report_gives_the_blocked_hosts_exit_code_and_reasons(rollout):
    blocked = rollout["first"].host(BLOCKED)
    assert blocked["status"] == "blocked"
    assert (blocked["check_exit"], blocked["check_exit_name"]) == (3, "UNSUPPORTED")
    assert blocked["reasons"][0].startswith("Unsupported system")
    assert any("CentOS Linux 7 is not supported" in r for r in blocked["reasons"]), blocked
    assert blocked["migration"] is None


def test_report_markdown_has_a_row_per_host_and_the_warnings(rollout):
    first = rollout["first"]
    text = first.report_md.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].split("|")[1].strip() == "Host"
    by_host = {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[2:-1]] for r in rows[1:]}
    assert set(by_host) == set(dict(HOSTS))
    assert by_host["rocky9"][:4] == ["Rocky Linux", "9.5", first.host("rocky9")["arch"], "ready"]
    assert by_host[BLOCKED][3] == "blocked" and "CentOS Linux 7 is not supported" in by_host[BLOCKED][4]
    assert all(by_host[h][5].startswith("migrated (") for h in READY), by_host
    assert "3 ready, 1 blocked" in text
    # The script's --fingerprint warning reaches the report.
    assert "TRUSTING A KEY GIVEN ON THE COMMAND LINE" in text
    # ... and the report is printed in the run's output too.
    assert "| " + BLOCKED + " | CentOS Linux | 7 |" in first.output


def test_canary_finished_before_any_other_host_started(rollout):
    report = rollout["first"].report
    migrations = {h["host"]: h["migration"] for h in report["hosts"] if h["migration"]}
    assert set(migrations) == set(READY)
    assert all(m["state"] == "migrated" for m in migrations.values()), migrations
    canary_end = when(migrations[CANARY]["finished_at"])
    for host in READY[1:]:
        assert canary_end < when(migrations[host]["started_at"]), migrations
    # Default batches [1, "10%", "100%"]: rocky9 alone, then ol8.
    assert when(migrations["rocky9"]["finished_at"]) < when(migrations["ol8"]["started_at"])


def test_ready_hosts_end_as_almalinux_with_almalinux_packages(rollout):
    for name in READY:
        root = rollout["fleet"].roots[name]
        assert root.os_release()["ID"] == "almalinux", name
        release = root.package("almalinux-release")
        assert release is not None and release.vendor == "AlmaLinux", name
        vendors = {p.name: p.vendor for p in root.packages()}
        assert set(vendors.values()) == {"AlmaLinux"}, (name, vendors)


def test_blocked_host_is_byte_for_byte_untouched(rollout):
    before = rollout["before"][BLOCKED]
    assert diff_digests(before, rollout["after_first"][BLOCKED]) == []
    assert diff_digests(before, rollout["after_second"][BLOCKED]) == []


def test_nothing_is_left_on_the_hosts_but_the_scripts_own_files(rollout):
    for name in READY:
        changed = diff_digests(rollout["before"][name], rollout["after_first"][name])
        assert not [c for c in changed if "almalinux-fleet" in c or ".ansible" in c], changed


def test_second_run_reports_no_change_and_changes_nothing(rollout):
    second = rollout["second"]
    assert second.returncode == 0, second.output
    assert second.recap and all(r["changed"] == 0 and r["failed"] == 0
                                for r in second.recap.values()), second.recap
    for name in rollout["fleet"].roots:
        assert diff_digests(rollout["after_first"][name], rollout["after_second"][name]) == [], name
    report = second.report
    assert [h["status"] for h in report["hosts"]] == ["migrated"] * 3 + ["blocked"]
    assert report["summary"]["migrated"] == 0



def test_host_interrupted_after_the_point_of_no_return_is_resumed(make_fleet, fleet_lab):
    fleet = make_fleet([("stopped-centos8", "centos8")])
    root = fleet.roots["stopped-centos8"]
    # Power lost during the package swap: the script was past its point of no return.
    root.inject_kill("dnf", match="shell")
    killed = root.run_script(*fleet_lab.script_args(root))
    root.remove_faults()
    assert killed.killed, killed
    assert "PONR=1" in root.read("/var/lib/almalinux-migrate/state")

    run = fleet.run("resume")

    assert run.returncode == 0, run.output
    host = run.host("stopped-centos8")
    assert host["status"] == "ready"
    assert any("interrupted migration" in w for w in host["warnings"]), host
    assert host["migration"]["state"] == "migrated"
    assert root.os_release()["ID"] == "almalinux"
    assert "STEP=done" in root.read("/var/lib/almalinux-migrate/state")
    assert {p.vendor for p in root.packages()} == {"AlmaLinux"}


def test_kernel_check_after_a_reboot_refuses_a_kernel_that_is_not_almalinuxs(rollout):
    # The hosts cannot reboot here; run the playbook's verification as it
    # runs after a reboot. The running kernel is the test machine's, which
    # no AlmaLinux package owns: the check must catch it.
    fleet = rollout["fleet"]
    playbook = fleet.base / "verify-after-reboot.yml"
    playbook.write_text(
        f"- name: Verify as after a reboot\n  hosts: {CANARY}\n  gather_facts: false\n"
        f"  tasks:\n    - name: Verify\n      ansible.builtin.import_tasks: {FLEET_DIR}/tasks/verify.yml\n")

    run = fleet.run("verify-after-reboot", playbook=playbook, fleet_reboot=True)

    assert run.returncode != 0, run.output
    # os-release and the release package pass; only the kernel check fails.
    assert run.output.count("FAILED!") == 1, run.output
    assert f"{CANARY} booted a kernel that is not AlmaLinux's" in run.output
