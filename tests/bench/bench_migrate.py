#!/usr/bin/env python3
"""Migration benchmark: almalinux-migrate.sh on simulated systems of N packages.

For each size (default 50 and 500 ordinary packages) and family (default
centos-stream9 and centos8), builds a simulated system with the test
harness (tests/migrate/simel), runs the unmodified script inside it and
prints:
- wall time of the whole run (preflight to done);
- the number of rpm, rpmkeys and dnf invocations, counted by call-tracing
  wrappers the harness puts in the root (dnf's own librpm use is not a call;
  the rpmkeys dnf runs to check each package's signature is counted apart);
- the unsafe window the script logs: from the first change to the system
  (the release package swap) to the end;
- the time spent before the first change (downloads and verification);
- the cost of the test transaction the script logs (dnf resolving the swap
  from its cache and rpm testing it, before the backup) and its share of
  the wall time, against the goal of at most TEST_SHARE_GOAL.

Needs root and the test system packages (scripts/dev/install-system-packages.sh test).
Run: .venv/bin/python tests/bench/bench_migrate.py [--sizes 50,500] [--families centos-stream9,centos8] [--runs 1]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "migrate"))

from simel import Lab  # noqa: E402

UNSAFE = re.compile(r"unsafe window: ([0-9.]+) s")
TEST_TXN = re.compile(r"test transaction passed in ([0-9.]+) s")
TEST_SHARE_GOAL = 0.25   # of the wall time of the whole run
TRACED = ("rpm", "rpmkeys", "dnf")


def migrate_once(lab, family, scratch):
    root = lab.new_root(family, Path(tempfile.mkdtemp(dir=scratch)))
    root.trace_commands(TRACED)
    started = time.monotonic()
    result = root.run_script(*lab.script_args(root), timeout=1800)
    wall = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"migration of {family} failed:\n{result}")
    match = UNSAFE.search(result.stdout)
    test_txn = TEST_TXN.search(result.stdout)
    if not match or not test_txn:
        raise SystemExit(f"no 'unsafe window' or 'test transaction passed in' line in the "
                         f"output of {family}:\n{result}")
    calls = {name: 0 for name in (*TRACED, "dnf-rpmkeys")}
    for _, command, argv in root.traced_calls():
        # dnf checks each package's signature by running rpmkeys on stdin.
        if command == "rpmkeys" and argv.endswith(" -") and "--checksig" in argv:
            command = "dnf-rpmkeys"
        calls[command] += 1
    packages = len(root.packages())
    return {"wall": wall, "unsafe": float(match.group(1)), "test": float(test_txn.group(1)),
            "calls": calls, "packages": packages}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,500")
    parser.add_argument("--families", default="centos-stream9,centos8")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    families = args.families.split(",")

    print(f"{'family':<16} {'ordinary':>8} {'installed':>9} {'wall s':>7} "
          f"{'before s':>8} {'unsafe s':>8} {'rpm':>4} {'rpmkeys':>7} {'dnf':>4} "
          f"{'rpmkeys by dnf':>14} {'test s':>6} {'share':>6}  "
          f"goal: test transaction <= {TEST_SHARE_GOAL:.0%} of wall")
    with tempfile.TemporaryDirectory(prefix="bench-migrate-") as scratch:
        for size in sizes:
            lab = Lab(Path(scratch) / f"lab-{size}", n_packages=size)
            try:
                for family in families:
                    build = time.monotonic()
                    lab.golden(family)
                    build = time.monotonic() - build
                    runs = [migrate_once(lab, family, scratch) for _ in range(args.runs)]
                    wall = statistics.median(r["wall"] for r in runs)
                    unsafe = statistics.median(r["unsafe"] for r in runs)
                    test = statistics.median(r["test"] for r in runs)
                    share = test / wall
                    goal = "met" if share <= TEST_SHARE_GOAL else "not met"
                    calls = runs[0]["calls"]
                    print(f"{family:<16} {size:>8} {runs[0]['packages']:>9} {wall:>7.2f} "
                          f"{wall - unsafe:>8.2f} {unsafe:>8.2f} {calls['rpm']:>4} "
                          f"{calls['rpmkeys']:>7} {calls['dnf']:>4} {calls['dnf-rpmkeys']:>14}"
                          f" {test:>6.2f} {share:>6.1%}  {goal}"
                          f"   (root and repos built in {build:.1f} s)", flush=True)
            finally:
                lab.close()


if __name__ == "__main__":
    main()
