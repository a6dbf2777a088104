"""Host configuration the migration must honour: excludes, version locks,
EL8 module streams (from the mirror's modules.yaml), EPEL Next. The parsing
functions of the script, loaded with `source` (no root, milliseconds)."""

import pytest

from test_migrate_functions import in_script

# Shaped like AlmaLinux 8's AppStream modules.yaml: several documents per
# stream (contexts), nested names (components, dependencies), a defaults
# document, quoted and unquoted streams.
MODULES_YAML = """\
---
document: modulemd
version: 2
data:
  name: virt
  stream: "rhel"
  version: 8100020240501000000
  context: "229f0a1c"
  arch: x86_64
  dependencies:
  - buildrequires:
      platform: [el8.10.0]
  components:
    rpms:
      libvirt:
        name: libvirt-src
        rationale: Primary component.
  artifacts:
    rpms:
    - libvirt-0:8.0.0-23.module_el8.10.0+3945.x86_64
...
---
document: modulemd
version: 2
data:
  name: container-tools
  stream: rhel8
  version: 8100020240501000001
  context: "20125149"
  arch: x86_64
...
---
document: modulemd
version: 2
data:
  name: container-tools
  stream: rhel8
  version: 8100020240501000001
  context: "d7b6f4b7"
  arch: x86_64
...
---
document: modulemd
version: 2
data:
  name: container-tools
  stream: "4.0"
  version: 8100020240501000002
  context: "20125149"
  arch: x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: container-tools
  stream: rhel8
  profiles:
    rhel8: [common]
...
---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "20"
  arch: x86_64
...
---
document: modulemd
version: 2
data:
  name: nodejs
  stream: "18"
  arch: x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: "20"
...
---
document: modulemd
version: 2
data:
  name: perl
  stream: "5.32"
  arch: x86_64
...
---
document: modulemd
version: 2
data:
  name: perl
  stream: "5.26"
  arch: x86_64
...
"""


def streams():
    result = in_script('modules_yaml_streams <<<"$Y"', Y=MODULES_YAML)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_modules_yaml_parsing_reads_top_level_names_streams_and_defaults_only():
    assert sorted(set(streams())) == sorted([
        "stream virt rhel", "stream container-tools rhel8", "stream container-tools 4.0",
        "default container-tools rhel8", "stream nodejs 20", "stream nodejs 18",
        "default nodejs 20", "stream perl 5.32", "stream perl 5.26"])


@pytest.mark.parametrize("module, stream, target", [
    ("virt", "ol", "rhel"),                       # Oracle's name, RHEL's spelling
    ("virt", "kvm_utils3", "rhel"),               # Oracle-only stream: the only stream
    ("container-tools", "ol8", "rhel8"),
    ("container-tools", "4.0", "4.0"),            # AlmaLinux has it: kept
    ("nodejs", "ol-special", "20"),               # the default stream
    ("perl", "ol-perl", None),                    # several streams, no default
    ("oracle-only", "ol8", None),                 # the mirror has no such module
])
def test_module_stream_target_comes_from_the_mirror_metadata(module, stream, target):
    lines = "\n".join(streams())
    result = in_script('module_stream_target "$M" "$S" <<<"$L"', M=module, S=stream, L=lines)
    if target is None:
        assert result.returncode != 0 and result.stdout == "", result
    else:
        assert (result.returncode, result.stdout) == (0, f"{target}\n"), result


def test_exclude_patterns_of_dnf_conf_main_and_of_enabled_repo_sections(tmp_path):
    conf = tmp_path / "dnf.conf"
    conf.write_text("[main]\ngpgcheck=1\nexclude=kernel* simel-newer,foo.x86_64\n"
                    "excludepkgs = bar\n[extra]\nexclude=notmain\n")
    repo = tmp_path / "c.repo"
    repo.write_text("[baseos]\nexclude=httpd*\n[off]\nenabled=0\nexclude=skipped\n"
                    "[appstream]\nenabled=1\nexcludepkgs=nginx\n")
    main = in_script('exclude_patterns main "$F"', F=str(conf))
    assert main.stdout.splitlines() == [f"{conf}\t{p}" for p in
                                        ("kernel*", "simel-newer", "foo.x86_64", "bar")]
    enabled = in_script('exclude_patterns enabled "$F"', F=str(repo))
    assert enabled.stdout.splitlines() == [f"{repo}\thttpd*", f"{repo}\tnginx"]


@pytest.mark.parametrize("patterns, matched", [
    (["simel-*"], ["simel-newer", "simel-older"]),
    (["kernel*"], ["kernel-core"]),
    (["simel-older.x86_64"], ["simel-older"]),
    (["simel-older.noarch"], []),
    (["nothing"], []),
])
def test_excluded_names_match_like_dnf_globs(patterns, matched):
    names = "simel-newer noarch\nsimel-older x86_64\nkernel-core x86_64\nbash x86_64\n"
    result = in_script('excluded_names "${P[@]}" <<<"$N"'.replace(
        '"${P[@]}"', " ".join(f"'{p}'" for p in patterns)), N=names)
    assert result.stdout.splitlines() == matched, result


def test_lock_entries_skip_comments_and_exclusions():
    text = ("# Added by versionlock\nsimel-newer-0:1.0-1.el9.*\n\n!simel-older-0:2.0-1.el9.*\n"
            "kernel-core-0:5.14.0-1.el9.x86_64\n")
    result = in_script('lock_entries <<<"$T"', T=text)
    assert result.stdout.splitlines() == ["simel-newer simel-newer-0:1.0-1.el9.*",
                                          "kernel-core kernel-core-0:5.14.0-1.el9.x86_64"]


def test_lock_list_is_rewritten_to_installed_builds_or_drops_removed_packages(tmp_path):
    lock = tmp_path / "versionlock.list"
    lock.write_text("# comment\nsimel-newer-0:1.0-1.el9.*\nsimel-common-0001-0:1.0-1.el9.*\n"
                    "gone-pkg-0:3-1.el9.*\n!excluded-0:1-1.*\nsimel-older-2.0-1.el9.noarch\n")
    installed = tmp_path / "installed"
    installed.write_text("simel-newer simel-newer-0:1.1-1.el9.alma.noarch\n"
                         "simel-common-0001 simel-common-0001-0:1.0-1.el9.noarch\n"
                         "simel-older simel-older-0:2.0-1.el9.noarch\n")
    out = tmp_path / "new"
    result = in_script('rewrite_lock_list "$L" "$O" "$I"', L=str(lock), O=str(out), I=str(installed))
    assert result.returncode == 0, result.stderr
    assert out.read_text() == ("# comment\nsimel-newer-0:1.1-1.el9.alma.*\n"
                               "simel-common-0001-0:1.0-1.el9.*\n!excluded-0:1-1.*\n"
                               "simel-older-2.0-1.el9.noarch\n")
    notes = result.stdout
    assert "version lock simel-newer: simel-newer-0:1.0-1.el9.* pinned a build" in notes
    assert "now pins simel-newer-0:1.1-1.el9.alma.*" in notes
    assert "version lock gone-pkg: gone-pkg-0:3-1.el9.* removed" in notes
    assert len(notes.splitlines()) == 2


def test_epel_next_sections_are_disabled_and_others_left_alone():
    text = ("[epel-next]\nname=EPEL Next\nenabled=1\ngpgcheck=1\n"
            "[epel-next-debuginfo]\nname=dbg\n[epel]\nenabled=1\n")
    result = in_script('printf %s "$T" | epel_next_disabled', T=text)
    assert result.stdout == ("[epel-next]\nenabled=0\nname=EPEL Next\ngpgcheck=1\n"
                             "[epel-next-debuginfo]\nenabled=0\nname=dbg\n[epel]\nenabled=1\n")
