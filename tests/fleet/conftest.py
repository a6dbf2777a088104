"""Fixtures for the fleet playbook tests: simulated hosts and ansible-playbook.

The simulated EL systems come from the migration tests' harness
(tests/migrate/simel), imported, not copied; chroot_adapter.py is the only
glue Ansible needs on top of it.
"""

import json

import pytest

from chroot_adapter import handle_for, write_chroot_exe
from fleet_helpers import SCRIPT, Fleet, publish_downloads
from simel import MIRROR_URL, Lab, missing_host_requirements



@pytest.fixture(scope="session")
def fleet_lab(tmp_path_factory):
    """The harness's Lab (keys, family repositories, mirror) for majors 8 and 9."""
    problems = missing_host_requirements()
    if problems:
        pytest.fail("simulated EL hosts cannot be built here: " + "; ".join(problems))
    if not SCRIPT.is_file():
        pytest.fail(f"{SCRIPT} does not exist: the playbook has nothing to run")
    lab = Lab(tmp_path_factory.mktemp("fleet-simel"), majors=(8, 9))
    yield lab
    lab.close()


@pytest.fixture(scope="session")
def make_fleet(fleet_lab, tmp_path_factory):
    """make_fleet([(name, family), ...], script_bytes=None, mirrors=None, intruders=None) -> Fleet.

    Hosts are listed in the inventory in the given order (the first ready one
    is the canary); each gets the AlmaLinux test key of its major as
    fleet_fingerprint and the simulated mirror as fleet_mirror. intruders:
    {name: path inside the root of a script an ordinary user runs there
    before every command of the playbook} (see chroot_adapter).
    """
    def make(hosts, script_bytes=None, mirrors=None, intruders=None):
        base = tmp_path_factory.mktemp("fleet")
        handles, roots, inventory_hosts, intruder_scripts = {}, {}, {}, {}
        for name, family in hosts:
            root = fleet_lab.new_root(family, base / "hosts" / name)
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

    return make
