"""The migration script's own declarations, read from what it prints.

`--help` (the usage), `--exit-codes` (CODE<TAB>NAME<TAB>MEANING per line)
and `--list-findings` (ID<TAB>LEVEL<TAB>TITLE<TAB>REMEDIATION per line) are
run with bash at most once per build each; the stage lists come from the
script's text. Parsing is pure (text in, dataclasses out); a run or a line
that does not hold raises ScriptError saying which option and line.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sitelib import SiteError

STAGE_LIST = re.compile(r"^readonly\s+(PRE|POST)_STEPS=\(([^)]*)\)", re.M)
FINDING_LEVELS = ("info", "warning", "blocker")
TIMEOUT = 60


class ScriptError(SiteError):
    """The script cannot say what the site needs from it."""


@dataclass(frozen=True)
class ExitCode:
    code: int
    name: str
    meaning: str


@dataclass(frozen=True)
class Finding:
    id: str
    level: str
    title: str
    remediation: str


def parse_exit_codes(text: str, source: str) -> list[ExitCode]:
    """`--exit-codes` output, lowest code first. source names it in errors."""
    codes = []
    for number, fields in _rows(text, source, 3, "CODE<TAB>NAME<TAB>MEANING"):
        code, name, meaning = fields
        if not code.isdigit() or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise ScriptError(f"{source}, line {number}: expected a number and a NAME, "
                              f"got {code!r} and {name!r}")
        codes.append(ExitCode(int(code), name, meaning))
    if not codes:
        raise ScriptError(f"{source} printed no exit code")
    _unique(source, "exit code", [c.code for c in codes])
    _unique(source, "exit code name", [c.name for c in codes])
    return sorted(codes, key=lambda c: c.code)


def parse_findings(text: str, source: str) -> list[Finding]:
    """`--list-findings` output, in the script's order."""
    findings = []
    for number, fields in _rows(text, source, 4, "ID<TAB>LEVEL<TAB>TITLE<TAB>REMEDIATION"):
        finding = Finding(*fields)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", finding.id):
            raise ScriptError(f"{source}, line {number}: {finding.id!r} is not a finding id "
                              "(lower case letters, digits and dashes)")
        if finding.level not in FINDING_LEVELS:
            raise ScriptError(f"{source}, line {number}: level {finding.level!r} of "
                              f"{finding.id} is not one of {', '.join(FINDING_LEVELS)}")
        findings.append(finding)
    if not findings:
        raise ScriptError(f"{source} printed no finding")
    _unique(source, "finding id", [f.id for f in findings])
    return findings


def _rows(text: str, source: str, count: int, form: str):
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != count or not all(f.strip() for f in fields):
            raise ScriptError(f"{source}, line {number}: expected '{form}', got {line!r}")
        yield number, [f.strip() for f in fields]


def _unique(source: str, what: str, values: list) -> None:
    twice = sorted({str(v) for v in values if values.count(v) > 1})
    if twice:
        raise ScriptError(f"{source}: {what} listed twice: {', '.join(twice)}")


def script_stages(script: str) -> tuple[list[str], list[str]]:
    """The script's PRE_STEPS and POST_STEPS, in order."""
    found = {kind: words.split() for kind, words in STAGE_LIST.findall(script)}
    missing = [f"{kind}_STEPS" for kind in ("PRE", "POST") if not found.get(kind)]
    if missing:
        raise ScriptError(f"the script declares no {' or '.join(missing)}=(...) list")
    return found["PRE"], found["POST"]


@dataclass
class Script:
    """The script of this build: where it is, and what it printed so far."""
    path: Path
    display: str                # as shown in messages (relative to mkdocs.yml)
    cwd: Path
    _printed: dict = field(default_factory=dict, repr=False, compare=False)

    def output(self, option: str) -> str:
        """What `bash <script> <option>` prints; run once per build."""
        if option not in self._printed:
            self._printed[option] = run(self.path, option, self.cwd, self.display)
        return self._printed[option]

    def usage(self) -> str:
        return self.output("--help")

    def exit_codes(self) -> list[ExitCode]:
        return parse_exit_codes(self.output("--exit-codes"), f"{self.display} --exit-codes")

    def findings(self) -> list[Finding]:
        return parse_findings(self.output("--list-findings"), f"{self.display} --list-findings")

    def stages(self) -> tuple[list[str], list[str]]:
        try:
            return script_stages(self.path.read_text(encoding="utf-8", errors="replace"))
        except ScriptError as error:
            raise ScriptError(f"{self.display}: {error}") from None


def run(path: Path, option: str, cwd: Path, display: str) -> str:
    """stdout of `bash path option` (stderr when stdout is empty, as usage
    texts sometimes go there); ScriptError when it fails or prints nothing."""
    try:
        result = subprocess.run(["bash", str(path), option], cwd=cwd, capture_output=True,
                                text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ScriptError(f"cannot run {display} {option}: {error}") from None
    if result.returncode != 0 or not (result.stdout or result.stderr).strip():
        raise ScriptError(f"{display} {option} exited with {result.returncode}: "
                          f"{result.stderr.strip()[:400]}")
    return result.stdout if result.stdout.strip() else result.stderr
