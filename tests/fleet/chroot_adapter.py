"""Adapter: Ansible's community.general.chroot connection into simulated roots.

The chroot connection runs `<ansible_chroot_exe> <ansible_host> /bin/sh -c CMD`
for every command. The executable written here enters the simulated root the
way the harness does (tests/migrate/simel/root.py: its own entry script,
overlay of the host /usr, /proc, /dev, tmpfs /run, read-only binds, chroot with
a clean environment), with two additions Ansible needs:

- a PID namespace: every preflight runs at the same time, and the script's
  "is a package manager running?" check reads /proc. With the host's /proc one
  host's `rpm -qa` would block another; in its own namespace each root sees
  only its own processes, and anything left running dies with the command
  (what SimRoot.kill_leftovers does after each harness run);
- PYTHONDONTWRITEBYTECODE: Ansible modules run the host's Python through the
  overlay, whose upper layer is the root's /usr; bytecode caches written
  there would show up in the root's digest.

The connection also insists that `<ansible_host>/bin/sh` exists on the
controller. A root's /bin/sh only exists inside the overlay, so each host gets
a small handle directory (bin/sh -> /bin/sh) and the executable maps the
handle to its root.
"""

import shlex
from pathlib import Path

from simel import root as simel_root

EXTRA_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}

# The uid of an ordinary local user of a simulated host (tests of what such a
# user can do to a rollout).
INTRUDER_UID = 1000


def handle_for(directory, name):
    """A directory the chroot connection accepts as a host (has bin/sh)."""
    handle = Path(directory) / name
    (handle / "bin").mkdir(parents=True, exist_ok=True)
    sh = handle / "bin" / "sh"
    if not sh.is_symlink():
        sh.symlink_to("/bin/sh")
    return handle


def enter_argv(sim_root, mirror=None):
    """The harness's entry command for sim_root, ending just before the command."""
    binds = dict(sim_root.binds)
    if mirror is not None:
        binds[simel_root.MIRROR_IN_ROOT] = getattr(mirror, "path", mirror)
    bind_args = []
    for inside, host in binds.items():
        mountpoint = sim_root.path / inside.lstrip("/")
        mountpoint.mkdir(parents=True, exist_ok=True)
        bind_args += [str(host), inside, "ro"]
    sim_root.workdir.mkdir(exist_ok=True)
    env = {**simel_root.CLEAN_ENV, **EXTRA_ENV}
    return ["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--",
            "bash", "-c", simel_root._ENTER, "simel-enter",
            str(sim_root.path), str(sim_root.workdir), str(len(binds)), *bind_args,
            "chroot", str(sim_root.path), "/usr/bin/env", "-i",
            *[f"{k}={v}" for k, v in env.items()]]


def write_chroot_exe(path, hosts, intruders=None):
    """Write the executable for ansible_chroot_exe.

    hosts: {handle directory: SimRoot or (SimRoot, mirror)}. An unknown
    handle is refused, so a typo can never chroot into the real system.
    intruders: {handle directory: script path inside the root}: before every
    command on that host, the script runs there as the ordinary user
    INTRUDER_UID (a local user acting between the playbook's steps).
    """
    cases = []
    for handle, target in hosts.items():
        sim_root, mirror = target if isinstance(target, tuple) else (target, None)
        argv = " ".join(shlex.quote(a) for a in enter_argv(sim_root, mirror))
        intruder = (intruders or {}).get(handle)
        before = ""
        if intruder is not None:
            before = (f"    {argv} setpriv --reuid={INTRUDER_UID} --regid={INTRUDER_UID} --clear-groups"
                      f" /bin/sh {shlex.quote(intruder)} </dev/null >/dev/null 2>&1 || true\n")
        cases.append(f"  {shlex.quote(str(handle))})\n{before}    exec {argv} \"$@\" ;;")
    path = Path(path)
    path.write_text(
        "#!/bin/bash\n"
        "# Enters the simulated root behind a host handle (tests/fleet).\n"
        "set -euo pipefail\n"
        'handle="$1"\n'
        "shift\n"
        'case "${handle%/}" in\n'
        + "\n".join(cases) + "\n"
        '  *) echo "chroot_exe: unknown host handle ${handle}" >&2; exit 125 ;;\n'
        "esac\n")
    path.chmod(0o755)
    return path
