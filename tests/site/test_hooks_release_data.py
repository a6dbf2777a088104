"""Release data hook: the real data is valid, staleness warns without failing
a strict build, and /releases.json carries the data."""

import datetime as dt
import json

import pytest
import yaml
from mkdocs.exceptions import PluginError

from project import ROOT
from test_release_data_errors import CASES, REAL_DATA


def epoch(day):
    return str(int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()))


def test_project_release_data_is_valid(lib):
    release_data = lib.release_data
    data = release_data.load_release_data(ROOT / "data" / "releases.yml", "data/releases.yml")
    versions = [r["version"] for r in data["releases"]]
    assert "8.3" in versions and "8.10" in versions and "10.2" in versions
    assert len(versions) == len(set(versions))


def test_data_file_points_editors_at_its_schema():
    first = (ROOT / "data" / "releases.yml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=releases.schema.json"
    schema = json.loads((ROOT / "data" / "releases.schema.json").read_text())
    assert schema["$schema"].endswith("2020-12/schema")


def test_major_8_lists_a_current_and_a_previous_key(lib):
    data = yaml.safe_load((ROOT / "data" / "releases.yml").read_text())
    eight = next(m for m in data["majors"] if m["major"] == 8)
    assert sorted(k["status"] for k in eight["gpg_keys"]) == ["current", "previous"]


def test_major_8_key_switch_is_dated_as_announced():
    """The AlmaLinux blog of 2023-12-20: packages and repodata signed with
    the new 8.x key from 2024-01-12; the old key served until then."""
    data = yaml.load((ROOT / "data" / "releases.yml").read_text(), Loader=yaml.BaseLoader)
    keys = {k["status"]: k for k in next(m for m in data["majors"] if m["major"] == "8")["gpg_keys"]}
    assert keys["current"]["since"] == "2024-01-12"
    assert keys["previous"]["retired"] == "2024-01-12"
    assert "url" not in keys["previous"], "no address serves the retired 8.x key any more"


@pytest.mark.parametrize("day, months, expected", [
    ("2026-05-26", 7, "2026-12-26"),
    ("2025-07-31", 7, "2026-02-28"),
    ("2023-07-31", 7, "2024-02-29"),
])
def test_add_months_clamps_to_month_end(lib, day, months, expected):
    result = lib.release_data.add_months(dt.date.fromisoformat(day), months)
    assert result.isoformat() == expected


STALE_WARNING = "newest release 10.2 is from 2026-05-26, more than 7 months before"


@pytest.mark.parametrize("day, stale", [
    ("2026-11-26", False),
    ("2026-12-26", False),
    ("2026-12-27", True),
    ("2027-06-01", True),
])
def test_stale_data_warns(lib, stale_warnings, day, stale):
    release_data = lib.release_data
    today = dt.date.fromisoformat(day)
    data = release_data.load_release_data(ROOT / "data" / "releases.yml", "data/releases.yml",
                                          today)
    release_data.warn_if_stale(release_data.public_data(data, today), today,
                               "data/releases.yml")
    warned = any(STALE_WARNING in message for message in stale_warnings)
    assert warned == stale, stale_warnings


def test_stale_data_warning_does_not_fail_a_strict_build(site):
    result = site.build(env={"SOURCE_DATE_EPOCH": epoch("2027-06-01")})
    assert result.returncode == 0, result.stderr
    assert STALE_WARNING in result.stderr, result.stderr


def test_bad_source_date_epoch_is_reported(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PluginError) as caught:
        site.configure()
    assert "SOURCE_DATE_EPOCH='yesterday'" in str(caught.value)


def test_releases_json_carries_the_yaml_data(site):
    result = site.build(env={"SOURCE_DATE_EPOCH": epoch("2026-11-26")})
    assert result.returncode == 0, result.stderr
    published = json.loads((site.output / "releases.json").read_text())
    source = yaml.load(site.data.read_text(), Loader=yaml.BaseLoader)
    assert published["status_date"] == "2026-11-26"
    notes = source["release_notes_url"]
    assert {r["version"]: r for r in published["releases"]} == \
        {r["version"]: {**r, "release_notes": notes.format(version=r["version"])}
         for r in source["releases"]}
    by_major = {m["major"]: m for m in published["majors"]}
    assert {m: by_major[m]["status"] for m in by_major} == \
        {8: "security", 9: "supported", 10: "supported"}
    assert by_major[8]["latest"] == "8.10" and by_major[10]["latest"] == "10.2"
    for major in source["majors"]:
        assert [k["fingerprint"] for k in by_major[int(major["major"])]["gpg_keys"]] == \
            [k["fingerprint"] for k in major["gpg_keys"]]


@pytest.mark.parametrize("case", [None] + [c[0] for c in CASES if c[0] != "invalid-yaml"])
def test_quick_shape_check_agrees_with_jsonschema(lib, case):
    """The quick check decides alone only when data conforms, so it must never
    accept what jsonschema rejects."""
    import jsonschema

    release_data = lib.release_data
    text = REAL_DATA
    if case:
        old, new = next(c[1:3] for c in CASES if c[0] == case)
        text = REAL_DATA.replace(old, new, 1)
    _, data = release_data.parse_yaml(text, "data/releases.yml")
    schema = json.loads((ROOT / "data" / "releases.schema.json").read_text())
    valid = jsonschema.Draft202012Validator(schema).is_valid(data)
    assert release_data.conforms(data, schema, schema) == valid
    if case is None:
        assert valid


def test_quick_shape_check_leaves_unknown_keywords_to_jsonschema(lib):
    schema = {"type": "object", "properties": {"a": {"type": "string", "format": "date"}}}
    assert lib.release_data.conforms({"a": "2026-01-01"}, schema, schema) is False
