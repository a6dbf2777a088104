"""Every shell file in the repository passes shellcheck.

Shell files are the tracked `*.sh` files plus any tracked file whose first
line is a bash shebang (the fleet's helper scripts, for instance, need no
extension). A missing shellcheck fails the run: a skipped lint hides bugs.
"""

import re
import shutil
import subprocess

import pytest

from project import ROOT

BASH_SHEBANG = re.compile(rb"^#!\s*(/usr/bin/env\s+bash|/(usr/)?bin/bash)\b")


def tracked_files():
    result = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT,
                            capture_output=True, check=True)
    return [ROOT / name for name in result.stdout.decode().split("\0") if name]


def has_bash_shebang(path):
    try:
        with path.open("rb") as handle:
            return bool(BASH_SHEBANG.match(handle.readline(200)))
    except OSError:
        return False


def shell_files():
    return sorted(
        path for path in tracked_files()
        if path.is_file() and (path.suffix == ".sh" or has_bash_shebang(path))
    )


SHELL_FILES = shell_files()


def test_shellcheck_is_installed():
    assert shutil.which("shellcheck"), (
        "shellcheck is not installed: apt-get install shellcheck "
        "(make test installs it through scripts/dev/install-system-packages.sh)")


def test_the_migration_script_is_among_the_checked_files():
    assert ROOT / "scripts" / "almalinux-migrate.sh" in SHELL_FILES


@pytest.mark.parametrize("path", SHELL_FILES,
                         ids=[str(p.relative_to(ROOT)) for p in SHELL_FILES])
def test_shell_file_is_shellcheck_clean(path):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed: apt-get install shellcheck"
    result = subprocess.run(
        [shellcheck, "--external-sources", "--format=gcc", str(path)],
        cwd=path.parent, capture_output=True, text=True,
    )
    assert result.returncode == 0, (
        f"shellcheck found problems in {path.relative_to(ROOT)}:\n{result.stdout}{result.stderr}")
