"""Signed downloads: SHA256SUMS.asc made by the build with the pinned key,
checked with gpgv; a wrong or missing key stops the build; no key means an
unsigned site that says so; the guides' verification commands work as shown."""

import html
import http.server
import io
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from functools import partial
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from project import run_mkdocs_build
import sitelib.signing
from site_helpers import Site, copy_real_project

SIGNED_FILES = ["SHA256SUMS", "SHA256SUMS.asc", "almalinux-fleet.tar.gz",
                "almalinux-migrate.sh", "downloads-signing-key.asc"]
FLEET = {"migrate.yml": "- hosts: all\n", "roles/migrate/tasks/main.yml": "---\n"}
PAGE = """\
    # Get it

    <!-- download:install almalinux-migrate.sh -->

    <!-- download:verify almalinux-migrate.sh -->

    Key: <!-- download:link downloads-signing-key.asc -->
    """
UNSIGNED_PAGE = """\
    # Get it

    <!-- download:install almalinux-migrate.sh -->

    <!-- download:verify almalinux-migrate.sh -->
    """


class GnupgHome:
    """A passphrase-less throwaway key in a GnuPG home of its own (short path:
    gpg-agent's socket name has a length limit)."""

    def __init__(self, name):
        self.path = Path(tempfile.mkdtemp(prefix="dlsig-"))
        self.path.chmod(0o700)
        gpg(self.path, "--passphrase", "", "--quick-gen-key",
            f"{name} <downloads@example.org>", "ed25519", "sign", "never")
        listing = gpg(self.path, "--with-colons", "--list-secret-keys").stdout
        self.fingerprint = re.search(r"^fpr:+([0-9A-F]{40}):", listing, re.M).group(1)

    def remove(self):
        subprocess.run(["gpgconf", "--homedir", str(self.path), "--kill", "gpg-agent"],
                       capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)


def gpg(home, *args):
    return subprocess.run(["gpg", "--homedir", str(home), "--batch", *args],
                          capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def key():
    home = GnupgHome("Downloads signing test")
    yield home
    home.remove()


@pytest.fixture(scope="module")
def other_key():
    home = GnupgHome("Somebody else")
    yield home
    home.remove()


@pytest.fixture(scope="module")
def signing():
    return sitelib.signing


def make_site(site, fingerprint=None, page=PAGE):
    site.add_script()
    site.add_fleet(FLEET)
    site.write_config(signing_key=f'"{fingerprint}"' if fingerprint else None)
    site.page("index.md", page)
    return site


@pytest.fixture(scope="module")
def signed_site(tmp_path_factory, key):
    """A throwaway site signed with the test key, built once for the tests that read it."""
    site = make_site(Site(tmp_path_factory.mktemp("signed") / "project"), key.fingerprint)
    result = site.build({"DOWNLOADS_GNUPGHOME": str(key.path)})
    assert result.returncode == 0, result.stderr
    site.log = result.stderr
    return site


def gpgv_status(directory, work):
    """gpgv as the guides run it, with a keyring made from the published key."""
    keyring = Path(work) / "key.gpg"
    keyring.write_bytes(subprocess.run(
        ["gpg", "--homedir", str(work), "--batch", "--dearmor"], check=True, capture_output=True,
        input=(directory / "downloads-signing-key.asc").read_bytes()).stdout)
    return subprocess.run(["gpgv", "--homedir", str(work), "--status-fd", "1",
                           "--keyring", str(keyring), "SHA256SUMS.asc", "SHA256SUMS"],
                          cwd=directory, capture_output=True, text=True)


def validsig_primary(status):
    return [line.split()[-1] for line in status.splitlines()
            if line.startswith("[GNUPG:] VALIDSIG ")]


# -----------------------------------------------------------------------------
# Signed builds
# -----------------------------------------------------------------------------


def test_signed_build_publishes_a_signature_gpgv_accepts_from_the_pinned_key(
        signed_site, key, tmp_path):
    published = signed_site.output / "downloads"
    assert sorted(p.name for p in published.iterdir()) == SIGNED_FILES
    listed = [line.split()[1] for line in (published / "SHA256SUMS").read_text().splitlines()]
    assert listed == ["almalinux-fleet.tar.gz", "almalinux-migrate.sh",
                      "downloads-signing-key.asc"]
    result = gpgv_status(published, tmp_path)
    assert result.returncode == 0, result.stderr
    assert validsig_primary(result.stdout) == [key.fingerprint]
    assert f"Signing SHA256SUMS with {key.fingerprint}" in signed_site.log
    shown = gpg(tmp_path, "--with-colons", "--show-keys",
                str(published / "downloads-signing-key.asc")).stdout
    assert re.findall(r"^fpr:+([0-9A-F]{40}):", shown, re.M)[0] == key.fingerprint
    assert "PRIVATE KEY" not in (published / "downloads-signing-key.asc").read_text()


def test_fleet_bundle_carries_the_public_key_and_its_fingerprint(signed_site, key):
    published = signed_site.output / "downloads"
    with tarfile.open(fileobj=io.BytesIO((published / "almalinux-fleet.tar.gz").read_bytes())) as tar:
        names = tar.getnames()
        asc = tar.extractfile("almalinux-fleet/downloads-signing-key.asc").read()
        fpr = tar.extractfile("almalinux-fleet/downloads-signing-key.fpr").read()
    assert "almalinux-fleet/migrate.yml" in names
    assert asc == (published / "downloads-signing-key.asc").read_bytes()
    assert fpr == f"{key.fingerprint}\n".encode()


def test_a_second_signed_build_changes_only_the_signature(signed_site, key, tmp_path):
    """Signatures record their time; every other published byte stays the same."""
    again = tmp_path / "again"
    result = run_mkdocs_build(signed_site.config, again, {"DOWNLOADS_GNUPGHOME": str(key.path)})
    assert result.returncode == 0, result.stderr
    first, second = signed_site.output / "downloads", again / "downloads"
    for name in SIGNED_FILES:
        if name != "SHA256SUMS.asc":
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert gpgv_status(second, tmp_path).returncode == 0


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda text: text.replace(text[0], "0" if text[0] != "0" else "1", 1),
                 id="changed-digest"),
    pytest.param(lambda text: text + f"{'0' * 64}  evil.sh\n", id="added-line"),
])
def test_tampered_sha256sums_fails_gpgv(signed_site, tmp_path, tamper):
    # A copy: the signed build is shared by the tests of this module.
    published = shutil.copytree(signed_site.output / "downloads", tmp_path / "downloads")
    sums = published / "SHA256SUMS"
    sums.write_text(tamper(sums.read_text()))
    result = gpgv_status(published, tmp_path)
    assert result.returncode != 0
    assert validsig_primary(result.stdout) == []
    assert "BAD signature" in result.stderr


@pytest.mark.parametrize("case", ["signed-by-another-key", "another-key-next-to-the-pinned-one",
                                  "list-changed-after-signing"])
def test_signature_check_after_signing_refuses_what_the_pinned_key_did_not_sign(
        signing, key, other_key, case):
    """The build's own gpgv check, fed what an attacker or a broken signer would give."""
    sums = b"0" * 64 + b"  almalinux-migrate.sh\n"
    pinned = signing.export_public_key(key.path, key.fingerprint)
    other = signing.export_public_key(other_key.path, other_key.fingerprint)
    signer, keyring, data = {
        "signed-by-another-key": (other_key, pinned, sums),
        # gpgv accepts the signature, but its primary key is not the pinned one.
        "another-key-next-to-the-pinned-one": (other_key, pinned + other, sums),
        "list-changed-after-signing": (key, pinned, sums + b"1" * 64 + b"  evil.sh\n"),
    }[case]
    signature = subprocess.run(
        ["gpg", "--homedir", str(signer.path), "--batch", "--armor", "--detach-sign",
         "--local-user", signer.fingerprint, "--output", "-"],
        input=sums, capture_output=True, check=True).stdout
    signing.verify(sums, signature, pinned + other, signer.fingerprint)  # a real signature
    with pytest.raises(signing.SigningError, match="does not verify with gpgv against the "
                       f"pinned key {key.fingerprint}"):
        signing.verify(data, signature, keyring, key.fingerprint)


# -----------------------------------------------------------------------------
# Keys that do not fit
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["other-key-in-home", "no-home-variable", "home-missing",
                                      "malformed-fingerprint"])
def test_build_without_the_pinned_key_fails_with_the_reason(
        site, key, other_key, monkeypatch, scenario):
    """In process: the downloads hook's on_config, which stops the build."""
    pinned, home, message = {
        "other-key-in-home": (key.fingerprint, other_key.path,
                              f"holds no secret key with the fingerprint pinned in mkdocs.yml "
                              f"(extra.downloads.signing_key: {key.fingerprint}); it holds "
                              f"{other_key.fingerprint}"),
        "no-home-variable": (key.fingerprint, "",
                             "DOWNLOADS_GNUPGHOME is not set; set it to the GnuPG home"),
        "home-missing": (key.fingerprint, key.path / "nowhere", "nowhere is not a directory"),
        "malformed-fingerprint": (key.fingerprint[:16], key.path,
                                  "signing_key must be the signing key's full fingerprint"),
    }[scenario]
    make_site(site, pinned)
    monkeypatch.setenv("DOWNLOADS_GNUPGHOME", str(home))
    with pytest.raises(PluginError) as caught:
        site.configure()
    error = str(caught.value)
    assert "Cannot sign the downloads: " in error and message in error, error
    assert not (site.output / "downloads").exists()


def test_preview_without_a_key_at_hand_is_unsigned_but_a_build_is_refused(lib, key):
    downloads = lib.downloads
    assert downloads.signing_key(key.fingerprint, None, "serve") is None
    with pytest.raises(downloads.signing.SigningError, match="DOWNLOADS_GNUPGHOME is not set"):
        downloads.signing_key(key.fingerprint, None, "build")


def test_no_key_configured_builds_unsigned_and_the_page_says_so(site, key):
    make_site(site, None, UNSIGNED_PAGE)
    # A GnuPG home alone signs nothing: the fingerprint in mkdocs.yml decides.
    result = site.build({"DOWNLOADS_GNUPGHOME": str(key.path)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Downloads are unsigned") == 1, result.stderr
    published = sorted(p.name for p in (site.output / "downloads").iterdir())
    assert published == ["SHA256SUMS", "almalinux-fleet.tar.gz", "almalinux-migrate.sh"]
    page = site.html()
    assert 'data-almalinux="downloads-unsigned"' in page and "unsigned" in page
    assert "gpgv" not in page


def test_link_to_the_key_of_an_unsigned_site_fails_clearly(site):
    make_site(site, None)
    with pytest.raises(PluginError) as caught:
        site.render("index.md")
    assert ("docs/index.md:7: cannot publish downloads-signing-key.asc: the downloads are "
            "unsigned") in str(caught.value)


# -----------------------------------------------------------------------------
# The real guides, signed, their commands run as printed
# -----------------------------------------------------------------------------


GUIDES = ["migrate/one-host/index.html", "migrate/air-gapped/index.html"]


@pytest.fixture(scope="module")
def served_signed_site(key, tmp_path_factory):
    """The real site, signed with the throwaway key, served on 127.0.0.1
    at the address it was built for."""
    base = tmp_path_factory.mktemp("signed-real")
    config = copy_real_project(base / "project", f'    signing_key: "{key.fingerprint}"\n')
    output = base / "site"
    output.mkdir()
    handler = partial(QuietHandler, directory=str(output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    result = run_mkdocs_build(config, output, {"SITE_URL": url, "DOWNLOADS_GNUPGHOME": str(key.path)})
    assert result.returncode == 0, result.stderr
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield output, url
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


def download_commands(page_html):
    """The shell code blocks of a page that fetch from /downloads/, as text."""
    blocks = re.findall(r'<div class="[^"]*highlight"><pre>.*?</pre></div>', page_html, re.S)
    texts = [html.unescape(re.sub(r"<[^>]+>", "", block)).strip() for block in blocks]
    return [text for text in texts if "/downloads/" in text]


@pytest.mark.parametrize("guide", GUIDES)
@pytest.mark.parametrize("state", ["intact", "tampered"])
def test_guide_verification_commands_run_as_printed(served_signed_site, key, tmp_path,
                                                    guide, state):
    output, url = served_signed_site
    commands = download_commands((output / guide).read_text())
    assert len(commands) == 2, commands
    install, verify = commands
    assert install.startswith(f"curl -fLO {url}downloads/almalinux-migrate.sh")
    assert "gpgv " in verify and "sha256sum -c" in verify and key.fingerprint in verify
    sums = output / "downloads" / "SHA256SUMS"
    original = sums.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    try:
        if state == "tampered":
            sums.write_bytes(original + f"{'0' * 64}  other.sh\n".encode())
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", f"{install}\n{verify}\n"],
                                cwd=work, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "HOME": str(work)})
    finally:
        sums.write_bytes(original)
    if state == "intact":
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("almalinux-migrate.sh: OK") == 2, result.stdout
        assert validsig_primary(result.stdout) == [key.fingerprint]
    else:
        assert result.returncode != 0, result.stdout + result.stderr
        assert "BAD signature" in result.stderr
        assert validsig_primary(result.stdout) == []
