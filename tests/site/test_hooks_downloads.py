"""Downloads: the deterministic fleet bundle, SHA256SUMS, and download and
script markers rendered from the same bytes the site publishes."""

import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import tarfile

import pytest
from mkdocs.exceptions import PluginError

from site_helpers import Site

FLEET = {
    "site.yml": "- hosts: all\n  roles: [migrate]\n",
    "roles/migrate/tasks/main.yml": "---\n- name: run\n  ansible.builtin.command: true\n",
    "inventory/hosts.ini": "[el]\nhost1\n",
    "roles/migrate/library/helper.py": "print('x')\n",
    "roles/migrate/library/__pycache__/helper.cpython-311.pyc": "junk",
    "stray.pyc": "junk",
}


def make_tree(root, files, mtime):
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for path in [root, *root.rglob("*")]:
        os.utime(path, (mtime, mtime))
    return root


def test_fleet_tarball_is_byte_identical_for_the_same_sources(lib, tmp_path):
    downloads = lib.downloads
    first = make_tree(tmp_path / "a" / "fleet", FLEET, 1_600_000_000)
    # Same files created in another order, elsewhere, with other times.
    second = make_tree(tmp_path / "b" / "fleet", dict(reversed(FLEET.items())), 1_700_000_000)
    os.umask(0o022)
    assert downloads.fleet_tarball(first) == downloads.fleet_tarball(second)


def test_fleet_tarball_changes_when_a_file_changes(lib, tmp_path):
    downloads = lib.downloads
    tree = make_tree(tmp_path / "fleet", FLEET, 1_600_000_000)
    before = downloads.fleet_tarball(tree)
    (tree / "site.yml").write_text("- hosts: web\n")
    assert downloads.fleet_tarball(tree) != before


def test_fleet_tarball_layout_owner_times_and_exclusions(lib, tmp_path):
    tree = make_tree(tmp_path / "fleet", FLEET, 1_600_000_000)
    (tree / "site.yml").chmod(0o755)
    data = lib.downloads.fleet_tarball(tree)
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0", "gzip mtime must be 0"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names) and names[0] == "almalinux-fleet"
    assert all(n == "almalinux-fleet" or n.startswith("almalinux-fleet/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "almalinux-fleet/roles/migrate/library/helper.py" in names
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, 0)}
    modes = {m.name: m.mode for m in members}
    assert modes["almalinux-fleet/site.yml"] == 0o755
    assert modes["almalinux-fleet/inventory/hosts.ini"] == 0o644


def test_sha256sums_lists_each_file_in_sha256sum_format(lib, tmp_path):
    files = {"b.tar.gz": b"\x00\x01binary", "a.sh": b"#!/bin/sh\n"}
    sums = lib.downloads.sha256sums(files)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "SHA256SUMS").write_bytes(sums)
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert sums.decode().splitlines()[0].endswith("  a.sh")


@pytest.fixture(scope="module")
def download_site(tmp_path_factory):
    """A site with the script, the fleet and pages using every download and
    script marker, built once (strict) for the tests that only read it."""
    site = Site(tmp_path_factory.mktemp("downloads") / "project")
    site.add_script()
    site.add_fleet(FLEET)
    site.page("index.md", """\
        # Get it

        <!-- download:install almalinux-migrate.sh -->

        Checksum <!-- download:sha256 almalinux-migrate.sh -->, file
        <!-- download:link almalinux-migrate.sh -->.

        <!-- download:install almalinux-fleet.tar.gz -->

        Bundle <!-- download:sha256 almalinux-fleet.tar.gz -->.
        """)
    site.page("guide/deep/page.md", """\
        # Deep

        Get <!-- download:link almalinux-fleet.tar.gz --> or the
        <!-- download:link SHA256SUMS -->.

        <!-- script:usage -->

        <!-- script:exit-codes -->

        <!-- script:findings -->
        """)
    result = site.build()
    assert result.returncode == 0, result.stderr
    return site


def test_published_files_verify_with_sha256sum(download_site):
    published = download_site.output / "downloads"
    assert sorted(p.name for p in published.iterdir()) == \
        ["SHA256SUMS", "almalinux-fleet.tar.gz", "almalinux-migrate.sh"]
    assert (published / "almalinux-migrate.sh").read_bytes() == download_site.script.read_bytes()
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=published,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_markers_show_the_checksums_of_the_published_bytes(download_site):
    published = download_site.output / "downloads"
    page = download_site.html()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for name in ("almalinux-migrate.sh", "almalinux-fleet.tar.gz"):
        digest = hashlib.sha256((published / name).read_bytes()).hexdigest()
        assert f"<code>{digest}</code>" in page
        assert f"curl -fLO https://docs.example.org/downloads/{name}" in text
        assert f'echo "{digest}  {name}" \\\n    | sha256sum -c -' in text
    assert 'href="downloads/almalinux-migrate.sh" download' in page
    deep = download_site.html("guide/deep/page/index.html")
    assert 'href="../../../downloads/almalinux-fleet.tar.gz" download' in deep
    assert 'href="../../../downloads/SHA256SUMS" download' in deep


def test_install_marker_is_a_shell_code_block_with_two_commands(download_site, lib):
    page = download_site.html()
    blocks = re.findall(r'<div class="[^"]*highlight"><pre>.*?</pre></div>', page, re.S)
    assert len(blocks) == 2
    for block in blocks:
        lines = html.unescape(re.sub(r"<[^>]+>", "", block)).strip().splitlines()
        # The check is one command continued on a second line, so no line is
        # longer than a desktop's code column holds.
        assert len(lines) == 3 and lines[0].startswith("curl -fLO ")
        assert lines[1].startswith("echo ") and lines[1].endswith(" \\")
        assert lines[2] == "    | sha256sum -c -"
        assert max(len(line) for line in lines) <= 100, lines


def test_install_commands_really_verify_the_download(download_site, tmp_path):
    """Run the rendered commands against the built site (curl over file://)."""
    if shutil.which("curl") is None:
        pytest.fail("curl is needed for this test")
    page = download_site.html()
    blocks = [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in
              re.findall(r'<div class="[^"]*highlight"><pre>.*?</pre></div>', page, re.S)]
    base = f"file://{download_site.output}/"
    for name in ("almalinux-migrate.sh", "almalinux-fleet.tar.gz"):
        block = next(b for b in blocks if f"downloads/{name}" in b)
        work = tmp_path / name.replace(".", "-")
        work.mkdir()
        script = block.replace("https://docs.example.org/", base)
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{name}: OK" in result.stdout


def test_script_usage_and_exit_codes_come_from_the_script(download_site):
    deep = download_site.html("guide/deep/page/index.html")
    assert "Usage: almalinux-migrate.sh [--check] [--help]" in deep
    assert "only run the preflight checks" in deep
    table = deep.split('data-almalinux="exit-codes"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td><code>EXIT_(\w+)</code></td><td>(.*?)</td></tr>", table)
    assert rows == [("0", "OK", "Converted, reboot to finish"),
                    ("2", "USAGE", "Bad &lt;option&gt; &amp; friends"),
                    ("10", "PREFLIGHT", "A preflight check failed; nothing changed")]


def test_missing_sources_publish_nothing_and_plain_pages_still_build(site):
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert not (site.output / "downloads").exists()


def test_findings_table_comes_from_the_scripts_list(download_site):
    deep = download_site.html("guide/deep/page/index.html")
    table = deep.split('data-almalinux="findings"')[1].split("</table>")[0]
    rows = re.findall(r'<tr id="finding-([\w-]+)" data-level="(\w+)"><td><code>([\w-]+)</code>'
                      r"</td><td>(\w+)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    # The fake script's --list-findings (site_helpers.FAKE_SCRIPT), escaped, in its order.
    assert [row[1:] for row in rows] == [
        ("blocker", "low-space", "blocker", "Not enough &lt;free&gt; space", "Free some &amp; run again."),
        ("warning", "http-mirror", "warning", "The mirror is plain http", "Use https."),
        ("info", "no-bootloader", "info", "No bootloader found", "Nothing to do in a container."),
    ]
    assert [row[0] for row in rows] == [row[2] for row in rows]


SCRIPT_PRINTING = '#!/bin/bash\n[[ "$1" == "{option}" ]] && printf "{output}"\nexit 0\n'


@pytest.mark.parametrize("marker, option, output, message", [
    ("script:exit-codes", "--exit-codes", "0\\tOK\\n2\\tUSAGE\\n",
     "--exit-codes, line 1: expected 'CODE<TAB>NAME<TAB>MEANING', got '0\\tOK'"),
    ("script:exit-codes", "--exit-codes", "zero\\tOK\\tfine\\n",
     "--exit-codes, line 1: expected a number and a NAME, got 'zero' and 'OK'"),
    ("script:exit-codes", "--exit-codes", "0\\tOK\\tfine\\n0\\tALSO\\tagain\\n",
     "--exit-codes: exit code listed twice: 0"),
    ("script:stages", "--exit-codes", "0\\tOK\\tfine\\n",
     "the script declares no PRE_STEPS or POST_STEPS=(...) list"),
    ("script:findings", "--list-findings", "a-b\\tfatal\\tTitle\\tFix it.\\n",
     "--list-findings, line 1: level 'fatal' of a-b is not one of info, warning, blocker"),
    ("script:findings", "--list-findings", "a-b\\tinfo\\tTitle\\n",
     "--list-findings, line 1: expected 'ID<TAB>LEVEL<TAB>TITLE<TAB>REMEDIATION'"),
    ("script:findings", "--list-findings", "a-b\\tinfo\\tT\\tF\\na-b\\twarning\\tT\\tF\\n",
     "--list-findings: finding id listed twice: a-b"),
    ("script:findings", "--list-findings", "Not An Id\\tinfo\\tT\\tF\\n",
     "--list-findings, line 1: 'Not An Id' is not a finding id"),
])
def test_script_output_that_does_not_hold_stops_the_build(site, marker, option, output, message):
    site.add_script(SCRIPT_PRINTING.format(option=option, output=output))
    site.page("get.md", f"# Get\n\n<!-- {marker} -->\n")
    with pytest.raises(PluginError) as caught:
        site.render("get.md")
    assert "docs/get.md:3: scripts/almalinux-migrate.sh" in str(caught.value)
    assert message in str(caught.value), str(caught.value)


@pytest.mark.parametrize("marker, option", [("script:exit-codes", "--exit-codes"),
                                            ("script:stages", "--exit-codes"),
                                            ("script:findings", "--list-findings")])
def test_script_that_cannot_list_its_codes_or_findings_stops_the_build(site, marker, option):
    """A script without the option (an old one) fails the build naming the option."""
    site.add_script("#!/bin/bash\nreadonly PRE_STEPS=(a)\nreadonly POST_STEPS=(b)\n"
                    "echo \"unknown option: $1\" >&2\nexit 2\n")
    site.page("get.md", f"# Get\n\n<!-- {marker} -->\n")
    with pytest.raises(PluginError) as caught:
        site.render("get.md")
    assert f"docs/get.md:3: scripts/almalinux-migrate.sh {option} exited with 2: " \
        f"unknown option: {option}" in str(caught.value)


@pytest.mark.parametrize("marker, missing", [
    ("<!-- download:install almalinux-migrate.sh -->", "scripts/almalinux-migrate.sh does not exist"),
    ("<!-- download:sha256 almalinux-fleet.tar.gz -->", "scripts/fleet/ does not exist"),
    ("<!-- script:usage -->", "scripts/almalinux-migrate.sh does not exist"),
    ("<!-- script:exit-codes -->", "scripts/almalinux-migrate.sh does not exist"),
    ("<!-- script:findings -->", "scripts/almalinux-migrate.sh does not exist"),
])
def test_page_using_a_missing_download_fails_clearly(site, marker, missing):
    site.page("get.md", f"# Get\n\n{marker}\n")
    with pytest.raises(PluginError) as caught:
        site.render("get.md")
    message = str(caught.value)
    assert f"docs/get.md:3: cannot" in message and missing in message, message


def test_script_whose_help_fails_stops_the_build(site):
    site.add_script("#!/bin/bash\necho broken >&2\nexit 3\n")
    site.page("get.md", "# Get\n\n<!-- script:usage -->\n")
    with pytest.raises(PluginError) as caught:
        site.render("get.md")
    assert "docs/get.md:3: scripts/almalinux-migrate.sh --help exited with 3: broken" \
        in str(caught.value)


def test_script_help_runs_once_per_build(site, tmp_path):
    counter = tmp_path / "runs"
    site.add_script(f'#!/bin/bash\necho run >> "{counter}"\necho "Usage: x"\n')
    for name in ("a.md", "b.md", "c.md"):
        site.page(name, "# Page\n\n<!-- script:usage -->\n")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert counter.read_text() == "run\n"
