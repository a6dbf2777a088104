"""What the script trusts: the AlmaLinux key file, the transport, its inputs.

Each test performs the attack on a simulated EL system (throwaway keys, a
local mirror) and shows it failing, or shows that what must stay valid does.
"""

import base64
import re
import subprocess
from pathlib import Path

import pytest

from simel import RPMDB_VOLATILE, SCRIPT_IN_ROOT, diff_digests
from simel.keys import PUBLIC_KEY, PUBLIC_SUBKEY, SIGNATURE, armor, dearmor, packets

from migrate_script import EXIT, script_constant

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "almalinux-migrate.sh"
TEXT = SCRIPT.read_text()
CURL = {name: int(value) for name, value in re.findall(
    r"^readonly CURL_([A-Z_]+)_SECONDS=([0-9]+)$", TEXT, re.M)}
WORK_DIR = "/var/lib/almalinux-migrate"
STATE = f"{WORK_DIR}/state"
LOG = "/var/log/almalinux-migrate.log"
MIGRATION_TIMEOUT = 300
FAMILY = "centos-stream9"
MAJOR = 9


def copy_mirror(mirror, directory):
    """A hard-linked copy of a mirror tree (cheap; replace files, never write them)."""
    subprocess.run(["cp", "-al", str(mirror.path), str(directory)], check=True)
    return directory


@pytest.fixture
def mirror_serving_key(simel_lab, tmp_path):
    """mirror_serving_key(binary key data) -> a mirror whose key file for
    MAJOR holds that data (armoured unless `text` is given)."""
    count = 0

    def make(data=None, text=None):
        nonlocal count
        count += 1
        top = copy_mirror(simel_lab.mirror, tmp_path / f"mirror-{count}")
        keyfile = top / f"RPM-GPG-KEY-AlmaLinux-{MAJOR}"
        keyfile.unlink()   # a hard link: never write through it
        keyfile.write_text(text if text is not None else armor(data))
        return top

    return make


@pytest.fixture
def attacker(simel_lab, tmp_path):
    """The attacker's key ("unknown") with a signing subkey: (binary key, packets)."""
    data, _ = simel_lab.keyring.variant(simel_lab.key("unknown").name, tmp_path / "attacker",
                                        signing_subkey=True)
    return data, packets(data)


def the_real_key(simel_lab):
    return simel_lab.keyring.export(simel_lab.alma_key(MAJOR).name)


def hostile_key_file(kind, real, attacker_key, attacker_packets):
    subkey = next(i for i, (tag, _) in enumerate(attacker_packets) if tag == PUBLIC_SUBKEY)
    if kind == "unbound-subkey":
        return {"data": real + attacker_packets[subkey][1]}
    if kind == "subkey-bound-by-the-attacker":
        return {"data": real + b"".join(p for _, p in attacker_packets[subkey:])}
    if kind == "second-primary-key":
        return {"data": real + attacker_key}
    if kind == "unbound-subkey-in-a-second-armour-block":
        return {"text": armor(real) + armor(attacker_packets[subkey][1])}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "unbound-subkey", "subkey-bound-by-the-attacker", "second-primary-key",
    "unbound-subkey-in-a-second-armour-block"])
def test_key_file_with_attacker_material_is_refused_and_nothing_changes(
        kind, make_root, script_args, simel_lab, attacker, mirror_serving_key):
    # The primary key is the trusted one, so a fingerprint check of the
    # primary alone passes; an older rpm would then trust the extra key.
    root = make_root(FAMILY)
    mirror = mirror_serving_key(**hostile_key_file(kind, the_real_key(simel_lab), *attacker))
    before = root.digest(exclude=RPMDB_VOLATILE)
    keys = root.imported_keys()
    result = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "untrusted AlmaLinux key" in result.output
    assert f"/srv/mirror/RPM-GPG-KEY-AlmaLinux-{MAJOR}" in result.output
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []
    assert root.imported_keys() == keys


def test_check_reports_an_unbound_subkey_as_a_blocker(
        make_root, script_args, simel_lab, attacker, mirror_serving_key):
    root = make_root(FAMILY)
    mirror = mirror_serving_key(**hostile_key_file("unbound-subkey", the_real_key(simel_lab),
                                                   *attacker))
    result = root.run_script("--check", *script_args(root, yes=False), mirror=mirror)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert re.search(r"holds 1 subkey\(s\), 0 of them bound", result.stdout), str(result)
    assert "NOT READY" in result.stdout


def test_bound_signing_subkey_stays_valid_and_rpm_gets_only_the_clean_key(
        make_root, script_args, simel_lab, tmp_path, mirror_serving_key):
    # A real AlmaLinux key may carry bound subkeys. The attacker's
    # certification of its user ID rides along in the file: harmless, but
    # it must not reach rpm.
    name = simel_lab.alma_key(MAJOR).name
    attacker_id = simel_lab.key("unknown").keyid.upper()
    data, subkey = simel_lab.keyring.variant(name, tmp_path / "owner", signing_subkey=True,
                                             certified_by="unknown")
    assert attacker_id in simel_lab.keyring.issuers(data)   # the file does carry it
    root = make_root(FAMILY)
    result = root.run_script(*script_args(root), mirror=mirror_serving_key(data),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.os_release()["ID"] == "almalinux"
    given = dearmor(root.read(f"{WORK_DIR}/RPM-GPG-KEY-AlmaLinux-{MAJOR}"))
    tags = [tag for tag, _ in packets(given)]
    assert tags.count(PUBLIC_KEY) == 1 and tags.count(PUBLIC_SUBKEY) == 1, tags
    assert SIGNATURE in tags
    assert simel_lab.keyring.issuers(given) == {simel_lab.alma_key(MAJOR).keyid.upper()}
    # What rpm's database holds is that export: the bound subkey, nothing
    # of the attacker's.
    short = simel_lab.alma_key(MAJOR).short_id
    stored = dearmor(root.rpm_query("-q", f"gpg-pubkey-{short}", "--qf",
                                    "%{DESCRIPTION}").stdout)
    assert [tag for tag, _ in packets(stored)].count(PUBLIC_SUBKEY) == 1
    assert attacker_id not in simel_lab.keyring.issuers(stored)
    assert simel_lab.keyring.fingerprints(stored) == [simel_lab.alma_key(MAJOR).fingerprint,
                                                      subkey]


def test_key_mismatch_on_a_custom_mirror_names_fingerprint_as_the_organisations_own(
        make_root, script_args, bad_mirror):
    root = make_root(FAMILY)
    result = root.run_script("--check", *script_args(root, fingerprint=False, yes=False),
                             mirror=bad_mirror(wrong_key=True))
    assert result.returncode == EXIT["BLOCKED"], str(result)
    blocker = next(line for line in result.stdout.splitlines()
                   if "untrusted AlmaLinux key" in line)
    assert "--fingerprint" in blocker and "never one copied from this message" in blocker


# ---------------------------------------------------------------- transport
def insecure_args(root, script_args, url, **kw):
    return ["--allow-insecure-http", *script_args(root, mirror_url=url, **kw)]


def test_plain_http_mirror_with_the_flag_is_reported_as_insecure(
        make_root, script_args, http_mirror):
    root = make_root(FAMILY)
    server = http_mirror()
    result = root.run_script("--check", "--log", "/var/log/check.log",
                             *insecure_args(root, script_args, server.url, yes=False))
    assert result.returncode == EXIT["OK"], str(result)
    warning = re.compile(r"INSECURE: --allow-insecure-http: the mirror http://127\.0\.0\.1")
    assert warning.search(result.stdout), str(result)
    assert len(warning.findall(root.read("/var/log/check.log"))) == 2   # report and log line


@pytest.mark.parametrize("target", ["ftp://127.0.0.1:1/RPM-GPG-KEY-AlmaLinux-9",
                                    "file:///srv/mirror/RPM-GPG-KEY-AlmaLinux-9"],
                         ids=["to-ftp", "to-a-local-file"])
def test_redirect_to_another_scheme_is_refused(
        target, make_root, script_args, http_mirror):
    root = make_root(FAMILY)
    server = http_mirror()
    server.redirects[f"/RPM-GPG-KEY-AlmaLinux-{MAJOR}"] = target
    result = root.run_script("--check", *insecure_args(root, script_args, server.url,
                                                       yes=False))
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"/RPM-GPG-KEY-AlmaLinux-{MAJOR}" in server.requests
    scheme = target.split(":", 1)[0]
    assert re.search(rf'mirror unreachable: cannot download {re.escape(server.url)}/'
                     rf'RPM-GPG-KEY-AlmaLinux-{MAJOR}: .*Protocol "{scheme}" not supported',
                     result.stdout), str(result)


def test_stalled_mirror_fails_within_the_time_bound_naming_the_url(
        make_root, script_args, http_mirror):
    root = make_root(FAMILY)
    server = http_mirror()
    server.stall_now()
    bound = 2 * CURL["STALL"] + CURL["CONNECT"]
    result = root.run_script("--check", *insecure_args(root, script_args, server.url,
                                                       yes=False), timeout=bound + 60)
    assert not result.timed_out, str(result)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert server.stalls, server.requests
    assert result.seconds < bound, result.seconds
    assert f"cannot download {server.url}/RPM-GPG-KEY-AlmaLinux-{MAJOR}" in result.stdout



# Repository files a mirror may stall on after serving the key: (family,
# path pattern, what reads it). The script reads the first three with curl;
# the file lists only dnf reads, resolving the transaction.
STALLED_REPOSITORY_FILES = {
    "repositories": (FAMILY, rf"^/{MAJOR}/", "curl"),
    "primary": (FAMILY, r"/BaseOS/.*-primary\.xml", "curl"),
    "modules": ("ol8", r"/AppStream/.*-modules\.yaml", "curl"),   # ol8 has a module enabled
    "filelists": (FAMILY, r"-filelists\.xml", "dnf"),
}
DNF_RETRIES = script_constant("DNF_RETRIES")


@pytest.mark.parametrize("what", list(STALLED_REPOSITORY_FILES))
def test_mirror_stalling_after_the_key_fails_the_check_in_time_naming_the_url(
        what, make_root, script_args, http_mirror):
    family, pattern, reader = STALLED_REPOSITORY_FILES[what]
    root = make_root(family)
    major = root.family.major
    server = http_mirror()
    server.stall_matching(pattern)
    before = root.digest(exclude=RPMDB_VOLATILE)
    # curl: one stalled transfer, the probes after it fail at once and dnf's
    # resolution is not tried. dnf: it gives up after DNF_RETRIES + 1
    # stalled transfers in all. The connect timeout covers the rest.
    stalled = CURL["STALL"] if reader == "curl" else (DNF_RETRIES + 1) * CURL["STALL"]
    bound = stalled + CURL["CONNECT"]
    result = root.run_script("--check", *insecure_args(root, script_args, server.url,
                                                       yes=False), timeout=bound + 60)
    assert not result.timed_out, str(result)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"/RPM-GPG-KEY-AlmaLinux-{major}" in server.requests
    assert server.stalls, server.requests
    assert result.seconds < bound, result.seconds
    url = f"{server.url}{server.stalls[0]}"
    blockers = result.stdout.split("Blockers (")[1].split("Warnings (")[0]
    assert url in blockers, str(result)
    # Said once: no warning that the metadata could not be read besides.
    assert "could not be read from the mirror's BaseOS metadata" not in result.stdout
    if reader == "curl":
        assert f"mirror unreachable: cannot download {url}: " in blockers, blockers
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []



def test_mirror_stalling_after_the_key_blocks_a_real_run_in_its_preflight(
        make_root, script_args, http_mirror):
    root = make_root(FAMILY)
    server = http_mirror()
    server.stall_matching(rf"^/{MAJOR}/")
    before = root.digest(exclude=RPMDB_VOLATILE)
    bound = CURL["STALL"] + CURL["CONNECT"]
    result = root.run_script(*insecure_args(root, script_args, server.url), timeout=bound + 60)
    assert not result.timed_out, str(result)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert result.seconds < bound, result.seconds
    assert len(server.stalls) == 1, server.stalls
    assert f"mirror unreachable: cannot download {server.url}{server.stalls[0]}: " in result.output
    assert "nothing changed" in result.output
    changed = diff_digests(before, root.digest(exclude=RPMDB_VOLATILE))
    assert all(p[2:].startswith("var/lib/almalinux-migrate") for p in changed), changed

def test_mirror_password_is_used_but_never_printed_logged_or_saved(
        make_root, script_args, http_mirror, simel_lab):
    root = make_root(FAMILY)
    server = http_mirror()
    url = server.url.replace("http://", "http://migrator:s3cr%40t@")
    result = root.run_script(*insecure_args(root, script_args, url), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["OK"], str(result)
    assert root.os_release()["ID"] == "almalinux"
    # curl (the key) and dnf (the packages) logged in, with the decoded password.
    basic = "Basic " + base64.b64encode(b"migrator:s3cr@t").decode()
    used = {path for path, auth in server.authorizations if auth == basic}
    assert f"/RPM-GPG-KEY-AlmaLinux-{MAJOR}" in used
    assert any(path.endswith(".rpm") for path in used), server.authorizations
    assert "Mirror:       http://migrator:***@127.0.0.1" in result.stdout
    assert "migrator:***@" in root.read(LOG)
    for path, text in [("output", result.output), ("log", root.read(LOG)),
                       ("state", root.read(STATE))] + [
            (str(p), p.read_text()) for p in (root.path / "etc/yum.repos.d").glob("*.repo")]:
        assert "s3cr" not in text, path


# ---------------------------------------------------------------- inputs, logs, locks
def plant_state(root, **values):
    state = root.path / STATE.lstrip("/")
    state.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    state.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    (state.parent / "lock").touch()   # as an interrupted run leaves it


RESUMABLE_STATE = {
    "STEP": "backup", "PONR": "1", "SOURCE_ID": "centos",
    "SOURCE_NAME": "CentOS Stream 9", "MAJOR": str(MAJOR), "ARCH": "x86_64",
    "MIRROR": "file:///srv/mirror", "FINGERPRINT": "", "SOURCE_PKGS": "centos-stream-release",
    "TARGET_PKGS": "almalinux-release", "BACKUP_DIR": f"{WORK_DIR}/backup-20260101T000000Z",
    "UNSAFE_START": "1", "THIRD_PARTY": "", "SOURCE_REPO_FILES": "",
}


@pytest.mark.parametrize("key", ["MAJOR", "UNSAFE_START", "STEP", "PONR"])
def test_command_planted_in_the_state_file_never_runs(key, make_root, script_args):
    # MAJOR reaches shell arithmetic ((MAJOR != 8)), where a[$(cmd)] runs cmd.
    root = make_root(FAMILY)
    marker = "/var/tmp/planted-command-ran"
    plant_state(root, **{**RESUMABLE_STATE, key: f"x[$(touch {marker})]"})
    before = root.digest(exclude=RPMDB_VOLATILE)
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert not root.exists(marker), str(result)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"the state file {STATE} is damaged: {key} has an invalid value" in result.stderr
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_lock_is_taken_before_the_state_file_is_read(make_root, script_args):
    # While another run holds the lock, even a damaged state file is not read.
    root = make_root(FAMILY)
    plant_state(root, **{**RESUMABLE_STATE, "MAJOR": "bogus"})
    lock = f"{WORK_DIR}/lock"
    (root.path / lock.lstrip("/")).touch()
    result = root.run(["flock", "-n", lock, "bash", SCRIPT_IN_ROOT, *script_args(root)])
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "another almalinux-migrate.sh is running" in result.stderr
    assert "damaged" not in result.stderr


def test_missing_flock_is_a_blocker(make_root, script_args):
    root = make_root(FAMILY)
    # An overlay whiteout in the root's own /usr layer hides the host's flock.
    whiteout = root.path / "usr/bin/flock"
    subprocess.run(["mknod", str(whiteout), "c", "0", "0"], check=True)
    assert root.run(["sh", "-c", "command -v flock"]).returncode != 0
    result = root.run_script("--check", *script_args(root, yes=False))
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert "required command missing: flock" in result.stdout


@pytest.mark.parametrize("check", [True, False], ids=["check", "migration"])
def test_symlink_at_the_log_path_is_refused_and_its_target_untouched(
        check, make_root, script_args):
    root = make_root(FAMILY)
    target = root.path / "etc/important.conf"
    target.write_text("keep me\n")
    (root.path / LOG.lstrip("/")).symlink_to("/etc/important.conf")
    before = root.digest(exclude=RPMDB_VOLATILE)
    args = ["--check", "--log", LOG] if check else []
    result = root.run_script(*args, *script_args(root, yes=not check),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"the log {LOG} is a symbolic link" in result.stderr
    assert target.read_text() == "keep me\n"
    assert diff_digests(before, root.digest(exclude=RPMDB_VOLATILE)) == []


def test_log_is_private_whether_new_or_left_by_an_earlier_run(make_root, script_args):
    root = make_root(FAMILY)
    old = root.path / "var/log/old.log"
    old.write_text("earlier run\n")
    old.chmod(0o644)
    for name in ("new.log", "old.log"):
        result = root.run_script("--check", "--log", f"/var/log/{name}",
                                 *script_args(root, yes=False))
        assert result.returncode == EXIT["OK"], str(result)
        log = root.path / "var/log" / name
        assert log.stat().st_mode & 0o777 == 0o600, name
        assert "Result: READY" in log.read_text()
    assert old.read_text().startswith("earlier run\n")
