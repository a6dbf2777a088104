"""Release dates against the build date, in process: a release dated after
the build fails unless it is marked `status: upcoming`; an upcoming release
is published and shown as announced, never as a major's latest; a malformed
date says which form is expected."""

import datetime as dt
import json
import re

import pytest

from project import ROOT

REAL_DATA = (ROOT / "data" / "releases.yml").read_text()
BUILD_DAY = dt.date(2026, 11, 26)
# An announced 10.3, in the place a new minor would be added.
ANNOUNCED = '''  - version: "10.3"
    codename: Announced Lion
    date: 2026-12-15
    kernel: 6.12.0-300.1.1
    architectures: [x86_64, aarch64]
'''


@pytest.fixture
def data_file(tmp_path):
    """Write release data (the real file plus `extra`) next to the real schema."""
    def write(extra="", text=REAL_DATA):
        path = tmp_path / "releases.yml"
        path.write_text(text + extra)
        (tmp_path / "releases.schema.json").write_text(
            (ROOT / "data" / "releases.schema.json").read_text())
        return path
    return write


def load(lib, path, today=BUILD_DAY):
    return lib.release_data.load_release_data(path, "data/releases.yml", today)


def test_release_dated_after_the_build_fails_naming_line_and_way_out(lib, data_file):
    path = data_file(ANNOUNCED)
    with pytest.raises(lib.release_data.DataError) as caught:
        load(lib, path)
    line = path.read_text().splitlines().index("    date: 2026-12-15") + 1
    message = str(caught.value)
    assert f"data/releases.yml:{line}: release 10.3, field 'date': 2026-12-15 is after the " \
        "build date (2026-11-26)" in message
    assert "'status: upcoming'" in message


def test_release_dated_on_the_build_day_is_out(lib, data_file):
    data = load(lib, data_file(ANNOUNCED), today=dt.date(2026, 12, 15))
    public = lib.release_data.public_data(data, dt.date(2026, 12, 15))
    assert next(m for m in public["majors"] if m["major"] == 10)["latest"] == "10.3"


def test_upcoming_release_loads_but_is_never_the_latest(lib, data_file):
    path = data_file(ANNOUNCED.replace("    kernel:", "    status: upcoming\n    kernel:"))
    release_data = lib.release_data
    public = release_data.public_data(load(lib, path), BUILD_DAY)
    ten = next(m for m in public["majors"] if m["major"] == 10)
    assert ten["latest"] == "10.2"
    published = {r["version"]: r for r in public["releases"]}
    assert published["10.3"]["status"] == "upcoming"
    assert "status" not in published["10.2"]
    json.dumps(public)  # what /releases.json is written from


def markers_context(lib, public):
    releases = lib.facts.Releases(public=public, today=BUILD_DAY, source="data/releases.yml")
    return lib.markers.Context(facts=lib.facts.BuildFacts(releases=releases),
                               page=lib.markers.PageRef(path="docs/index.md"))


def test_pages_show_an_upcoming_release_as_announced(lib, data_file):
    path = data_file(ANNOUNCED.replace("    kernel:", "    status: upcoming\n    kernel:"))
    public = lib.release_data.public_data(load(lib, path), BUILD_DAY)
    markers = lib.markers
    context = markers_context(lib, public)
    assert markers.render_latest(context, "10") == "10.2"
    assert markers.render_date(context, "10") == "2026-05-26"
    table = markers.render_table(context)
    row = re.search(r"<tr[^>]*><td>10\.3</td>.*?</tr>", table).group(0)
    assert 'data-status="upcoming"' in row and "announced for 2026-12-15" in row
    lifecycle = markers.render_lifecycle(context)
    assert "10.3" not in lifecycle


def test_upcoming_release_whose_day_has_come_warns(lib, data_file, stale_warnings):
    path = data_file(ANNOUNCED.replace("    kernel:", "    status: upcoming\n    kernel:"))
    release_data = lib.release_data
    day = dt.date(2026, 12, 16)
    release_data.warn_if_overdue(load(lib, path, today=day), day, "data/releases.yml")
    release_data.warn_if_overdue(load(lib, path), BUILD_DAY, "data/releases.yml")
    assert len(stale_warnings) == 1
    assert "release 10.3 is marked upcoming but its date 2026-12-15 is not after 2026-12-16" \
        in stale_warnings[0]


@pytest.mark.parametrize("typed", ["10 May 2023", "2023-5-10", "2023/05/10", "20230510"])
def test_malformed_date_says_which_form_is_expected(lib, data_file, typed):
    path = data_file(text=REAL_DATA.replace("date: 2023-05-10", f"date: {typed}", 1))
    with pytest.raises(lib.release_data.DataError) as caught:
        load(lib, path)
    message = str(caught.value)
    assert "release 9.2, field 'date': " in message and typed in message
    assert "is not a date: expected YYYY-MM-DD" in message
    assert "[0-9]" not in message


def test_other_malformed_values_say_the_expected_form_not_a_regex(lib, data_file):
    path = data_file(text=REAL_DATA.replace('version: "9.2"', 'version: "9.x"', 1))
    with pytest.raises(lib.release_data.DataError) as caught:
        load(lib, path)
    assert "'9.x' does not have the expected form: MAJOR.MINOR, quoted in YAML." \
        in str(caught.value)


def test_status_accepts_only_upcoming(lib, data_file):
    path = data_file(ANNOUNCED.replace("    kernel:", "    status: released\n    kernel:"))
    with pytest.raises(lib.release_data.DataError) as caught:
        load(lib, path)
    assert "release 10.3, field 'status'" in str(caught.value)
