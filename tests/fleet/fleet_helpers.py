"""Helpers of the fleet tests: run ansible-playbook on a fleet of simulated hosts."""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from project import ROOT

FLEET_DIR = ROOT / "scripts" / "fleet"
PLAYBOOK = FLEET_DIR / "migrate.yml"
SCRIPT = ROOT / "scripts" / "almalinux-migrate.sh"
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


def ansible_tool(name):
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable}; run: make test (installs requirements/test.txt)")
    return path


def ansible_env(home):
    """A private ANSIBLE_HOME and the bundle's ansible.cfg, no colours."""
    return {**os.environ, "ANSIBLE_CONFIG": str(FLEET_DIR / "ansible.cfg"),
            "ANSIBLE_HOME": str(home), "ANSIBLE_LOCAL_TEMP": str(Path(home) / "tmp"),
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
            "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    report_md: Path
    report_json: Path
    seconds: float = 0.0

    @property
    def recap(self):
        """{host: {"ok": n, "changed": n, ...}} from the PLAY RECAP."""
        keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
        return {m[0]: dict(zip(keys, map(int, m[1:]))) for m in RECAP.findall(self.output)}

    @property
    def report(self):
        return json.loads(self.report_json.read_text())

    def host(self, name):
        return next(h for h in self.report["hosts"] if h["host"] == name)


@dataclass
class Fleet:
    """Simulated hosts in an inventory, the downloads, and a way to run the playbook."""
    base: Path
    roots: dict                      # inventory name -> SimRoot
    inventory: Path
    script: Path
    sums: Path
    runs: list = field(default_factory=list)

    def digests(self):
        return {name: root.digest() for name, root in self.roots.items()}

    def run(self, label, *extra, playbook=PLAYBOOK, **extra_vars):
        """ansible-playbook migrate.yml with reboots off; returns a PlaybookRun."""
        report_md = self.base / f"{label}-report.md"
        report_json = self.base / f"{label}-report.json"
        variables = {"fleet_script": str(self.script), "fleet_sha256sums": str(self.sums),
                     "fleet_report_md": str(report_md), "fleet_report_json": str(report_json),
                     "fleet_reboot": False, **extra_vars}
        started = time.monotonic()
        result = subprocess.run(
            [str(ansible_tool("ansible-playbook")), "-i", str(self.inventory), str(playbook),
             "-e", json.dumps(variables), *extra],
            cwd=self.base, env=ansible_env(self.base / "ansible-home"),
            capture_output=True, text=True, timeout=900)
        run = PlaybookRun(result.returncode, result.stdout + result.stderr, report_md, report_json,
                          time.monotonic() - started)
        (self.base / f"{label}.log").write_text(f"{run.output}\n# {run.seconds:.1f} s\n")
        self.runs.append(run)
        return run


def publish_downloads(directory, script_bytes):
    """The script and a SHA256SUMS in the format the site publishes."""
    # The site's own writer of SHA256SUMS (hooks/sitelib, no MkDocs needed).
    from sitelib import downloads
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "almalinux-migrate.sh"
    script.write_bytes(script_bytes)
    sums = directory / "SHA256SUMS"
    sums.write_bytes(downloads.sha256sums({"almalinux-migrate.sh": script_bytes}))
    return script, sums


def build_fleet(lab, base, hosts, script_bytes=None, mirrors=None, intruders=None):
    """Simulated hosts [(name, family), ...] of lab under base, in an inventory (see conftest.make_fleet)."""
    # Imported here: the harness is only needed by those who build hosts.
    from chroot_adapter import handle_for, write_chroot_exe
    from simel import MIRROR_URL

    base = Path(base)
    handles, roots, inventory_hosts, intruder_scripts = {}, {}, {}, {}
    for name, family in hosts:
        root = lab.new_root(family, base / "hosts" / name)
        handle = handle_for(base / "handles", name)
        handles[handle] = (root, (mirrors or {}).get(name))
        if name in (intruders or {}):
            intruder_scripts[handle] = intruders[name]
        roots[name] = root
        host_vars = {"ansible_host": str(handle), "fleet_mirror": MIRROR_URL}
        if root.fingerprint:
            host_vars["fleet_fingerprint"] = root.fingerprint
        inventory_hosts[name] = host_vars
    chroot_exe = write_chroot_exe(base / "enter-simulated-root", handles, intruder_scripts)
    inventory = base / "inventory.json"
    inventory.write_text(json.dumps({"all": {
        "vars": {"ansible_connection": "community.general.chroot",
                 "ansible_chroot_exe": str(chroot_exe),
                 "ansible_python_interpreter": "/usr/bin/python3"},
        "hosts": inventory_hosts}}, indent=2))
    script, sums = publish_downloads(base / "downloads",
                                     SCRIPT.read_bytes() if script_bytes is None else script_bytes)
    return Fleet(base, roots, inventory, script, sums)
