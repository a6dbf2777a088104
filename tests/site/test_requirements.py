"""Python dependencies: two lock files with a hash for every package, the
test set agreeing with the site set, and a Makefile that installs them only
with --require-hashes (and npm without install scripts)."""

import re
import subprocess

import pytest

from project import ROOT

REQUIREMENTS = ROOT / "requirements"
LOCKS = ["site", "test"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(path):
    """Each requirement of a lock file as (its first line, its options)."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(current.split())
            current = ""
    assert not current, f"{path.name} ends inside a continued line"
    return logical


def pins(path):
    return {normal(PIN.match(words[0]).group(1)): PIN.match(words[0]).group(2)
            for words in entries(path)}


def direct_pins(path):
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[normal(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_with_a_sha256_hash(lock):
    path = REQUIREMENTS / f"{lock}.txt"
    found = entries(path)
    assert found, f"{path.name} lists no package"
    for words in found:
        assert PIN.match(words[0]), f"{path.name}: {words[0]} is not pinned with =="
        hashes = [w for w in words[1:] if w.startswith("--hash=sha256:")]
        assert hashes and len(hashes) == len(words) - 1, \
            f"{path.name}: {words[0]} has no --hash=sha256: (or something else after it)"
        assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), words


@pytest.mark.parametrize("lock", LOCKS)
def test_lock_holds_each_direct_pin_at_its_version(lock):
    locked = pins(REQUIREMENTS / f"{lock}.txt")
    wanted = direct_pins(REQUIREMENTS / f"{lock}.in")
    assert wanted
    assert {name: locked.get(name) for name in wanted} == wanted


def test_test_set_contains_the_site_set_at_the_same_versions():
    site, test = pins(REQUIREMENTS / "site.txt"), pins(REQUIREMENTS / "test.txt")
    assert {name: test.get(name) for name in site} == site


def test_site_set_has_no_test_tools():
    site = pins(REQUIREMENTS / "site.txt")
    assert not {"pytest", "playwright", "ansible", "ansible-core", "ansible-lint",
                "linkchecker", "pip-tools"} & set(site)


@pytest.fixture(scope="module")
def make_commands(tmp_path_factory):
    """What each target would run from scratch (make -n -B: nothing is run)."""
    venv = tmp_path_factory.mktemp("venv") / "v"

    def commands(target):
        result = subprocess.run(["make", "-n", "-B", f"VENV={venv}", target], cwd=ROOT,
                                capture_output=True, text=True, check=True)
        return result.stdout.splitlines()
    return commands


@pytest.mark.parametrize("target, lock", [("serve", "site"), ("build", "site"),
                                          ("test", "test")])
def test_make_installs_one_lock_file_with_require_hashes(make_commands, target, lock):
    installs = [line for line in make_commands(target) if "pip install" in line]
    assert installs, f"make {target} installs no Python package"
    for line in installs:
        assert "--require-hashes" in line.split() and "--quiet" not in line, line
    assert [re.search(r"-r (\S+)", line).group(1) for line in installs] == \
        [f"requirements/{lock}.txt"]


def test_npm_runs_no_install_scripts(make_commands):
    npm = [line for line in make_commands("test") if re.search(r"\bnpm\b", line)
           and "echo" not in line]
    assert npm and all("npm ci" in line and "--ignore-scripts" in line for line in npm), npm
