"""Issue 8 faults: hangs, a vanished output reader, hostile or damaged
inputs. Each test performs the fault.

The function-level tests load the script as a library (no simulated
system); those needing a private file system run in a mount namespace with
a tmpfs over /var/lib (root, like the simulated systems). The others run
the script unmodified in a simulated EL root.
"""

import shlex
import subprocess
import time
from pathlib import Path

import pytest

from migrate_script import CLEAN_ENV, SCRIPT, finding_ids, findings, load_report, script_constant
from simel import RPMDB_VOLATILE, diff_digests
from test_migrate_scenarios import EXIT, MIGRATION_TIMEOUT, state_of

FAMILY = "centos-stream9"
LIBRARY_ENV = {**CLEAN_ENV, "ALMALINUX_MIGRATE_LIBRARY": "1"}
REPORT = "/root/migration-report.json"
LOG = "/var/log/almalinux-migrate.log"


def in_script(code, **variables):
    """Runs bash code with the script's functions loaded (main not run)."""
    assigns = "".join(f"{name}={shlex.quote(value)}\n" for name, value in variables.items())
    return subprocess.run(["bash", "-c", f'source "$0"\n{assigns}{code}', str(SCRIPT)],
                          capture_output=True, text=True, env=LIBRARY_ENV, timeout=30, cwd="/")


def in_namespace(code, timeout):
    """Runs `code` (bash) in a private mount namespace whose /var/lib is a
    small tmpfs (the work directory lives there); the script's path is $1."""
    wrapper = ("mount -t tmpfs -o size=256k simel-var-lib /var/lib || exit 99\n"
               "mkdir -p /var/lib/almalinux-migrate\n" + code)
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                           "bash", "-c", wrapper, "fault", str(SCRIPT)],
                          capture_output=True, text=True, env=CLEAN_ENV, timeout=timeout)


# ----------------------------------------------------------------------------- hangs
@pytest.mark.parametrize("block", ["{ state_save STEP x; }", "state_save STEP x | cat",
                                   "{ state_save STEP x; } >/dev/null 2>&1"])
def test_die_inside_a_redirected_block_exits_releases_the_lock_and_logs(tmp_path, block):
    # The real fault: the work directory's file system is full, so the
    # state file's `{ printf ...; } >tmp` fails and die runs inside it.
    log = tmp_path / "run.log"
    code = f"""
ALMALINUX_MIGRATE_LIBRARY=1 bash -c '
source "$0"
LOG_FILE={shlex.quote(str(log))}
trap cleanup EXIT
start_logging test
open_work_dir
install_traps
PHASE=pre
dd if=/dev/zero of=/var/lib/almalinux-migrate/fill bs=4k 2>/dev/null || true
{block}
echo NOT-REACHED
' "$1"
echo "rc=$?"
flock -n /var/lib/almalinux-migrate/lock true && echo LOCK-FREE
"""
    started = time.monotonic()
    result = in_namespace(code, timeout=30)
    assert time.monotonic() - started < 15, result
    assert f"rc={EXIT['RESTORED']}" in result.stdout, result
    assert "LOCK-FREE" in result.stdout, result
    assert "NOT-REACHED" not in result.stdout
    text = log.read_text()
    assert "ERROR: command failed" in text, text
    assert "the file system of /var/lib/almalinux-migrate (mounted on /var/lib) is full" in text


def test_a_process_holding_the_log_pipe_does_not_keep_the_script_alive(tmp_path):
    # A daemon started by a command (a gpg-agent, say) inherits stdout:
    # tee would never see the end of its input.
    log = tmp_path / "run.log"
    started = time.monotonic()
    result = in_script(f"""
LOG_FILE={shlex.quote(str(log))}
trap cleanup EXIT
start_logging test
sleep 60 &
log "last words"
exit 0
""")
    assert result.returncode == 0, result
    assert time.monotonic() - started < 15
    assert "last words" in log.read_text()


# ----------------------------------------------------------------------------- inputs
GOOD = 'NAME="CentOS Stream"\n# comment\n\nID="centos"\nVERSION_ID="9"\n'


@pytest.mark.parametrize("line, key", [
    ('VERSION_ID="9.4 extra"', "VERSION_ID"),
    ("ID=$(reboot)", "ID=$(reboot)"),
    ("ID=`reboot`", "ID=`reboot`"),
    ('ID="$(reboot)"', 'ID="$(reboot)"'),
    ("VERSION_ID=9.4.0x", "VERSION_ID"),
    ("VERSION_ID=$((1+8))", "VERSION_ID=$((1+8))"),
    ("this is not a key", "this is not a key"),
    ("ID=centos rocky", "ID=centos rocky"),
])
def test_odd_os_release_is_refused_as_unsupported_naming_file_and_key(tmp_path, line, key):
    release = tmp_path / "os-release"
    name = line.split("=", 1)[0]
    kept = "".join(x + "\n" for x in GOOD.splitlines() if not x.startswith(f"{name}="))
    release.write_text(kept + line + "\n")
    marker = tmp_path / "evaluated"
    result = in_script(f'read_os_release "$F"; touch {shlex.quote(str(marker))}; echo "$OS_ID"',
                       F=str(release))
    assert result.returncode == EXIT["UNSUPPORTED"], result
    assert str(release) in result.stderr and key in result.stderr, result.stderr
    assert not marker.exists()


def test_os_release_without_version_id_is_refused(tmp_path):
    release = tmp_path / "os-release"
    release.write_text('NAME="CentOS Stream"\nID="centos"\n')
    result = in_script('read_os_release "$F"', F=str(release))
    assert result.returncode == EXIT["UNSUPPORTED"], result
    assert f"{release}: VERSION_ID is missing" in result.stderr


def test_good_os_release_is_read(tmp_path):
    release = tmp_path / "os-release"
    release.write_text(GOOD + "PRETTY_NAME='CentOS Stream 9'\n")
    result = in_script('read_os_release "$F"; echo "$OS_ID|$OS_NAME|$OS_VERSION|$MAJOR"',
                       F=str(release))
    assert result.returncode == 0, result
    assert result.stdout == "centos|CentOS Stream|9|9\n"


@pytest.mark.parametrize("url", ["https://m.example/alma#x", "https://m.example/alma?x=1",
                                 "https://m.example/al%zzma", "https://m.example/alm\u00e4",
                                 "https://m.example/alma%"])
def test_mirror_paths_needing_url_encoding_are_refused(url):
    result = subprocess.run(["bash", str(SCRIPT), "--check", "--mirror", url],
                            capture_output=True, text=True, env=CLEAN_ENV, timeout=30)
    assert result.returncode == EXIT["USAGE"], result
    assert "encode them" in result.stderr


def test_an_encoded_mirror_path_is_accepted():
    result = in_script('mirror_problem "$U" || echo OK', U="https://u:s3cr%40t@m.example/a%20b")
    assert result.stdout == "OK\n", result


@pytest.mark.parametrize("how", ["missing-dir", "directory", "read-only"])
def test_unwritable_log_is_a_usage_error_before_anything_happens(tmp_path, how):
    if how == "missing-dir":
        target = tmp_path / "nope" / "run.log"
        prefix = []
    elif how == "directory":
        target = tmp_path
        prefix = []
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        target = ro / "run.log"
        prefix = ["unshare", "--mount", "--propagation", "private", "--", "bash", "-c",
                  f'mount -t tmpfs -o ro ro {shlex.quote(str(ro))} && exec "$@"', "ro"]
    result = subprocess.run([*prefix, "bash", str(SCRIPT), "--check", "--log", str(target)],
                            capture_output=True, text=True, env=CLEAN_ENV, timeout=30)
    assert result.returncode == EXIT["USAGE"], result
    assert str(target) in result.stderr, result.stderr
    assert "preflight" not in result.stdout + result.stderr


@pytest.mark.parametrize("how", ["missing", "full"])
def test_unusable_tmpdir_is_named(tmp_path, how):
    tmp = tmp_path / "tmp"
    if how == "missing":
        code = f'TMPDIR={shlex.quote(str(tmp))} scratch_dir d; echo "got $d"'
        result = in_script(code)
    else:
        tmp.mkdir()
        code = (f"mount -t tmpfs -o size=16k full {shlex.quote(str(tmp))} && "
                f"dd if=/dev/zero of={shlex.quote(str(tmp))}/fill bs=1k 2>/dev/null; "
                f'ALMALINUX_MIGRATE_LIBRARY=1 TMPDIR={shlex.quote(str(tmp))} '
                f'bash -c \'source "$0"; scratch_dir d; echo "got $d"\' "$1"')
        result = in_namespace(code, timeout=30)
    assert result.returncode == EXIT["BLOCKED"], result
    assert f"temporary directory {tmp} (TMPDIR)" in result.stderr, result.stderr
    assert "got" not in result.stdout


def test_full_work_dir_file_system_is_a_free_space_blocker():
    result = in_namespace(
        'ALMALINUX_MIGRATE_LIBRARY=1 bash -c \'source "$0"; check_space; '
        'printf "%s\\n" "${FINDING_DETAILS[@]}"\' "$1"', timeout=30)
    assert result.returncode == 0, result
    assert "MiB free on /var/lib/almalinux-migrate" in result.stdout, result.stdout


def test_new_finding_ids_follow_free_space_unknown():
    ids = list(findings())
    assert ids[ids.index("free-space-unknown") + 1] == "rpmdb-damaged"


# ----------------------------------------------------------------------------- simel
def test_damaged_rpm_database_is_reported_as_damaged(make_root, script_args):
    root = make_root(FAMILY)
    db = root.file("/var/lib/rpm/rpmdb.sqlite")
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    db.write_bytes(bytes(data))
    result = root.run_script("--check", "--report", REPORT, *script_args(root, yes=False),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = load_report(root.file(REPORT))
    assert "rpmdb-damaged" in finding_ids(report, "blocker"), report
    assert "no-release-package" not in finding_ids(report)
    assert "rpm --rebuilddb" in result.output


def run_piped(root, script_args, reader):
    """The script with its output piped to `reader`, which exits early."""
    args = " ".join(shlex.quote(a) for a in script_args(root))
    return root.shell(f"bash /srv/script/almalinux-migrate.sh {args} | {reader}; "
                      'echo "script-exit=${PIPESTATUS[0]}" >/root/exit',
                      timeout=MIGRATION_TIMEOUT)


def test_reader_gone_before_the_ponr_stops_cleanly_and_changes_nothing(make_root, script_args):
    root = make_root(FAMILY)
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = run_piped(root, script_args, "head -n1")
    assert not result.timed_out, str(result)
    assert root.read("/root/exit").strip() == f"script-exit={EXIT['RESTORED']}", str(result)
    log = root.read(LOG)
    assert "the output's reader went away" in log, log
    assert "stopping before the point of no return" in log
    assert "Nothing was changed" in log
    assert "point of no return: first change" not in log
    changed = diff_digests(before, root.digest(exclude=RPMDB_VOLATILE))
    # Only the run's own log, work directory (its lock) and the exit file.
    assert all(p[2:].startswith(("var/log/", "var/lib/almalinux-migrate", "root/exit"))
               for p in changed), changed
    assert root.os_release()["ID"] == "centos"


def test_reader_gone_after_the_ponr_lets_the_run_finish_and_log_everything(
        make_root, script_args):
    root = make_root(FAMILY)
    result = run_piped(root, script_args, "sed '/point of no return: first change/q'")
    assert not result.timed_out, str(result)
    assert root.read("/root/exit").strip() == f"script-exit={EXIT['OK']}", str(result)
    log = root.read(LOG)
    assert "the output's reader went away" in log, log
    assert "==> finish" in log
    assert state_of(root)["STEP"] == "done"
    assert root.os_release()["ID"] == "almalinux"


# ----------------------------------------------------------------------------- a stalled mirror
# What a real run's mirror stalls on after the preflight passed: every
# package file, or the file lists (read by dnf only).
STALLED_DOWNLOADS = {"package": r"\.rpm$", "file-lists": r"-filelists\.xml"}


@pytest.mark.parametrize("what", list(STALLED_DOWNLOADS))
def test_mirror_stalling_in_the_download_step_fails_in_time_naming_the_url_and_changes_nothing(
        what, make_root, script_args, http_mirror):
    # The connection is accepted, nothing is ever sent.
    root = make_root(FAMILY)
    server = http_mirror()
    server.stall_matching(STALLED_DOWNLOADS[what])
    before = root.digest(exclude=RPMDB_VOLATILE)
    # dnf gives up after DNF_RETRIES + 1 failed transfers in all (its count
    # is not per package: however many packages there are), each ended
    # CURL_STALL_SECONDS into a stall; the connect timeout covers the rest.
    stall, retries = script_constant("CURL_STALL_SECONDS"), script_constant("DNF_RETRIES")
    bound = (retries + 1) * stall + script_constant("CURL_CONNECT_SECONDS")
    result = root.run_script("--allow-insecure-http", "--report", REPORT,
                             *script_args(root, mirror_url=server.url), timeout=bound + 60)
    assert not result.timed_out, str(result)
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert result.seconds < bound, result.seconds
    assert server.stalls, server.requests
    # The error itself says which download stalled: the file and the mirror
    # (for a package, its whole URL).
    stalled = Path(server.stalls[0]).name
    error = next(line for line in result.output.splitlines() if " ERROR: " in line)
    assert stalled in error and server.url in error, error
    if what == "package":
        assert f"{server.url}{server.stalls[0]}" in error, error
    report = load_report(root.file(REPORT))
    assert report["status"] == "failed-restored", report
    assert report["exit_code"] == EXIT["RESTORED"]
    assert stalled in report["message"] and server.url in report["message"], report["message"]
    assert finding_ids(report, "blocker") == set(), report
    changed = diff_digests(before, root.digest(exclude=RPMDB_VOLATILE))
    # Only the run's own log, work directory and report.
    assert all(p[2:].startswith(("var/log/", "var/lib/almalinux-migrate", REPORT[1:]))
               for p in changed), changed
    assert root.os_release()["ID"] == "centos"


def test_mirror_stalling_on_a_metadata_signature_stops_the_run_instead_of_calling_it_unsigned(
        make_root, script_args, http_mirror):
    # The preflight never asks for repomd.xml.asc; preparing the
    # repositories does. No answer is not "not signed".
    root = make_root(FAMILY)
    server = http_mirror()
    server.stall_matching(r"/repomd\.xml\.asc$")
    before = root.digest(exclude=RPMDB_VOLATILE)
    bound = script_constant("CURL_STALL_SECONDS") + script_constant("CURL_CONNECT_SECONDS")
    result = root.run_script("--allow-insecure-http", "--report", REPORT,
                             *script_args(root, mirror_url=server.url), timeout=bound + 60)
    assert not result.timed_out, str(result)
    assert result.returncode == EXIT["RESTORED"], str(result)
    assert result.seconds < bound, result.seconds
    assert len(server.stalls) == 1, server.stalls   # the next probes did not wait again
    error = next(line for line in result.output.splitlines() if " ERROR: " in line)
    assert f"mirror unreachable: cannot download {server.url}{server.stalls[0]}: " in error, error
    report = load_report(root.file(REPORT))
    assert report["status"] == "failed-restored", report
    changed = diff_digests(before, root.digest(exclude=RPMDB_VOLATILE))
    assert all(p[2:].startswith(("var/log/", "var/lib/almalinux-migrate", REPORT[1:]))
               for p in changed), changed
    assert root.os_release()["ID"] == "centos"


# ----------------------------------------------------------------------------- a check's reader gone
@pytest.mark.parametrize("outcome", ["ready", "blocked"])
@pytest.mark.parametrize("log", [False, True], ids=["without-log", "with-log"])
@pytest.mark.parametrize("reader", ["head -n1", "true"], ids=["head", "gone-at-once"])
def test_check_whose_reader_goes_away_finishes_with_its_report_and_its_own_status(
        reader, log, outcome, make_root, script_args):
    root = make_root(FAMILY)
    before = root.digest(exclude=RPMDB_VOLATILE)
    # Without --fingerprint the lab's key is not the pinned one: a blocker.
    args = ["--check", "--report", REPORT, *(["--log", "/var/log/check.log"] if log else []),
            *script_args(root, yes=False, fingerprint=outcome == "ready")]
    quoted = " ".join(shlex.quote(a) for a in args)
    result = root.shell(f"bash /srv/script/almalinux-migrate.sh {quoted} | {reader}; "
                        'echo "${PIPESTATUS[0]}" >/root/exit', timeout=MIGRATION_TIMEOUT)
    assert not result.timed_out, str(result)
    # The check's own status (not 141, killed by SIGPIPE), and its report.
    code = EXIT["OK"] if outcome == "ready" else EXIT["BLOCKED"]
    assert root.read("/root/exit").strip() == str(code), str(result)
    report = load_report(root.file(REPORT))
    assert report["check_only"] is True and report["status"] == outcome, report
    assert report["exit_code"] == code
    assert (finding_ids(report, "blocker") == set()) == (outcome == "ready"), report
    changed = diff_digests(before, root.digest(exclude=RPMDB_VOLATILE))
    assert all(p[2:].startswith(("var/log/", "var/lib/almalinux-migrate", "root/"))
               for p in changed), changed
