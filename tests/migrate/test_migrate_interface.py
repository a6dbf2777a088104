"""The script's interface, checked without a simulated system.

--help/--version/usage errors work on any Linux without root (the docs build
runs --help on Debian), every declared exit code is listed in --help, and the
pinned AlmaLinux key fingerprints equal data/releases.yml.
"""

import os
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from migrate_script import SCRIPT, exit_codes as declared_exit_codes
from project import ROOT

PINNED_LINE = re.compile(r'^readonly (PINNED|PREVIOUS)_FPR_([0-9]+)="([0-9A-F]{40})"$', re.M)


def run_script(*args, as_nobody=False):
    argv = ["bash", str(SCRIPT), *args]
    if as_nobody and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to run the script as nobody"
        argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, cwd="/",
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
                          timeout=60)


def test_exit_codes_are_declared_distinct_and_cover_the_contract():
    codes = declared_exit_codes()
    numbers = [code for code, _ in codes.values()]
    assert len(numbers) == len(set(numbers)), codes
    assert codes["OK"][0] == 0
    for name in ("USAGE", "UNSUPPORTED", "BLOCKED", "RESTORED", "RESUME"):
        assert name in codes, f"EXIT_{name} is missing from the script"


def test_help_lists_every_declared_exit_code_with_its_meaning():
    result = run_script("--help", as_nobody=True)
    assert result.returncode == 0, result.stderr
    for name, (code, meaning) in declared_exit_codes().items():
        assert re.search(rf"^\s*{code}\s+{re.escape(meaning)}\s*$", result.stdout, re.M), (
            f"--help does not list exit code {code} (EXIT_{name}: {meaning})")


def test_help_works_without_root_and_shows_usage_and_every_option():
    result = run_script("--help", as_nobody=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: almalinux-migrate.sh")
    for option in ("--check", "-y, --yes", "--mirror URL", "--allow-insecure-http",
                   "--fingerprint FPR", "--allow-remove PKG", "--log FILE", "--report FILE",
                   "--exit-codes", "--list-findings", "--version", "--help"):
        assert option in result.stdout


def test_version_prints_the_script_version():
    version = re.search(r'^readonly VERSION="([^"]+)"$', SCRIPT.read_text(), re.M).group(1)
    result = run_script("--version", as_nobody=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"almalinux-migrate.sh {version}"


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--mirror"],
    ["--mirror", "ftp://example.invalid/almalinux"],
    ["--fingerprint", "not-a-fingerprint"],
    ["--log", ""],
], ids=["unknown-option", "missing-argument", "bad-mirror-scheme", "bad-fingerprint", "empty-log"])
def test_bad_arguments_are_usage_errors(args):
    result = run_script(*args, as_nobody=True)
    assert result.returncode == declared_exit_codes()["USAGE"][0], result
    assert "ERROR" in result.stderr


@pytest.mark.parametrize("args", [
    ["--mirror", "http://mirror.example.invalid/almalinux", "--check"],
    ["--check", "--mirror=http://mirror.example.invalid/almalinux"],
], ids=["option-then-check", "check-then-option"])
def test_plain_http_mirror_is_a_usage_error_naming_the_option_that_allows_it(args):
    result = run_script(*args, as_nobody=True)
    assert result.returncode == declared_exit_codes()["USAGE"][0], result
    assert "--allow-insecure-http" in result.stderr
    assert "plain http" in result.stderr


@pytest.mark.parametrize("url,problem", [
    ("https://mirror.example.invalid/alma\n[evil]\nbaseurl=https://evil.invalid/",
     "whitespace or a control character"),
    ("https://mirror.example.invalid/alma linux", "whitespace or a control character"),
    ("https://mirror.example.invalid/alma\tlinux", "whitespace or a control character"),
    ("https://mirror.example.invalid/alma\x1b[2J", "whitespace or a control character"),
    ("file://srv/mirror", "absolute path"),
    ("file://", "absolute path"),
    ("https://user@mirror.example.invalid/alma", "user:password@host"),
], ids=["newline-injects-a-repo-section", "space", "tab", "escape-sequence",
        "relative-file-url", "empty-file-url", "user-without-password"])
def test_mirror_with_injected_characters_or_a_relative_path_is_refused(url, problem):
    result = run_script("--check", "--mirror", url.encode().decode("unicode_escape"),
                        as_nobody=True)
    assert result.returncode == declared_exit_codes()["USAGE"][0], result
    assert problem in result.stderr
    assert "\n[evil]" not in result.stderr   # the value is shown quoted, on one line


def test_password_in_a_refused_mirror_url_is_not_echoed():
    result = run_script("--check", "--mirror", "http://user:s3cret@mirror.example.invalid/a",
                        as_nobody=True)
    assert result.returncode == declared_exit_codes()["USAGE"][0], result
    assert "s3cret" not in result.stderr + result.stdout
    assert "http://user:***@mirror.example.invalid/a" in result.stderr


def script_function(name, **variables):
    """Output of one of the script's functions, the script's other code not run."""
    assigns = "".join(f"{k}={shlex.quote(v)}\n" for k, v in variables.items())
    result = subprocess.run(["bash", "-c", f'source "$0"\n{assigns}{name}', str(SCRIPT)],
                            capture_output=True, text=True, timeout=30, cwd="/",
                            env={**os.environ, "ALMALINUX_MIGRATE_LIBRARY": "1"})
    assert result.returncode == 0, result
    return result.stdout


def test_refused_key_from_the_official_mirror_never_suggests_fingerprint():
    official = re.search(r'^readonly OFFICIAL_MIRROR="([^"]+)"$', SCRIPT.read_text(),
                         re.M).group(1)
    for custom in ("", "0" * 40):
        hint = script_function("key_refusal_hint", MIRROR=official, CUSTOM_FPR=custom)
        assert "--fingerprint" not in hint and "Do not override" in hint, hint
    hint = script_function("key_refusal_hint", MIRROR="https://mirror.example.invalid/a")
    assert "--fingerprint" in hint and "never one copied from this message" in hint


def test_pinned_fingerprints_equal_the_release_data():
    releases = yaml.safe_load((ROOT / "data" / "releases.yml").read_text())
    expected = {}
    for major in releases["majors"]:
        for key in major["gpg_keys"]:
            kind = "PINNED" if key["status"] == "current" else "PREVIOUS"
            expected[(kind, str(major["major"]))] = key["fingerprint"].replace(" ", "").upper()
    pinned = {(kind, major): fpr for kind, major, fpr in PINNED_LINE.findall(SCRIPT.read_text())}
    assert pinned == expected


def test_every_supported_major_has_a_pinned_key():
    releases = yaml.safe_load((ROOT / "data" / "releases.yml").read_text())
    majors = {str(m["major"]) for m in releases["majors"]}
    pinned = {major for kind, major, _ in PINNED_LINE.findall(SCRIPT.read_text())
              if kind == "PINNED"}
    assert pinned == majors


NEWEST_LINE = re.compile(r'^readonly NEWEST_RELEASE_([0-9]+)="([0-9.]+)"$', re.M)


def test_newest_release_per_major_equals_the_release_data():
    releases = yaml.safe_load((ROOT / "data" / "releases.yml").read_text())
    newest = {}
    for release in releases["releases"]:
        version = str(release["version"])
        major = version.split(".")[0]
        if major not in newest or (tuple(map(int, version.split(".")))
                                   > tuple(map(int, newest[major].split(".")))):
            newest[major] = version
    assert dict(NEWEST_LINE.findall(SCRIPT.read_text())) == newest
