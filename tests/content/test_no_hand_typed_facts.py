"""Pages take release facts, checksums and fingerprints from markers only.

Every version, codename, kernel, date and key fingerprint in
data/releases.yml is searched for in the Markdown source of every page, with
markers removed; any hit is a fact typed by hand that will go stale.
"""

import datetime as dt
import re

import pytest

from content_pages import DOCS, PAGES

MARKER = re.compile(r"<!--\s*(?:release|download|script):[^>]*?-->")
HEX40 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")
HEX64 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")


def source_without_markers(page):
    return MARKER.sub(" ", (DOCS / page).read_text(encoding="utf-8"))


def as_date(value):
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def date_patterns(value):
    """ISO and the usual written forms of one date."""
    day = as_date(value)
    month = day.strftime("%B")
    forms = [day.isoformat(), f"{day.day} {month} {day.year}", f"{month} {day.day}, {day.year}",
             f"{day.day} {month[:3]} {day.year}", f"{month[:3]} {day.day}, {day.year}"]
    return [re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", re.I) for form in forms]


def version_pattern(version):
    # 9.8 must not match inside 19.8, 9.80 or 9.8.1
    return re.compile(rf"(?<![\d.]){re.escape(version)}(?!\d|\.\d)")


def fingerprint_patterns(fingerprint):
    fingerprint = fingerprint.upper()
    spaced = r"\s*".join(re.escape(fingerprint[i:i + 4]) for i in range(0, 40, 4))
    return [re.compile(spaced, re.I),
            re.compile(rf"(?<![0-9A-F]){fingerprint[-16:]}(?![0-9A-F])", re.I),
            re.compile(rf"(?<![0-9A-F]){fingerprint[-8:]}(?![0-9A-F])", re.I)]


def release_facts(data):
    """(kind, value, patterns) for every fact of the release data."""
    facts = []
    for release in data["releases"]:
        facts.append(("version", release["version"], [version_pattern(str(release["version"]))]))
        facts.append(("codename", release["codename"],
                      [re.compile(rf"\b{re.escape(release['codename'])}\b", re.I)]))
        facts.append(("date", str(release["date"]), date_patterns(release["date"])))
        if release.get("kernel"):
            facts.append(("kernel", release["kernel"], [version_pattern(release["kernel"])]))
    for major in data["majors"]:
        for field in ("release_date", "active_support_end", "security_support_end"):
            facts.append((field, str(major[field]), date_patterns(major[field])))
        for key in major["gpg_keys"]:
            facts.append(("fingerprint", key["fingerprint"], fingerprint_patterns(key["fingerprint"])))
            for field in ("since", "retired"):
                if key.get(field):
                    facts.append((f"key {field}", str(key[field]), date_patterns(key[field])))
    return facts


def test_release_data_yields_facts_to_check(release_data):
    kinds = {kind for kind, _, _ in release_facts(release_data)}
    assert {"version", "codename", "date", "fingerprint", "security_support_end"} <= kinds


@pytest.mark.parametrize("page", PAGES)
def test_page_types_no_release_fact_by_hand(page, release_data):
    text = source_without_markers(page)
    typed = []
    for kind, value, patterns in release_facts(release_data):
        for pattern in patterns:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                typed.append(f"docs/{page}:{line}: {kind} {value!r} typed as {match.group(0)!r}")
    assert not typed, "use a marker instead:\n" + "\n".join(typed)


@pytest.mark.parametrize("page", PAGES)
def test_page_types_no_fingerprint_or_checksum_by_hand(page):
    text = source_without_markers(page)
    found = HEX40.findall(text) + HEX64.findall(text)
    assert not found, f"docs/{page} types a fingerprint or checksum by hand: {found}"


def test_markers_are_not_counted_as_typed_facts():
    sample = "Latest: <!-- release:latest 9 -->, key <!-- release:keys -->"
    assert MARKER.sub(" ", sample).strip() == "Latest:  , key"
    assert version_pattern("9.8").search("AlmaLinux 9.8.")
    assert not version_pattern("9.8").search("kernel 19.8 and 9.81 and 9.8.1")
