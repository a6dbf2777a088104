"""A local user of a host cannot get their own code run as root by a rollout.

The playbook used to stage the script in a fixed /var/tmp/almalinux-fleet.
Here an ordinary user, mallory (uid 1000), prepares each host before the
playbook comes: the old path as her own directory holding her script, the
old path as a symlink into a directory of hers, or a directory of her own in
/var/tmp. On every host she also acts before each command the playbook runs,
swapping any staged almalinux-migrate.sh she can reach for her script: she
wins every race between copying, checking and running. Neither a check-only
rollout nor a real one may run or follow anything of hers.
"""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from chroot_adapter import INTRUDER_UID
from fleet_helpers import FLEET_DIR
from simel import RPMDB_VOLATILE, diff_digests

pytestmark = pytest.mark.slow

HOME = "/home/mallory"
ACT = f"{HOME}/act"
HEARTBEAT = f"{HOME}/heartbeat"
EVIL = f"{HOME}/evil.sh"
MARKER = "/etc/mallory-was-root"
OLD_STAGE = "/var/tmp/almalinux-fleet"

EVIL_SCRIPT = f"""#!/bin/bash
# mallory's almalinux-migrate.sh: proves it ran, as whom, and pretends success.
id -u > {MARKER}
exit 0
"""

# Runs as mallory before every command of the playbook on her host. She
# toggles every staged almalinux-migrate.sh she can reach between the
# published one and hers, so of a command that checks the file and the next
# one that runs it, one sees each.
INTRUDER = f"""#!/bin/sh
echo acted >> {HEARTBEAT}
for staged in {OLD_STAGE}/almalinux-migrate.sh /var/tmp/*/almalinux-migrate.sh \\
              /var/tmp/*/*/almalinux-migrate.sh {HOME}/trap/almalinux-migrate.sh; do
  [ -e "$staged" ] || continue
  if cmp -s "$staged" {EVIL}; then
    [ -e "$staged.published" ] && mv -f "$staged.published" "$staged"
  else
    mv -f "$staged" "$staged.published" && cp {EVIL} "$staged"
  fi
done
exit 0
"""

SETUPS = {
    # The old fixed path, made first by mallory, with her script in it.
    "mallory-old-path": lambda root: [
        mallory_dir(root, OLD_STAGE, 0o777),
        mallory_file(root, f"{OLD_STAGE}/almalinux-migrate.sh", EVIL_SCRIPT),
        mallory_dir(root, f"{OLD_STAGE}/.ansible-tmp", 0o777)],
    # The old fixed path as a symlink to a directory of hers.
    "mallory-symlink": lambda root: [
        mallory_dir(root, f"{HOME}/trap", 0o777),
        mallory_file(root, f"{HOME}/trap/almalinux-migrate.sh", EVIL_SCRIPT),
        mallory_symlink(root, OLD_STAGE, f"{HOME}/trap")],
    # A directory of her own in /var/tmp, next to where the playbook stages.
    "mallory-own-dir": lambda root: [
        mallory_dir(root, "/var/tmp/mallory", 0o777),
        mallory_file(root, "/var/tmp/mallory/almalinux-migrate.sh", EVIL_SCRIPT)],
}
HOSTS = [(name, "centos8") for name in SETUPS]


def in_root(root, path):
    return root.path / path.lstrip("/")


def mallory_dir(root, path, mode):
    target = in_root(root, path)
    target.mkdir(parents=True, exist_ok=True)
    os.chown(target, INTRUDER_UID, INTRUDER_UID)
    target.chmod(mode)


def mallory_file(root, path, text, mode=0o755):
    target = in_root(root, path)
    target.write_text(text)
    os.chown(target, INTRUDER_UID, INTRUDER_UID)
    target.chmod(mode)


def mallory_symlink(root, path, points_to):
    target = in_root(root, path)
    target.symlink_to(points_to)
    os.lchown(target, INTRUDER_UID, INTRUDER_UID)


def add_mallory(root):
    with open(in_root(root, "/etc/passwd"), "a") as passwd:
        passwd.write(f"mallory:x:{INTRUDER_UID}:{INTRUDER_UID}::{HOME}:/bin/bash\n")
    mallory_dir(root, HOME, 0o755)
    mallory_file(root, EVIL, EVIL_SCRIPT)
    mallory_file(root, ACT, INTRUDER)


def mallorys_things(root):
    """Digest of everything mallory could have prepared (her heartbeat aside)."""
    return {top: root.digest_of(top, exclude=("heartbeat",)) for top in ("var/tmp", "home/mallory")}


def heartbeats(root):
    path = in_root(root, HEARTBEAT)
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture(scope="module")
def hostile(make_fleet):
    """Hosts prepared by mallory; a check-only run, then a real rollout."""
    fleet = make_fleet(HOSTS, intruders={name: ACT for name in SETUPS})
    for name, setup in SETUPS.items():
        add_mallory(fleet.roots[name])
        setup(fleet.roots[name])
    before = {name: mallorys_things(root) for name, root in fleet.roots.items()}
    digests = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}
    check = fleet.run("check", fleet_check_only=True)
    after_check = {name: root.digest(RPMDB_VOLATILE) for name, root in fleet.roots.items()}
    beats_after_check = {name: heartbeats(root) for name, root in fleet.roots.items()}
    rollout = fleet.run("rollout")
    return {"fleet": fleet, "before": before, "digests": digests, "check": check,
            "after_check": after_check, "beats_after_check": beats_after_check,
            "rollout": rollout}


def test_mallory_acted_before_every_command_of_both_runs(hostile):
    for name, root in hostile["fleet"].roots.items():
        assert hostile["beats_after_check"][name] >= 10, name
        assert heartbeats(root) > hostile["beats_after_check"][name], name


@pytest.mark.parametrize("host", list(SETUPS))
def test_check_only_rollout_runs_the_published_script_not_mallorys(hostile, host):
    check = hostile["check"]
    assert check.returncode == 0, check.output
    status = check.host(host)
    assert status["status"] == "ready", status
    # Only the published script warns about the key given with --fingerprint;
    # mallory's script says nothing.
    assert any("TRUSTING A KEY GIVEN ON THE COMMAND LINE" in w for w in status["warnings"]), status
    assert not hostile["fleet"].roots[host].exists(MARKER)


@pytest.mark.parametrize("host", list(SETUPS))
def test_check_only_rollout_changes_nothing_of_mallorys_or_the_hosts(hostile, host):
    root = hostile["fleet"].roots[host]
    # Heartbeats aside, the host is as mallory left it: her directories, her
    # files, her symlink and its target, and no staging directory left over.
    changed = diff_digests(hostile["digests"][host], hostile["after_check"][host])
    assert [c for c in changed if not c.startswith("~ home/mallory/heartbeat")
            and not c.startswith("+ home/mallory/heartbeat")] == []
    assert not root.exists(MARKER)


@pytest.mark.parametrize("host", list(SETUPS))
def test_real_rollout_migrates_with_the_published_script_and_follows_nothing_of_mallorys(hostile, host):
    rollout = hostile["rollout"]
    assert rollout.returncode == 0, rollout.output
    root = hostile["fleet"].roots[host]
    assert not root.exists(MARKER)
    assert rollout.host(host)["migration"]["state"] == "migrated"
    assert root.os_release()["ID"] == "almalinux"
    assert root.package("almalinux-release").vendor == "AlmaLinux"
    assert mallorys_things(root) == hostile["before"][host]


def test_report_files_are_readable_only_by_their_owner(hostile):
    for run in (hostile["check"], hostile["rollout"]):
        for path in (run.report_json, run.report_md):
            assert oct(path.stat().st_mode & 0o777) == oct(0o600), path


# The one command that checks and runs the staged copy, run on this machine:
# sha256sum is replaced by one that, right after hashing, swaps the staged
# file for mallory's (the attacker winning the race between the check and
# the start of bash).
def verify_and_run_command():
    tasks = yaml.safe_load((FLEET_DIR / "tasks" / "run-script.yml").read_text())
    block = next(t for t in tasks if "block" in t)
    return block["vars"]["fleet_verify_and_run"]


@pytest.fixture
def staged(tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir(mode=0o700)
    script = stage / "almalinux-migrate.sh"
    script.write_text(f'#!/bin/bash\necho "published script, args: $*" > {tmp_path}/ran\n')
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/bash\necho mallory > {tmp_path}/ran\n")
    sha = subprocess.run(["sha256sum", str(script)], capture_output=True, text=True,
                         check=True).stdout.split()[0]
    return {"dir": tmp_path, "script": script, "evil": evil, "sha": sha}


def run_wrapper(staged, sha, path_prefix=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if path_prefix:
        env["PATH"] = f"{path_prefix}:{env['PATH']}"
    return subprocess.run(["/bin/bash", "-c", verify_and_run_command(), "almalinux-fleet",
                           str(staged["script"]), sha, "--check"],
                          capture_output=True, text=True, env=env, timeout=60)


def test_file_swapped_between_the_check_and_the_start_is_not_what_runs(staged):
    fake = staged["dir"] / "bin"
    fake.mkdir()
    (fake / "sha256sum").write_text(
        "#!/bin/bash\nsum=$(/usr/bin/env -u PATH /usr/bin/sha256sum)\n"
        f"mv -f {staged['evil']} {staged['script']}\nprintf '%s\\n' \"$sum\"\n")
    (fake / "sha256sum").chmod(0o755)

    result = run_wrapper(staged, staged["sha"], path_prefix=fake)

    assert result.returncode == 0, result
    assert staged["script"].read_text().endswith("echo mallory > " + f"{staged['dir']}/ran\n")
    assert (staged["dir"] / "ran").read_text() == "published script, args: --check\n"


def test_staged_copy_not_matching_sha256sums_is_refused_and_not_run(staged):
    staged["script"].write_text(staged["evil"].read_text())

    result = run_wrapper(staged, staged["sha"])

    assert result.returncode == 125, result
    assert f"not {staged['sha']} from SHA256SUMS; nothing was run" in result.stderr
    assert not (staged["dir"] / "ran").exists()
