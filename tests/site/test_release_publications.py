"""What the real build publishes from the release data, and the pictures on the pages."""

import json
import re

import feedparser
import icalendar
import jsonschema

from project import ROOT


def test_releases_json_follows_its_published_schema(built_site):
    schema = json.loads((built_site / "releases.schema.json").read_text())
    assert schema == json.loads((ROOT / "data" / "releases.published.schema.json").read_text())
    document = json.loads((built_site / "releases.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["format_version"] == schema["properties"]["format_version"]["const"]


def test_the_published_schema_refuses_a_changed_shape(built_site):
    schema = json.loads((built_site / "releases.schema.json").read_text())
    document = json.loads((built_site / "releases.json").read_text())
    del document["releases"][0]["date"]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))


def test_every_release_row_links_to_its_release_notes(built_site):
    document = json.loads((built_site / "releases.json").read_text())
    page = (built_site / "releases" / "index.html").read_text()
    for release in document["releases"]:
        if release.get("status") == "upcoming":
            continue
        url = document["release_notes_url"].format(version=release["version"])
        assert release["release_notes"] == url
        assert f'<a href="{url}"' in page, release["version"]


def test_feed_calendar_and_endoflife_document_are_published_and_parse(built_site):
    feed = feedparser.parse((built_site / "releases" / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries
    calendar = icalendar.Calendar.from_ical((built_site / "releases" / "support-dates.ics").read_bytes())
    assert calendar.walk("VEVENT")
    eol = json.loads((built_site / "endoflife.json").read_text())
    assert eol["result"]["releases"]


def test_the_releases_pages_link_the_feed_and_the_calendar(built_site):
    index = (built_site / "releases" / "index.html").read_text()
    lifecycle = (built_site / "releases" / "lifecycle" / "index.html").read_text()
    assert 'href="feed.xml"' in index and 'href="support-dates.ics"' in index
    assert 'href="../support-dates.ics"' in lifecycle


def test_the_pictures_are_on_their_pages(built_site):
    for page, kind in (("releases/lifecycle", "timeline"), ("faq", "timeline"),
                       ("migrate/one-host", "stages")):
        text = (built_site / page / "index.html").read_text()
        assert re.search(rf'<figure class="almalinux-picture" data-almalinux="{kind}">\s*<svg', text), page
        assert "<title" in text.split(f'data-almalinux="{kind}"')[1]
