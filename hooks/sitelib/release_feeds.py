"""Release data for tools: an endoflife.date-style lifecycle document, an Atom
feed of releases and an iCalendar file of support end dates.

Everything is computed from the build's Releases (sitelib.facts), for the
day of the build. The functions below are pure (data in, bytes out);
hooks/release_feeds.py publishes what outputs() returns. Ids (feed entries, calendar events) depend only on the release or
the major version, never on where the site is deployed or when it was
built, so a reader never sees the same release twice.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import NamedTuple

ENDOFLIFE_PATH = "endoflife.json"
FEED_PATH = "releases/feed.xml"
CALENDAR_PATH = "releases/support-dates.ics"
# The endoflife.date API v1 version whose product document this one mirrors.
ENDOFLIFE_SCHEMA_VERSION = "1.2.0"
# Stable id space for feed entries and calendar events (RFC 4151 tag URIs).
TAG_AUTHORITY = "almalinux.org,2021"
ATOM = "http://www.w3.org/2005/Atom"
PRODUCT_LABEL = "AlmaLinux OS"


class Site(NamedTuple):
    """Where the site lives and where release notes are: all that is not in the data."""
    url: str                    # the site's public address, ending in "/"
    notes_url: str              # release notes address with "{version}" in it

    def page(self, path: str) -> str:
        return self.url + path

    def notes(self, version: str) -> str:
        return self.notes_url.format(version=version)


def released(public: dict) -> list[dict]:
    """Releases that are out (not announced as upcoming), newest date first."""
    out = [r for r in public["releases"] if r.get("status") != "upcoming"]
    return sorted(out, key=lambda r: (r["date"], version_tuple(r["version"])), reverse=True)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def build_day(public: dict) -> dt.date:
    return dt.date.fromisoformat(public["status_date"])


# -----------------------------------------------------------------------------
# endoflife.date-compatible lifecycle document
# -----------------------------------------------------------------------------


def endoflife_release(major: dict, releases: list[dict], today: dt.date, site: Site) -> dict:
    """One release cycle (a major version) in the endoflife.date API v1 shape."""
    number = str(major["major"])
    own = [r for r in releases if r["version"].split(".")[0] == number]
    eoas = major["active_support_end"]
    eol = major["security_support_end"]
    is_eol = today > dt.date.fromisoformat(eol)
    latest = None
    if own:
        newest = max(own, key=lambda r: version_tuple(r["version"]))
        latest = {"name": newest["version"], "date": newest["date"],
                  "link": site.notes(newest["version"])}
    return {
        "name": number,
        "codename": None,
        "label": f"{PRODUCT_LABEL} {number}",
        "releaseDate": major["release_date"],
        "isLts": False,
        "ltsFrom": None,
        "isEoas": today > dt.date.fromisoformat(eoas),
        "eoasFrom": eoas,
        "isEol": is_eol,
        "eolFrom": eol,
        "isMaintained": not is_eol and today >= dt.date.fromisoformat(major["release_date"]),
        "latest": latest,
    }


def endoflife_document(public: dict, site: Site) -> dict:
    """The product document of the endoflife.date API v1 (result.releases[], newest first)."""
    today = build_day(public)
    releases = released(public)
    majors = sorted(public["majors"], key=lambda m: m["major"], reverse=True)
    return {
        "schema_version": ENDOFLIFE_SCHEMA_VERSION,
        "generated_at": f"{today.isoformat()}T00:00:00+00:00",
        "result": {
            "name": "almalinux",
            "label": PRODUCT_LABEL,
            "aliases": [],
            "category": "os",
            "tags": ["linux-distribution", "os"],
            "versionCommand": "cat /etc/os-release",
            "identifiers": [{"id": "cpe:/o:almalinux:almalinux", "type": "cpe"}],
            "labels": {"eoas": "Active support", "eol": "Security support",
                       "discontinued": None, "eoes": None},
            "links": {"icon": None, "html": site.page("releases/lifecycle/"),
                      "releasePolicy": site.page("releases/lifecycle/")},
            "releases": [endoflife_release(m, releases, today, site) for m in majors],
        },
    }


# -----------------------------------------------------------------------------
# Atom feed
# -----------------------------------------------------------------------------


def release_title(release: dict) -> str:
    codename = release.get("codename")
    return f"AlmaLinux {release['version']}" + (f" \u201c{codename}\u201d" if codename else "")


def release_summary(release: dict) -> str:
    parts = [f"AlmaLinux {release['version']} was released on {release['date']}."]
    if release.get("kernel"):
        parts.append(f"Kernel {release['kernel']}.")
    if release.get("architectures"):
        parts.append("Architectures: " + ", ".join(release["architectures"]) + ".")
    return " ".join(parts)


def _element(parent, tag, text=None, **attrs):
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def atom_feed(public: dict, site: Site) -> bytes:
    """An Atom (RFC 4287) feed with one entry per published release."""
    ET.register_namespace("", ATOM)
    releases = released(public)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _element(feed, "id", f"tag:{TAG_AUTHORITY}:releases")
    _element(feed, "title", "AlmaLinux releases")
    _element(feed, "subtitle", "Every AlmaLinux release, from the site's release data.")
    updated = releases[0]["date"] if releases else public["status_date"]
    _element(feed, "updated", f"{updated}T00:00:00Z")
    _element(feed, "link", rel="self", type="application/atom+xml", href=site.page(FEED_PATH))
    _element(feed, "link", rel="alternate", type="text/html", href=site.page("releases/"))
    author = _element(feed, "author")
    _element(author, "name", "AlmaLinux OS Foundation")
    for release in releases:
        entry = _element(feed, "entry")
        _element(entry, "id", f"tag:{TAG_AUTHORITY}:release/{release['version']}")
        _element(entry, "title", release_title(release))
        stamp = f"{release['date']}T00:00:00Z"
        _element(entry, "published", stamp)
        _element(entry, "updated", stamp)
        _element(entry, "link", rel="alternate", type="text/html", href=site.notes(release["version"]))
        _element(entry, "summary", release_summary(release))
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


# -----------------------------------------------------------------------------
# iCalendar
# -----------------------------------------------------------------------------


def ical_escape(text: str) -> str:
    """TEXT value escaping of RFC 5545, section 3.3.11."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def ical_fold(line: str) -> str:
    """Folds a content line at 75 octets (RFC 5545, section 3.1), never inside a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        limit = 75 if not out else 74          # continuation lines start with a space
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def support_events(public: dict, site: Site) -> list[dict]:
    events = []
    for major in sorted(public["majors"], key=lambda m: m["major"]):
        number = major["major"]
        for field, what, detail in (
                ("active_support_end", "active support ends",
                 "From the day after, AlmaLinux {n} gets security fixes only."),
                ("security_support_end", "end of life",
                 "Last day of security support for AlmaLinux {n}; migrate or upgrade before it.")):
            events.append({
                "uid": f"almalinux-{number}-{field.replace('_', '-')}@{TAG_AUTHORITY.split(',')[0]}",
                "date": dt.date.fromisoformat(major[field]),
                "summary": f"AlmaLinux {number}: {what}",
                "description": detail.format(n=number),
                "url": site.page("releases/lifecycle/"),
            })
    return events


def support_calendar(public: dict, site: Site) -> bytes:
    """An iCalendar (RFC 5545) file: one all-day event per support end date."""
    stamp = build_day(public).strftime("%Y%m%dT000000Z")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//AlmaLinux documentation//support dates//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:AlmaLinux support dates"]
    for event in support_events(public, site):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event['uid']}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{event['date'].strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(event['date'] + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{ical_escape(event['summary'])}",
            f"DESCRIPTION:{ical_escape(event['description'])}",
            f"URL:{event['url']}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ical_fold(line) for line in lines) + "\r\n").encode("utf-8")


def outputs(public: dict, site: Site) -> dict[str, bytes]:
    """Every file this module publishes, by path in the built site."""
    return {
        ENDOFLIFE_PATH: (json.dumps(endoflife_document(public, site), indent=2) + "\n").encode(),
        FEED_PATH: atom_feed(public, site),
        CALENDAR_PATH: support_calendar(public, site),
    }
