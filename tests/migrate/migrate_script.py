"""The migration script's own declarations, read from its output.

Exit codes come from `--exit-codes`, findings from `--list-findings`, and
reports are checked against the schema published beside the script: the
tests use what the site and the fleet playbook use, never a copy. Its
numeric constants (time bounds, retries) are read from its text.
"""

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import jsonschema

from project import ROOT

SCRIPT = ROOT / "scripts" / "almalinux-migrate.sh"
REPORT_SCHEMA = ROOT / "scripts" / "almalinux-migrate.report.schema.json"
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def script_lines(option):
    result = subprocess.run(["bash", str(SCRIPT), option], capture_output=True, text=True,
                            env=CLEAN_ENV, timeout=30, check=False)
    assert result.returncode == 0, f"{option} failed: {result.stderr}"
    return [line.split("\t") for line in result.stdout.splitlines()]


@cache
def script_constant(name):
    """The integer value of `readonly NAME=...` in the script."""
    return int(re.search(rf"^readonly {name}=([0-9]+)$", SCRIPT.read_text(), re.M).group(1))


@cache
def exit_codes():
    """NAME -> (code, meaning), from --exit-codes."""
    return {name: (int(code), meaning) for code, name, meaning in script_lines("--exit-codes")}


@cache
def findings():
    """id -> (level, title, remediation), from --list-findings."""
    return {fid: (level, title, fix) for fid, level, title, fix in script_lines("--list-findings")}


EXIT = {name: code for name, (code, _) in exit_codes().items()}


def load_report(path):
    """The --report document at path, validated against the published schema
    and against the script's own finding table."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777
    assert mode == 0o600, f"{path}: mode {mode:o}, the report must be 0600"
    report = json.loads(path.read_text())
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text()))
    known = findings()
    for item in report["findings"]:
        assert item["id"] in known, f"finding id {item['id']!r} is not in --list-findings"
        level, title, fix = known[item["id"]]
        assert (item["level"], item["title"], item["remediation"]) == (level, title, fix)
    return report


def finding_ids(report, level=None):
    return {item["id"] for item in report["findings"] if level in (None, item["level"])}
