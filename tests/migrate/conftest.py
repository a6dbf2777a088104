"""Fixtures for the migration tests: simulated EL systems built once per run.

See tests/migrate/README.md and the simel package docstring for the API.
"""

import pytest

from simel import Lab, MirrorServer, host_rpmdb_state, missing_host_requirements

@pytest.fixture(scope="session")
def host_rpmdb_before():
    """The host's rpm database state before any simulated system is built."""
    return host_rpmdb_state()


@pytest.fixture(scope="session")
def simel_lab(tmp_path_factory, host_rpmdb_before):
    """Keys, family repositories, the AlmaLinux mirror; roots built on demand."""
    problems = missing_host_requirements()
    if problems:
        pytest.fail("simulated EL systems cannot be built here: " + "; ".join(problems))
    lab = Lab(tmp_path_factory.mktemp("simel"))
    yield lab
    lab.close()


@pytest.fixture(scope="session")
def alma_mirror(simel_lab):
    """The good AlmaLinux mirror (majors 8, 9, 10), bound at /srv/mirror by default."""
    return simel_lab.mirror


@pytest.fixture
def make_root(simel_lab, tmp_path):
    """make_root("centos8", third_party=False, kernel=False) -> a private SimRoot copy."""
    count = 0

    def make(family, third_party=False, kernel=False):
        nonlocal count
        count += 1
        return simel_lab.new_root(family, tmp_path / f"{family}-{count}", third_party, kernel)

    return make


@pytest.fixture
def bad_mirror(simel_lab):
    """bad_mirror(tampered=NAME | unsigned=NAME | unknown_key=NAME | missing=NAME |
    wrong_key=True | power_loss=NAME | foreign_key=(NAME, KEY) |
    signed_metadata="good" | "bad" | old_release=True | failing_pre=NAME)."""
    return simel_lab.mirror_with


@pytest.fixture
def http_mirror(simel_lab):
    """http_mirror(mirror=None) -> a started MirrorServer (closed after the test)."""
    servers = []

    def start(mirror=None):
        server = MirrorServer(mirror if mirror is not None else simel_lab.mirror)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def script_args(simel_lab):
    """script_args(root, mirror_url=..., fingerprint=True, yes=True) -> option list."""
    return simel_lab.script_args
