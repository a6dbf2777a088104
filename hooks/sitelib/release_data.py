"""Release data: load data/releases.yml, validate it, and say what to publish.

load() gives the build's Releases (sitelib.facts): the data as published
(/releases.json) with each major's status on the build date. Any fault
raises DataError naming the file and line. hooks/release_data.py calls this
in on_config, before MkDocs cleans the output directory, so bad data stops
the build while the previous site is still intact.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import sys
from pathlib import Path

import yaml

from sitelib import SiteError
from sitelib.facts import Releases

DEFAULT_DATA = "data/releases.yml"
SCHEMA_NAME = "releases.schema.json"
STALE_AFTER_MONTHS = 7  # upstream ships a minor about every six months
STATUS_LABELS = {
    "upcoming": "Not released yet",
    "supported": "Supported",
    "security": "Security fixes only",
    "eol": "End of life",
}
# The shape of the published /releases.json (its schema:
# data/releases.published.schema.json). Raise it when a field changes meaning
# or goes away; adding a field keeps it.
FORMAT_VERSION = 1
DATE_FIELDS = ("release_date", "active_support_end", "security_support_end",
               "date", "since", "retired")

# Stale data must be seen but must not fail `mkdocs build --strict`: strict
# mode counts records of the "mkdocs" logger only, so this logger sits
# outside that hierarchy and prints through its own stderr handler.
stale_log = logging.getLogger("almalinux.release_data")
stale_log.propagate = False
if not stale_log.handlers:
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("WARNING -  %(message)s"))
    stale_log.addHandler(_handler)


class DataError(SiteError):
    """Release data that must not be published; message names file and line."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml when present) that keeps dates as strings, so the
    schema checks their form and messages quote what was typed."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# Keywords conforms() understands; a schema using any other is left to jsonschema.
QUICK_KEYWORDS = {"$schema", "$id", "title", "description", "$defs", "$ref", "type",
                  "required", "additionalProperties", "properties", "items", "enum",
                  "pattern", "minItems", "uniqueItems", "minLength", "minimum"}
QUICK_TYPES = {"object": dict, "array": list, "string": str, "integer": int}


PUBLISHED_SCHEMA = "releases.published.schema.json"


def data_path(root: Path, setting: str | None) -> Path:
    """The data file: extra.release_data (relative to mkdocs.yml) or the default."""
    return root / (setting or DEFAULT_DATA)


def load(path: Path, root: Path) -> Releases:
    """The build's release facts; warns (without failing) when the data is stale.
    Raises DataError for bad data or a bad SOURCE_DATE_EPOCH."""
    today = build_date()
    display = display_path(path, root)
    try:
        data = load_release_data(path, display, today)
    except DataError as error:
        raise DataError(f"Invalid release data: {error}") from None
    public = public_data(data, today)
    warn_if_stale(public, today, display)
    warn_if_overdue(data, today, display)
    return Releases(public=public, today=today, source=display)


def published_files(releases: Releases, data_dir: Path) -> dict[str, str]:
    """Path in the built site -> text: /releases.json and its contract beside it."""
    return {
        "releases.json": json.dumps(releases.public, indent=2) + "\n",
        "releases.schema.json": (data_dir / PUBLISHED_SCHEMA).read_text(encoding="utf-8"),
    }



def build_date() -> dt.date:
    """Today in UTC, or SOURCE_DATE_EPOCH's day for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return dt.datetime.now(dt.timezone.utc).date()
    if not re.fullmatch(r"[0-9]+", epoch.strip()):
        raise DataError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds")
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_release_data(path: Path, display: str, today: dt.date | None = None) -> dict:
    """Parse, shape-check and cross-check the data; raise DataError on any fault.

    `today` is the build date (default: build_date()): a release dated after
    it must be marked `status: upcoming`."""
    if today is None:
        today = build_date()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataError(f"{display}: cannot read: {error.strerror}") from None
    root, data = parse_yaml(text, display)
    problems = duplicate_keys(root)
    if not problems:
        problems = schema_problems(data, path.parent / SCHEMA_NAME)
    if not problems:
        problems = rule_problems(data, today)
    if problems:
        lines = [describe(problem, root, data, display) for problem in problems]
        raise DataError("\n  " + "\n  ".join(lines))
    return data


def describe(problem: tuple, root, data: dict, display: str) -> str:
    """"file:line: entry, field 'name': what is wrong" for (path, field, message[, line])."""
    at, field, message = problem[:3]
    line = problem[3] if len(problem) > 3 else line_of(root, at)
    return f"{display}:{line}: {entry_name(data, at)}, field '{field}': {message}"


def parse_yaml(text: str, display: str):
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise DataError(f"{display}:{line}: invalid YAML: {error.problem}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise DataError(f"{display}:1: the file must be a mapping with majors and releases")
    return root, data


def duplicate_keys(node, path=()) -> list:
    """PyYAML keeps the last of two equal keys silently; report them instead."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append((path + (key.value,), key.value, "key given twice",
                                 key.start_mark.line + 1))
            seen.add(key.value)
            problems += duplicate_keys(value, path + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += duplicate_keys(item, path + (index,))
    return problems


def schema_problems(data: dict, schema_path: Path) -> list:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    if conforms(data, schema, schema):
        return []
    # Importing jsonschema costs about 0.1 s, a tenth of this site's build,
    # so it is only loaded to say what is wrong and where.
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        at = tuple(error.path)
        field = next((str(p) for p in reversed(at) if isinstance(p, str)), "(top)")
        message = error.message
        if error.validator == "required":
            field = re.search(r"'(.+?)'", message).group(1)
        elif error.validator == "additionalProperties":
            allowed = error.schema.get("properties", {})
            field = next(k for k in error.instance if k not in allowed)
            at += (field,)
            message = "unknown field"
        elif error.validator in ("type", "pattern") \
                and error.schema == schema.get("$defs", {}).get("date"):
            message = f"{error.instance!r} is not a date: expected YYYY-MM-DD"
        elif error.validator == "type" and isinstance(error.instance, float):
            message += " (quote it: YAML reads 8.10 as the number 8.1)"
        elif error.validator == "pattern":
            message = pattern_message(error.instance, error.schema, schema)
        problems.append((at, field, message))
    return problems


def pattern_message(value, subschema: dict, root: dict) -> str:
    """Say what form was expected; a regular expression helps nobody."""
    description = subschema.get("description")
    if description:
        return f"{value!r} does not have the expected form: {description}"
    return f"{value!r} does not match {subschema['pattern']!r}"


def conforms(value, schema: dict, root: dict) -> bool:
    """Quick yes/no: does value match schema? It only says yes when sure;
    any keyword it does not know makes it say no and jsonschema decide."""
    if not set(schema) <= QUICK_KEYWORDS:
        return False
    ref = schema.get("$ref")
    if ref is not None and not (ref.startswith("#/$defs/")
                                and conforms(value, root["$defs"][ref[8:]], root)):
        return False
    kind = schema.get("type")
    if kind is not None and (kind not in QUICK_TYPES or isinstance(value, bool)
                             or not isinstance(value, QUICK_TYPES[kind])):
        return False
    if "enum" in schema and not any(type(value) is type(option) and value == option
                                    for option in schema["enum"]):
        return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    if "minimum" in schema and not (isinstance(value, int) and not isinstance(value, bool)
                                    and value >= schema["minimum"]):
        return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        if schema.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) \
                != len(value):
            return False
        if "items" in schema and not all(conforms(v, schema["items"], root) for v in value):
            return False
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not isinstance(extra, bool) or any(k not in value for k in schema.get("required", ())):
            return False
        if not extra and any(k not in properties for k in value):
            return False
        if not all(conforms(value[k], sub, root) for k, sub in properties.items() if k in value):
            return False
    return True


def rule_problems(data: dict, today: dt.date) -> list:
    """Rules a schema cannot say: real dates, order, uniqueness, references,
    and no release dated after the build unless it is marked upcoming."""
    problems = []
    for at, field, value in walk_dates(data):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            problems.append((at, field, f"{value!r} is not a real date"))
    if problems:
        return problems
    day = dt.date.fromisoformat
    majors = {}
    for index, major in enumerate(data["majors"]):
        at = ("majors", index)
        if major["major"] in majors:
            problems.append((at + ("major",), "major", f"major {major['major']} listed twice"))
        majors[major["major"]] = major
        if day(major["active_support_end"]) < day(major["release_date"]):
            problems.append((at + ("active_support_end",), "active_support_end",
                             "active support ends before the release date"))
        if day(major["security_support_end"]) < day(major["active_support_end"]):
            problems.append((at + ("security_support_end",), "security_support_end",
                             "security support ends before active support ends"))
        keys = major["gpg_keys"]
        if sum(key["status"] == "current" for key in keys) != 1:
            problems.append((at + ("gpg_keys",), "gpg_keys", "needs exactly one current key"))
        for k, key in enumerate(keys):
            if key["status"] == "current" and "url" not in key:
                problems.append((at + ("gpg_keys", k), "url",
                                 "the current key needs the url that serves it"))
        prints = [key["fingerprint"].upper() for key in keys]
        for k, fingerprint in enumerate(prints):
            if fingerprint in prints[:k]:
                problems.append((at + ("gpg_keys", k, "fingerprint"), "fingerprint",
                                 "fingerprint listed twice"))
    versions = {}
    for index, release in enumerate(data["releases"]):
        at = ("releases", index)
        version = release["version"]
        major_number, minor = (int(part) for part in version.split("."))
        if version in versions:
            problems.append((at + ("version",), "version", f"version {version} listed twice"))
            continue
        versions[version] = release
        major = majors.get(major_number)
        if major is None:
            problems.append((at + ("version",), "version",
                             f"major {major_number} is not listed under majors"))
            continue
        released = day(release["date"])
        if released > today and release.get("status") != "upcoming":
            problems.append((at + ("date",), "date",
                             f"{release['date']} is after the build date ({today.isoformat()}); "
                             "a release that is announced but not out yet needs "
                             "'status: upcoming'"))
        if released > day(major["security_support_end"]):
            problems.append((at + ("date",), "date", f"released after major {major_number}'s "
                             f"end of life ({major['security_support_end']})"))
        if released < day(major["release_date"]):
            problems.append((at + ("date",), "date", f"released before major {major_number} "
                             f"itself ({major['release_date']})"))
        extra = [a for a in release["architectures"] if a not in major["architectures"]]
        if extra:
            problems.append((at + ("architectures",), "architectures",
                             f"{', '.join(extra)} not listed for major {major_number}"))
        previous = versions.get(f"{major_number}.{minor - 1}")
        if previous is not None and day(previous["date"]) > released:
            problems.append((at + ("date",), "date",
                             f"dated before the previous minor {previous['version']}"))
    return problems


def walk_dates(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in DATE_FIELDS and isinstance(value, str):
                yield path + (key,), key, value
            else:
                yield from walk_dates(value, path + (key,))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk_dates(item, path + (index,))


def line_of(root, at) -> int:
    """1-based line of the node at path `at`, or of its nearest parent."""
    node = line = root
    for step in at:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if pair is None:
                break
            line, node = pair
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and step < len(node.value):
            node = line = node.value[step]
        else:
            break
    return line.start_mark.line + 1


def entry_name(data: dict, at) -> str:
    if len(at) < 2 or not isinstance(at[1], int):
        return "top level"
    try:
        item = data[at[0]][at[1]]
    except (KeyError, IndexError, TypeError):
        item = None
    if at[0] == "releases":
        label = item.get("version") if isinstance(item, dict) else None
        return f"release {label}" if isinstance(label, str) else f"releases[{at[1]}]"
    label = item.get("major") if isinstance(item, dict) else None
    name = f"major {label}" if label is not None else f"majors[{at[1]}]"
    if len(at) >= 4 and at[2] == "gpg_keys" and isinstance(at[3], int):
        name += f" key {at[3] + 1}"
    return name


def lifecycle_status(major: dict, today: dt.date) -> str:
    if today < dt.date.fromisoformat(major["release_date"]):
        return "upcoming"
    if today <= dt.date.fromisoformat(major["active_support_end"]):
        return "supported"
    if today <= dt.date.fromisoformat(major["security_support_end"]):
        return "security"
    return "eol"


def version_key(version: str):
    return tuple(int(part) for part in version.split("."))


def is_upcoming(release: dict) -> bool:
    return release.get("status") == "upcoming"


def public_data(data: dict, today: dt.date) -> dict:
    """The data as published, highest version first, with build-time status.
    A major's `latest` is its highest release that is out (not upcoming)."""
    releases = sorted(data["releases"], key=lambda r: version_key(r["version"]), reverse=True)
    majors = []
    for major in sorted(data["majors"], key=lambda m: m["major"], reverse=True):
        own = [r for r in releases if version_key(r["version"])[0] == major["major"]
               and not is_upcoming(r)]
        status = lifecycle_status(major, today)
        majors.append({
            **major,
            "latest": own[0]["version"] if own else None,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "gpg_keys": [{**key, "fingerprint": key["fingerprint"].upper()}
                         for key in major["gpg_keys"]],
        })
    notes = data["release_notes_url"]
    releases = [{**release, "release_notes": notes.format(version=release["version"])}
                for release in releases]
    return {"format_version": FORMAT_VERSION, "status_date": today.isoformat(),
            "release_notes_url": notes, "majors": majors, "releases": releases}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warn_if_stale(public: dict, today: dt.date, display: str) -> None:
    out = [r for r in public["releases"] if not is_upcoming(r)]
    if not out:
        return
    newest = max(out, key=lambda r: r["date"])
    if add_months(dt.date.fromisoformat(newest["date"]), STALE_AFTER_MONTHS) < today:
        stale_log.warning(
            "%s: newest release %s is from %s, more than %d months before %s; "
            "add the releases published since", display, newest["version"],
            newest["date"], STALE_AFTER_MONTHS, today.isoformat())


def warn_if_overdue(data: dict, today: dt.date, display: str) -> None:
    """An upcoming release whose date has come: it is out (drop the status)
    or it slipped (change the date). Pages keep showing it as announced."""
    for release in data["releases"]:
        if is_upcoming(release) and dt.date.fromisoformat(release["date"]) <= today:
            stale_log.warning(
                "%s: release %s is marked upcoming but its date %s is not after %s; "
                "remove 'status: upcoming' once it is out, or correct the date",
                display, release["version"], release["date"], today.isoformat())
