"""The playbook checks the signature of SHA256SUMS before it touches a host.

A bundle that carries downloads-signing-key.asc (and its fingerprint in
downloads-signing-key.fpr) must come with a SHA256SUMS.asc made by that key.
The keys here are throwaway keys made for the test.
"""

import shutil
import subprocess

import pytest

from fleet_helpers import FLEET_DIR
from simel import diff_digests

pytestmark = pytest.mark.slow


def gpg(home, *args):
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        pytest.fail("gpg and gpgv are needed on this machine (package gnupg)")
    result = subprocess.run(["gpg", "--batch", "--no-tty", "--homedir", str(home),
                             "--pinentry-mode", "loopback", "--passphrase", "", *map(str, args)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result
    return result.stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Two signing keys: the one the bundle pins and someone else's."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    made = {}
    for name in ("pinned", "other"):
        gpg(home, "--quick-gen-key", f"{name} downloads key <{name}@example.test>",
            "ed25519", "sign", "never")
        listing = gpg(home, "--with-colons", "--list-keys", f"{name}@example.test")
        fpr = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        made[name] = {"fpr": fpr, "public": gpg(home, "--armor", "--export", fpr)}
    yield {"home": home, **made}
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)


def sign(keys, who, sums):
    signature = sums.with_name(sums.name + ".asc")
    signature.unlink(missing_ok=True)
    gpg(keys["home"], "--armor", "--detach-sign", "--local-user", keys[who]["fpr"],
        "--output", signature, sums)
    return signature


@pytest.fixture
def signed(make_fleet, keys):
    """A one-host fleet and a bundle with the pinned key; SHA256SUMS signed by it."""
    fleet = make_fleet([("centos8", "centos8")])
    bundle = fleet.base / "bundle"
    shutil.copytree(FLEET_DIR, bundle)
    (bundle / "downloads-signing-key.asc").write_text(keys["pinned"]["public"])
    (bundle / "downloads-signing-key.fpr").write_text(keys["pinned"]["fpr"] + "\n")
    signature = sign(keys, "pinned", fleet.sums)
    return {"fleet": fleet, "bundle": bundle, "playbook": bundle / "migrate.yml",
            "signature": signature}


def test_good_signature_by_the_pinned_key_lets_the_hosts_be_checked(signed, keys):
    run = signed["fleet"].run("signed", playbook=signed["playbook"], fleet_check_only=True)

    assert run.returncode == 0, run.output
    assert run.host("centos8")["status"] == "ready"
    assert run.report["sha256sums_signed_by"] == keys["pinned"]["fpr"]
    assert f"SHA256SUMS: signature verified, key `{keys['pinned']['fpr']}`." in run.report_md.read_text()
    assert "The downloads are not signed" not in run.output


def tamper_sums(signed, keys):
    # Both files replaced on the site; the attacker cannot sign them.
    fleet = signed["fleet"]
    fleet.script.write_bytes(fleet.script.read_bytes() + b"\ntrue  # changed\n")
    digest = subprocess.run(["sha256sum", fleet.script.name], cwd=fleet.script.parent,
                            capture_output=True, text=True, check=True).stdout
    fleet.sums.write_text(digest)


def signed_by_other(signed, keys):
    sign(keys, "other", signed["fleet"].sums)


def key_swapped_in_bundle(signed, keys):
    (signed["bundle"] / "downloads-signing-key.asc").write_text(keys["other"]["public"])
    sign(keys, "other", signed["fleet"].sums)


def signature_missing(signed, keys):
    signed["signature"].unlink()


def fingerprint_missing(signed, keys):
    (signed["bundle"] / "downloads-signing-key.fpr").unlink()


def required_without_key(signed, keys):
    (signed["bundle"] / "downloads-signing-key.asc").unlink()
    signed["signature"].unlink()


REFUSALS = {
    "tampered SHA256SUMS": (tamper_sums, {}, "is not signed by the pinned key {pinned}."),
    "signed by another key": (signed_by_other, {}, "is not signed by the pinned key {pinned}."),
    "key swapped in the bundle": (key_swapped_in_bundle, {},
                                  "is not signed by the pinned key {pinned} (signed by {other})"),
    "signature missing": (signature_missing, {}, "SHA256SUMS.asc is missing"),
    "fingerprint missing": (fingerprint_missing, {}, "No fingerprint to pin the signing key to"),
    "required without a key": (required_without_key, {"fleet_require_signature": True},
                               "fleet_require_signature is set, but there is no signing key"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_downloads_without_a_good_signature_by_the_pinned_key_are_refused_before_any_host(
        signed, keys, case):
    damage, extra_vars, said = REFUSALS[case]
    damage(signed, keys)
    fleet = signed["fleet"]
    before = fleet.digests()

    run = fleet.run("refused", playbook=signed["playbook"], **extra_vars)

    assert run.returncode != 0, run.output
    message = " ".join(run.output.split())
    assert said.format(pinned=keys["pinned"]["fpr"], other=keys["other"]["fpr"]) in message, run.output
    assert "No host was touched" in message
    assert set(run.recap) == {"localhost"}, run.recap
    assert not run.report_json.exists() and not run.report_md.exists()
    assert all(diff_digests(before[n], d) == [] for n, d in fleet.digests().items())

