"""Fixtures for the fleet playbook tests: simulated hosts and ansible-playbook.

The simulated EL systems come from the migration tests' harness
(tests/migrate/simel), imported, not copied; chroot_adapter.py is the only
glue Ansible needs on top of it.
"""

import pytest

from fleet_helpers import SCRIPT, build_fleet
from simel import Lab, missing_host_requirements



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
        return build_fleet(fleet_lab, tmp_path_factory.mktemp("fleet"), hosts,
                           script_bytes, mirrors, intruders)

    return make
