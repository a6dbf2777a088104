"""Markers: `<!-- release:... -->`, `<!-- download:... -->` and
`<!-- script:... -->` comments in a page, replaced by rendered facts.

Pages never type release facts, checksums or script options by hand; the
facts are the build's (sitelib.facts). Markers in fenced code blocks and
inline code are examples, not markers, and stay as written. An unknown
marker (in any letter case) or wrong arguments fails with page and line,
counted in the source file, front matter included.

render_markers() is the whole job, Markdown in and Markdown out;
sitelib.markdown_ext runs it as a Python-Markdown preprocessor.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader
from markupsafe import escape

from sitelib import SiteError, pictures
from sitelib.downloads import REPORT_SCHEMA_NAME, SCRIPT_NAME, Downloads
from sitelib.facts import BuildFacts, Releases

# Case-insensitive, so `<!-- Release:Latest 10 -->` is caught and named
# instead of staying behind as an empty comment.
MARKER = re.compile(r"<!--\s*(release|download|script):(\S*?)((?:\s+[^\s-][^\s]*)*)\s*-->",
                    re.I)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
# Anything shaped like a marker ("<!-- word:word"), so a misspelled
# namespace fails the build instead of vanishing as a silent comment.
MARKER_LIKE = re.compile(r"<!--\s*([a-z]+):([a-z][a-z0-9-]*)\b", re.I)
NAMESPACES = ("release", "download", "script")
DOWNLOADABLE = (SCRIPT_NAME, "almalinux-fleet.tar.gz")
# Published next to them (download:link only); the last two only when signed.
LINKABLE = DOWNLOADABLE + (REPORT_SCHEMA_NAME, "SHA256SUMS", "SHA256SUMS.asc",
                          "downloads-signing-key.asc")
# Who asks for the facts, in the message when a fact is missing.
USER = "hooks/markers.py"
PARTIALS = Path(__file__).resolve().parent.parent / "partials"

# name -> (number of arguments, block marker?, renderer)
MARKERS = {}

templates = Environment(loader=FileSystemLoader(PARTIALS), autoescape=True,
                        trim_blocks=True, lstrip_blocks=True)


class MarkerError(SiteError):
    """A marker that cannot be rendered; the message says why."""


class PageErrors(SiteError):
    """Every marker error of one page, one "page:line: why" per line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class PageRef:
    """The page being rendered, as far as markers need it."""
    path: str                                   # as shown in messages: docs/guide.md
    first_line: int = 1                         # source line of the Markdown's first line
    link: Callable[[str], str] | None = None    # site path -> URL relative to the page


@dataclass(frozen=True)
class Context:
    facts: BuildFacts
    page: PageRef
    site_url: str | None = None

    @property
    def releases(self) -> Releases:
        return self.facts.need_releases(USER)

    @property
    def downloads(self) -> Downloads:
        return self.facts.need_downloads(USER)


# -----------------------------------------------------------------------------
# The page
# -----------------------------------------------------------------------------


def render_markers(markdown: str, facts: BuildFacts, page: PageRef,
                   site_url: str | None = None) -> str:
    """The Markdown with every marker rendered; PageErrors naming each bad one."""
    context = Context(facts, page, site_url)
    output, errors = [], []
    for number, line, in_code in scan_lines(markdown, start=page.first_line):
        if in_code or "<!--" not in line:
            output.append(line)
            continue
        try:
            output.append(replace_markers(line, context))
        except SiteError as error:
            errors.append(f"{page.path}:{number}: {error}")
            output.append(line)
    if errors:
        raise PageErrors(errors)
    return "".join(output)


def front_matter_lines(source: str, markdown: str) -> int:
    """How many source lines a generator removed before the Markdown it
    renders (front matter and the blank lines after it), so errors name the
    line an editor shows."""
    if source.endswith(markdown):
        return source[:len(source) - len(markdown)].count("\n")
    return max(0, source.count("\n") - markdown.count("\n"))


def scan_lines(markdown: str, start: int = 1):
    """Yield (line number, line, inside a fenced code block?)."""
    fence = None
    for number, line in enumerate(markdown.splitlines(keepends=True), start=start):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group("fence")
                yield number, line, True
            else:
                yield number, line, False
        else:
            if match and match.group("fence")[0] == fence[0] \
                    and len(match.group("fence")) >= len(fence) \
                    and not line[match.end():].strip():
                fence = None
            yield number, line, True


def code_spans(line: str):
    return [match.span() for match in CODE_SPAN.finditer(line)]


def unknown_marker(name: str) -> MarkerError:
    """The error for a marker name that is not registered, with the closest
    known name when there is one (case and small typos)."""
    namespace, _, short = name.lower().partition(":")
    # Both halves must be close: the shared "release:" alone is no match.
    scored = []
    for known in MARKERS:
        known_namespace, _, known_short = known.partition(":")
        halves = [difflib.SequenceMatcher(None, namespace, known_namespace).ratio(),
                  difflib.SequenceMatcher(None, short, known_short).ratio()]
        if min(halves) >= 0.6:
            scored.append((sum(halves), known))
    if scored:
        return MarkerError(f"unknown marker {name} (did you mean {max(scored)[1]}?)")
    known = sorted(n for n in MARKERS if n.startswith(namespace + ":"))
    if known:
        return MarkerError(f"unknown marker {name} (known: {', '.join(known)})")
    return MarkerError(f"unknown marker {name}"
                       f" (markers start with {', '.join(n + ':' for n in NAMESPACES)})")


def replace_markers(line: str, context: Context) -> str:
    spans = code_spans(line)
    for match in MARKER_LIKE.finditer(line):
        name = f"{match.group(1)}:{match.group(2)}"
        if name not in MARKERS and not any(a <= match.start() < b for a, b in spans):
            raise unknown_marker(name)
    pieces, last = [], 0
    for match in MARKER.finditer(line):
        start, end = match.span()
        if any(a <= start < b for a, b in spans):
            continue
        name = f"{match.group(1)}:{match.group(2)}"
        args = match.group(3).split()
        if name not in MARKERS:
            raise unknown_marker(name)
        count, block, renderer = MARKERS[name]
        if len(args) != count:
            wanted = "no arguments" if count == 0 else f"{count} argument"
            raise MarkerError(f"marker {name} takes {wanted}, got {' '.join(args) or 'none'}")
        if block:
            if line.strip() != match.group(0):
                raise MarkerError(f"marker {name} must be on a line of its own")
            indent = line[:len(line) - len(line.lstrip())]
            return indent_block(renderer(context, *args), indent)
        pieces += [line[last:start], renderer(context, *args)]
        last = end
    return "".join(pieces) + line[last:]


def indent_block(text: str, indent: str) -> str:
    """A block with blank lines around it, so Markdown sees it as a block."""
    body = "\n".join(indent + row if row.strip() else "" for row in text.splitlines())
    return f"\n{body}\n\n"


def marker(name: str, count: int = 0, block: bool = False):
    def register(function):
        MARKERS[name] = (count, block, function)
        return function
    return register


def render(template: str, **values) -> str:
    html = templates.get_template(template).render(**values)
    return "\n".join(row for row in html.splitlines() if row.strip())


def fence(text: str, language: str) -> str:
    """A fenced code block longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


# -----------------------------------------------------------------------------
# Release markers
# -----------------------------------------------------------------------------


def major_of(context: Context, number: str) -> dict:
    majors = context.releases.majors
    for major in majors:
        if str(major["major"]) == number:
            return major
    known = ", ".join(str(m["major"]) for m in majors)
    raise MarkerError(f"major {number!r} is not in the release data (known: {known})")


def latest_release(context: Context, number: str) -> dict:
    major = major_of(context, number)
    for release in context.releases.releases:
        if release["version"] == major["latest"]:
            return release
    raise MarkerError(f"major {number} has no release in the release data")


def key_rows(majors: list[dict]) -> list[dict]:
    """One row per signing key: its fingerprint in groups of four and the
    name of the file that serves it (templates only print)."""
    rows = []
    for major in majors:
        for key in major["gpg_keys"]:
            fingerprint = key["fingerprint"]
            url = key.get("url")
            rows.append({**key, "major": major["major"],
                         "groups": [fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4)],
                         "file": url.rsplit("/", 1)[-1] if url else None})
    return rows


@marker("release:latest", 1)
def render_latest(context, number):
    return str(escape(latest_release(context, number)["version"]))


@marker("release:date", 1)
def render_date(context, number):
    return str(escape(latest_release(context, number)["date"]))


@marker("release:eol", 1)
def render_eol(context, number):
    return str(escape(major_of(context, number)["security_support_end"]))


@marker("release:majors")
def render_majors(context):
    names = [str(m["major"]) for m in reversed(context.releases.majors)
             if m["status"] in ("supported", "security")]
    if not names:
        raise MarkerError("no major version is supported on the build date")
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return str(escape(text))


@marker("release:table", block=True)
def render_table(context):
    return render("release-table.html", releases=context.releases.releases)


@marker("release:lifecycle", block=True)
def render_lifecycle(context):
    public = context.releases.public
    return render("lifecycle.html", majors=public["majors"], status_date=public["status_date"])


@marker("release:timeline", block=True)
def render_timeline(context):
    releases = context.releases
    timeline = pictures.lifecycle_timeline(releases.majors, releases.today)
    return render("lifecycle-timeline.html", t=timeline)


@marker("release:keys", block=True)
def render_keys(context):
    return render("gpg-keys.html", keys=key_rows(context.releases.majors))


# -----------------------------------------------------------------------------
# Download and script markers
# -----------------------------------------------------------------------------


def download(context: Context, name: str):
    if name not in LINKABLE:
        raise MarkerError(f"unknown download {name!r} (known: {', '.join(LINKABLE)})")
    return context.downloads.get(name)


def site_base(context: Context, name: str) -> str:
    site_url = context.site_url
    if not site_url:
        raise MarkerError(f"{name} needs site_url in mkdocs.yml")
    return site_url if site_url.endswith("/") else site_url + "/"


def check_downloadable(name: str) -> None:
    if name not in DOWNLOADABLE:
        raise MarkerError(f"unknown download {name!r} (known: {', '.join(DOWNLOADABLE)})")


@marker("download:link", 1)
def render_link(context, name):
    item = download(context, name)
    if context.page.link is not None:
        url = context.page.link(item.uri)
    else:
        url = site_base(context, "download:link") + item.uri
    return render("download-link.html", url=url, name=name)


@marker("download:sha256", 1)
def render_sha256(context, name):
    check_downloadable(name)
    return f"`{download(context, name).sha256}`"


@marker("download:install", 1, block=True)
def render_install(context, name):
    check_downloadable(name)
    digest = download(context, name).sha256
    base = site_base(context, "download:install")
    # Short lines with a continuation: the whole command stays in view on a
    # desktop; on a phone the checksum line wraps (see extra.css).
    return fence(f"curl -fLO {base}downloads/{name}\n"
                 f'echo "{digest}  {name}" \\\n'
                 "    | sha256sum -c -", "sh")


@marker("download:verify", 1, block=True)
def render_verify(context, name):
    """The signature check of SHA256SUMS and of name in it, or the unsigned notice."""
    check_downloadable(name)
    download(context, name)
    fingerprint = context.downloads.signing_key
    if fingerprint is None:
        return render("download-unsigned.html", name=name)
    base = site_base(context, "download:verify")
    commands = "\n".join([
        *(f"curl -fLO {base}downloads/{file}"
          for file in ("SHA256SUMS", "SHA256SUMS.asc", "downloads-signing-key.asc")),
        "gpg --dearmor < downloads-signing-key.asc > downloads-signing-key.gpg",
        # Continued lines, so the command stays in view on a desktop.
        "gpgv --status-fd 1 --keyring ./downloads-signing-key.gpg \\\n"
        "    SHA256SUMS.asc SHA256SUMS \\\n"
        f'    | grep "^\\[GNUPG:\\] VALIDSIG .* {fingerprint}$"',
        f"awk '$2 == \"{name}\"' SHA256SUMS | sha256sum -c -",
    ])
    return (f"The checksum list `SHA256SUMS` is signed with the key `{fingerprint}`, "
            "pinned in the site's source (`mkdocs.yml`). Check the signature, then the "
            f"file against the signed list, in the directory that holds `{name}`:\n\n"
            + fence(commands, "sh") + "\n\n"
            "The `gpgv` command prints a `VALIDSIG` line ending in that fingerprint when the "
            f"signature is good, and nothing when it is not; the last line prints `{name}: OK`.")


@marker("script:usage", block=True)
def render_usage(context):
    return fence(context.downloads.need_script().usage(), "text")


@marker("script:stages", block=True)
def render_stages(context):
    script = context.downloads.need_script()
    pre, post = script.stages()
    codes = {code.name: code.code for code in script.exit_codes()}
    try:
        diagram = pictures.migration_stages(pre, post, codes)
    except pictures.PictureError as error:
        raise MarkerError(f"{script.display}: {error}") from None
    return render("migration-stages.html", d=diagram)


@marker("script:exit-codes", block=True)
def render_exit_codes(context):
    return render("exit-codes.html", codes=context.downloads.need_script().exit_codes())


@marker("script:findings", block=True)
def render_findings(context):
    return render("findings.html", findings=context.downloads.need_script().findings())
