"""Bad release data fails the build with file, line, entry and field, and
leaves an existing output directory exactly as it was.

Each kind of bad data runs in process against the loader; one real build
proves the end-to-end path (the build stops, the output is untouched)."""

import pytest

from project import ROOT

REAL_DATA = (ROOT / "data" / "releases.yml").read_text()

# (id, text to replace, replacement, text on the line the error must name,
#  field the message must name, entry the message must name)
CASES = [
    ("invalid-yaml", "    codename: Sky Tiger\n", "    codename: [Sky Tiger\n",
     "    date: 2022-05-12", "invalid YAML", None),
    ("missing-codename", "    codename: Sky Tiger\n", "",
     'version: "8.6"', "codename", "release 8.6"),
    ("empty-codename", "codename: Teal Serval", 'codename: ""',
     'codename: ""', "codename", "release 9.5"),
    ("unknown-architecture", "kernel: 4.18.0-425.3.1\n    architectures: [x86_64,",
     "kernel: 4.18.0-425.3.1\n    architectures: [sparc64,",
     "[sparc64,", "architectures", "release 8.7"),
    ("architecture-not-in-major", "kernel: 5.14.0-162.6.1\n    architectures: [x86_64,",
     "kernel: 5.14.0-162.6.1\n    architectures: [x86_64, x86_64_v2,",
     "x86_64_v2, aarch64, ppc64le, s390x, i686]\n  - version: \"9.2\"",
     "architectures", "release 9.1"),
    ("malformed-version", 'version: "9.2"', 'version: "9.x"',
     'version: "9.x"', "version", "release 9.x"),
    ("unquoted-version", 'version: "8.10"', "version: 8.10",
     "version: 8.10", "version", "releases[7]"),
    ("malformed-date", "date: 2023-05-10", "date: 10 May 2023",
     "date: 10 May 2023", "date", "release 9.2"),
    ("impossible-date", "date: 2023-11-13", "date: 2023-02-30",
     "date: 2023-02-30", "date", "release 9.3"),
    ("duplicate-version", 'version: "9.3"', 'version: "9.2"',
     'version: "9.2"\n    codename: Shamrock', "version", "release 9.2"),
    ("duplicate-key", "    date: 2024-11-18\n", "    date: 2024-11-18\n    date: 2024-11-19\n",
     "date: 2024-11-19", "date", "release 9.5"),
    ("unknown-field", "kernel: 5.14.0-503.11.1", "kernal: 5.14.0-503.11.1",
     "kernal:", "kernal", "release 9.5"),
    ("release-after-end-of-life", "date: 2024-05-28", "date: 2030-01-15",
     "date: 2030-01-15", "date", "release 8.10"),
    ("release-after-the-build-date", "date: 2026-05-26\n    kernel: 6.12.0-211.7.3",
     "date: 2034-05-26\n    kernel: 6.12.0-211.7.3", "date: 2034-05-26", "date", "release 10.2"),
    ("release-before-previous-minor", "date: 2024-11-18", "date: 2024-01-18",
     "date: 2024-01-18", "date", "release 9.5"),
    ("major-not-listed", 'version: "10.2"', 'version: "11.2"',
     'version: "11.2"', "version", "release 11.2"),
    ("security-end-before-active-end", "security_support_end: 2032-05-31",
     "security_support_end: 2027-01-31", "security_support_end: 2027-01-31",
     "security_support_end", "major 9"),
    ("missing-active-end", "    active_support_end: 2030-05-31     # [eol]\n", "",
     "  - major: 10", "active_support_end", "major 10"),
    ("short-fingerprint", "BF18AC2876178908D6E71267D36CB86CB86B3716",
     "BF18AC2876178908D6E71267D36CB86CB86B371", "BF18AC2876178908D6E71267D36CB86CB86B371",
     "fingerprint", "major 9 key 1"),
    ("non-hex-fingerprint", "EE6DB7B98F5BF5EDD9DA0DE5DEE5C11CC2A1E572",
     "EE6DB7B98F5BF5EDD9DA0DE5DEE5C11CC2A1E57G", "EE6DB7B98F5BF5EDD9DA0DE5DEE5C11CC2A1E57G",
     "fingerprint", "major 10 key 1"),
    ("two-current-keys", "      - status: previous", "      - status: current",
     "    gpg_keys:", "gpg_keys", "major 8"),
    ("key-url-not-https", "url: https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9",
     "url: http://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9",
     "url: http://", "url", "major 9 key 1"),
    ("current-key-without-url",
     "        url: https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9\n", "",
     "      - status: current\n        fingerprint: BF18", "url", "major 9 key 1"),
    ("top-level-typo", "\nreleases:\n", "\nrelease:\n", "\nrelease:\n", "release", "top level"),
]


def line_number(text, needle):
    index = text.index(needle)
    # A needle that starts with a newline names the line after it.
    index += len(needle) - len(needle.lstrip("\n"))
    return text.count("\n", 0, index) + 1


def broken_data(old, new):
    assert REAL_DATA.count(old) >= 1, f"test case no longer matches the data: {old!r}"
    return REAL_DATA.replace(old, new, 1)


def assert_names_line_field_and_entry(message, broken, where, field, entry):
    expected = f"data/releases.yml:{line_number(broken, where)}:"
    assert expected in message, f"wanted {expected!r} in:\n{message}"
    assert field in message, message
    if entry:
        assert entry in message, message


@pytest.mark.parametrize("old, new, where, field, entry",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_release_data_is_rejected_naming_line_field_and_entry(
        lib, site, old, new, where, field, entry):
    """In process, through the loader the release_data hook runs on every build."""
    broken = broken_data(old, new)
    site.data.write_text(broken)
    with pytest.raises(lib.release_data.DataError) as caught:
        lib.release_data.load_release_data(site.data, "data/releases.yml")
    assert_names_line_field_and_entry(str(caught.value), broken, where, field, entry)


def test_bad_release_data_fails_the_build_before_touching_output(site):
    """End to end, one case: a real strict build stops with the loader's message
    and leaves an existing output directory exactly as it was."""
    old, new, where, field, entry = next(c[1:] for c in CASES if c[0] == "missing-codename")
    broken = broken_data(old, new)
    site.data.write_text(broken)
    site.output.mkdir()
    sentinel = site.output / "sentinel.txt"
    sentinel.write_text("previous build\n")

    result = site.build()

    assert result.returncode != 0, result.stderr
    assert_names_line_field_and_entry(result.stderr, broken, where, field, entry)
    assert sorted(p.name for p in site.output.iterdir()) == ["sentinel.txt"]
    assert sentinel.read_text() == "previous build\n"


def test_case_list_covers_at_least_fifteen_kinds_of_bad_data():
    assert len({case[0] for case in CASES}) >= 15


def test_unreadable_data_file_is_named(lib, site):
    site.data.unlink()
    with pytest.raises(lib.release_data.DataError) as caught:
        lib.release_data.load_release_data(site.data, "data/releases.yml")
    assert "data/releases.yml: cannot read" in str(caught.value)
