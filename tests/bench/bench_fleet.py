#!/usr/bin/env python3
"""Fleet benchmark: migrate.yml over N simulated hosts (default 20).

Builds the hosts with the fleet tests' lab (tests/fleet: the simulated EL
systems of tests/migrate/simel behind Ansible's chroot connection), runs the
playbook for real (checksum check, --check on every host, report, canary,
batches [1, "10%", "100%"], verification; reboots off) with --forks 10, and
prints:
- the playbook's total wall time and its time per host;
- the script alone: one run of almalinux-migrate.sh on one more host of the
  same kind, without Ansible; the overhead per host is the playbook's time
  per host minus that;
- the controller's peak memory: the largest resident set of any process of
  the ansible-playbook run (GNU time's maximum RSS, which covers the forked
  workers it waited for).

Needs root and the test system packages (scripts/dev/install-system-packages.sh test).
Run: .venv/bin/python tests/bench/bench_fleet.py [--hosts 20] [--forks 10] [--family centos8]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for sub in ("", "fleet", "migrate"):
    sys.path.insert(0, str(TESTS / sub))

from fleet_helpers import PLAYBOOK, SCRIPT, ansible_env, ansible_tool, build_fleet  # noqa: E402
from simel import Lab, missing_host_requirements  # noqa: E402


def run_playbook(fleet, forks):
    """ansible-playbook under GNU time: (seconds, peak RSS in KiB, report)."""
    report_json = fleet.base / "bench-report.json"
    variables = {"fleet_script": str(fleet.script), "fleet_sha256sums": str(fleet.sums),
                 "fleet_report_md": str(fleet.base / "bench-report.md"),
                 "fleet_report_json": str(report_json), "fleet_reboot": False}
    rss_file = fleet.base / "peak-rss"
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file),
         str(ansible_tool("ansible-playbook")), "-i", str(fleet.inventory), str(PLAYBOOK),
         "--forks", str(forks), "-e", json.dumps(variables)],
        cwd=fleet.base, env=ansible_env(fleet.base / "ansible-home"),
        capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"the playbook failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    report = json.loads(report_json.read_text())
    return seconds, int(rss_file.read_text().split()[-1]), report


def script_alone(lab, family, scratch):
    root = lab.new_root(family, Path(tempfile.mkdtemp(dir=scratch)))
    started = time.monotonic()
    result = root.run_script(*lab.script_args(root), timeout=1800)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"the script alone failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--family", default="centos8")
    args = parser.parse_args()
    problems = missing_host_requirements()
    if problems:
        sys.exit("simulated EL hosts cannot be built here: " + "; ".join(problems))
    if not shutil.which("/usr/bin/time"):
        sys.exit("/usr/bin/time (GNU time) is needed for the peak memory; install the time package")
    if not SCRIPT.is_file():
        sys.exit(f"{SCRIPT} does not exist")
    scratch = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    lab = Lab(scratch / "lab", majors=(8, 9))
    try:
        started = time.monotonic()
        fleet = build_fleet(lab, scratch / "fleet",
                            [(f"host{i:02d}", args.family) for i in range(1, args.hosts + 1)])
        setup = time.monotonic() - started
        total, rss_kib, report = run_playbook(fleet, args.forks)
        summary = report["summary"]
        if summary["migrated"] != args.hosts:
            sys.exit(f"not every host was migrated: {summary}")
        alone = script_alone(lab, args.family, scratch)
    finally:
        lab.close()
        shutil.rmtree(scratch, ignore_errors=True)
    per_host = total / args.hosts
    print(f"fleet: {args.hosts} {args.family} hosts, forks {args.forks}, batches [1, \"10%\", \"100%\"]"
          f" (lab setup {setup:.1f} s)")
    print(f"  playbook total:            {total:8.1f} s ({summary['migrated']} migrated)")
    print(f"  playbook per host:         {per_host:8.1f} s")
    print(f"  script alone on one host:  {alone:8.1f} s")
    print(f"  overhead per host:         {per_host - alone:8.1f} s")
    print(f"  controller peak RSS:       {rss_kib / 1024:8.1f} MiB (largest process)")


if __name__ == "__main__":
    main()
