"""Release data for tools: endoflife.json, the Atom feed and the iCalendar file.

Parsed with real libraries (feedparser, icalendar), from the project's real data.
"""

import datetime as dt
import json
from pathlib import Path

import pytest

from project import ROOT
from site_helpers import mark_upcoming_after
from sitelib import release_data
from sitelib import release_feeds as feeds

try:
    import feedparser
    import icalendar
except ImportError as error:  # a missing parser is a broken set-up, never a skip
    raise RuntimeError(f"{error.name} is not installed; run: make test (installs the test requirements)")

SITE = feeds.Site(url="https://docs.example.org/",
                  notes_url="https://wiki.almalinux.org/release-notes/{version}.html")


def public_for(day, edit=None):
    """The data as published on `day`. Releases after `day` are marked
    upcoming first, as the data would have had them then, so a past day
    passes the check that nothing out is dated after the build."""
    path = ROOT / "data" / "releases.yml"
    _, data = release_data.parse_yaml(mark_upcoming_after(path.read_text(), day.isoformat()),
                                      "data/releases.yml")
    problems = release_data.schema_problems(data, path.parent / release_data.SCHEMA_NAME) \
        or release_data.rule_problems(data, day)
    assert not problems, problems
    if edit:
        edit(data)
    return release_data.public_data(data, day)


@pytest.fixture(scope="module")
def public():
    return public_for(dt.date(2026, 12, 2))


def test_endoflife_document_has_one_cycle_per_major_newest_first(public):
    doc = feeds.endoflife_document(public, SITE)
    names = [r["name"] for r in doc["result"]["releases"]]
    assert names == sorted(names, key=int, reverse=True)
    assert set(names) == {str(m["major"]) for m in public["majors"]}


@pytest.mark.parametrize("day, major, eoas, eol, maintained", [
    (dt.date(2024, 5, 31), 8, False, False, True),     # last day of active support
    (dt.date(2024, 6, 1), 8, True, False, True),
    (dt.date(2029, 5, 31), 8, True, False, True),      # last day of security support
    (dt.date(2029, 6, 1), 8, True, True, False),
])
def test_endoflife_flags_follow_the_build_date(day, major, eoas, eol, maintained):
    doc = feeds.endoflife_document(public_for(day), SITE)
    cycle = next(r for r in doc["result"]["releases"] if r["name"] == str(major))
    assert (cycle["isEoas"], cycle["isEol"], cycle["isMaintained"]) == (eoas, eol, maintained)


def test_endoflife_latest_is_the_newest_minor_with_its_release_notes(public):
    doc = feeds.endoflife_document(public, SITE)
    for cycle in doc["result"]["releases"]:
        major = next(m for m in public["majors"] if str(m["major"]) == cycle["name"])
        assert cycle["latest"]["name"] == major["latest"]
        assert cycle["latest"]["link"] == f"https://wiki.almalinux.org/release-notes/{major['latest']}.html"
        assert {"name", "codename", "label", "releaseDate", "isEoas", "eoasFrom", "isEol",
                "eolFrom", "isMaintained", "latest"} <= set(cycle)


def test_an_upcoming_release_is_in_no_feed_and_never_latest(public):
    def announce(data):
        data["releases"].append({"version": "10.99", "codename": "Not Yet", "date": "2027-05-01",
                                 "architectures": ["x86_64"], "status": "upcoming"})
    shown = public_for(dt.date(2026, 12, 2), announce)
    doc = feeds.endoflife_document(shown, SITE)
    assert all(c["latest"]["name"] != "10.99" for c in doc["result"]["releases"])
    parsed = feedparser.parse(feeds.atom_feed(shown, SITE))
    assert all("10.99" not in e.title for e in parsed.entries)


def test_atom_feed_parses_with_one_entry_per_release(public):
    parsed = feedparser.parse(feeds.atom_feed(public, SITE))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    versions = {r["version"] for r in public["releases"]}
    assert len(parsed.entries) == len(versions)
    for entry in parsed.entries:
        version = entry.id.rsplit("/", 1)[1]
        release = next(r for r in public["releases"] if r["version"] == version)
        assert release["codename"] in entry.title
        assert entry.published.startswith(release["date"])
        assert entry.link == f"https://wiki.almalinux.org/release-notes/{version}.html"


def test_feed_and_calendar_ids_do_not_depend_on_the_deployment_or_the_day(public):
    elsewhere = feeds.Site(url="https://mirror.example.net/docs/", notes_url=SITE.notes_url)
    later = public_for(dt.date(2027, 1, 15))
    ids = lambda feed: [e.id for e in feedparser.parse(feed).entries]
    assert ids(feeds.atom_feed(public, SITE)) == ids(feeds.atom_feed(later, elsewhere))
    uids = lambda cal: [str(e["UID"]) for e in icalendar.Calendar.from_ical(cal).walk("VEVENT")]
    first = uids(feeds.support_calendar(public, SITE))
    assert first == uids(feeds.support_calendar(later, elsewhere))
    assert len(first) == len(set(first))


def test_calendar_has_both_support_ends_of_every_major(public):
    calendar = icalendar.Calendar.from_ical(feeds.support_calendar(public, SITE))
    events = {(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in calendar.walk("VEVENT")}
    for major in public["majors"]:
        n = major["major"]
        assert (f"AlmaLinux {n}: active support ends",
                dt.date.fromisoformat(major["active_support_end"])) in events
        assert (f"AlmaLinux {n}: end of life",
                dt.date.fromisoformat(major["security_support_end"])) in events


def test_calendar_lines_are_crlf_and_at_most_75_octets(public):
    raw = feeds.support_calendar(public, SITE)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75


@pytest.mark.parametrize("text", ["a" * 200, "é" * 100, "x;y,z\\n" * 20])
def test_folding_keeps_the_text_and_the_octet_limit(text):
    folded = feeds.ical_fold("DESCRIPTION:" + text).encode()
    assert all(len(line) <= 75 for line in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n ", b"").decode() == "DESCRIPTION:" + text
