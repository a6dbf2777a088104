"""Markers: replace `<!-- release:... -->`, `<!-- download:... -->` and
`<!-- script:... -->` comments in pages with rendered facts.

Pages never type release facts, checksums or script options by hand; the
data comes from hooks/release_data.py and hooks/downloads.py (kept on the
config for this build). Markers in fenced code blocks and inline code are
examples, not markers, and stay as written. An unknown marker (in any
letter case) or wrong arguments fails the build with page and line, counted
in the source file, front matter included.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.util
import os
import re
import subprocess
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import meta

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
DOWNLOADABLE = ("almalinux-migrate.sh", "almalinux-fleet.tar.gz")
# Published next to them (download:link only); the last two only when signed.
LINKABLE = DOWNLOADABLE + ("almalinux-migrate.report.schema.json", "SHA256SUMS",
                          "SHA256SUMS.asc", "downloads-signing-key.asc")


def load_sibling(name: str):
    """hooks/<name>.py by path: works however this hook itself was loaded."""
    spec = importlib.util.spec_from_file_location(f"{__name__}_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Drawing the pictures: geometry in pure functions, markup in partials/.
pictures = load_sibling("pictures")

# name -> (number of arguments, block marker?, renderer)
MARKERS = {}

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "partials"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True,
)


class MarkerError(Exception):
    """A marker that cannot be rendered; the message says why."""


# -----------------------------------------------------------------------------
# Hooks
# -----------------------------------------------------------------------------


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    context = {"page": page, "config": config, "files": files}
    output, errors = [], []
    offset = front_matter_lines(page)
    for number, line, in_code in scan_lines(markdown, start=offset + 1):
        if in_code or "<!--" not in line:
            output.append(line)
            continue
        try:
            output.append(replace_markers(line, context))
        except MarkerError as error:
            errors.append(f"{page_path(page, config)}:{number}: {error}")
            output.append(line)
    if errors:
        raise PluginError("\n".join(errors))
    return "".join(output)


# -----------------------------------------------------------------------------
# Parsing
# -----------------------------------------------------------------------------


def front_matter_lines(page: Page) -> int:
    """How many source lines MkDocs removed before the Markdown it hands to
    hooks (front matter and the blank lines after it), so errors name the
    line an editor shows."""
    source = getattr(page.file, "content_string", None)
    if not isinstance(source, str):
        return 0
    body, _ = meta.get_data(source)
    if source.endswith(body):
        return source[:len(source) - len(body)].count("\n")
    return max(0, source.count("\n") - body.count("\n"))


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


def replace_markers(line: str, context: dict) -> str:
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


def page_path(page: Page, config: MkDocsConfig) -> str:
    root = Path(config.config_file_path).parent
    docs = os.path.relpath(config.docs_dir, root)
    return Path(docs, page.file.src_uri).as_posix()


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


def release_data(context: dict) -> dict:
    return context["config"].extra["_release_data"]


def major_of(context: dict, number: str) -> dict:
    for major in release_data(context)["majors"]:
        if str(major["major"]) == number:
            return major
    known = ", ".join(str(m["major"]) for m in release_data(context)["majors"])
    raise MarkerError(f"major {number!r} is not in the release data (known: {known})")


def latest_release(context: dict, number: str) -> dict:
    major = major_of(context, number)
    for release in release_data(context)["releases"]:
        if release["version"] == major["latest"]:
            return release
    raise MarkerError(f"major {number} has no release in the release data")


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
    names = [str(m["major"]) for m in reversed(release_data(context)["majors"])
             if m["status"] in ("supported", "security")]
    if not names:
        raise MarkerError("no major version is supported on the build date")
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return str(escape(text))


@marker("release:table", block=True)
def render_table(context):
    return render("release-table.html", releases=release_data(context)["releases"])


@marker("release:lifecycle", block=True)
def render_lifecycle(context):
    data = release_data(context)
    return render("lifecycle.html", majors=data["majors"], status_date=data["status_date"])


@marker("release:timeline", block=True)
def render_timeline(context):
    data = release_data(context)
    timeline = pictures.lifecycle_timeline(data["majors"], dt.date.fromisoformat(data["status_date"]))
    return render("lifecycle-timeline.html", t=timeline)


@marker("release:keys", block=True)
def render_keys(context):
    return render("gpg-keys.html", majors=release_data(context)["majors"])


# -----------------------------------------------------------------------------
# Download and script markers
# -----------------------------------------------------------------------------


def download(context: dict, name: str) -> dict:
    state = context["config"].extra["_downloads"]
    if name not in LINKABLE:
        raise MarkerError(f"unknown download {name!r} (known: {', '.join(LINKABLE)})")
    if name not in state["files"]:
        why = state["missing"].get(name, "the downloads are unsigned (no signing key)")
        raise MarkerError(f"cannot publish {name}: {why}")
    return state["files"][name]


def site_base(context: dict, name: str) -> str:
    site_url = context["config"].site_url
    if not site_url:
        raise MarkerError(f"{name} needs site_url in mkdocs.yml")
    return site_url if site_url.endswith("/") else site_url + "/"


def check_downloadable(name: str) -> None:
    if name not in DOWNLOADABLE:
        raise MarkerError(f"unknown download {name!r} (known: {', '.join(DOWNLOADABLE)})")


@marker("download:link", 1)
def render_link(context, name):
    download(context, name)
    target = context["files"].get_file_from_path(f"downloads/{name}")
    url = target.url_relative_to(context["page"].file)
    return render("download-link.html", url=url, name=name)


@marker("download:sha256", 1)
def render_sha256(context, name):
    check_downloadable(name)
    return f"`{download(context, name)['sha256']}`"


@marker("download:install", 1, block=True)
def render_install(context, name):
    check_downloadable(name)
    digest = download(context, name)["sha256"]
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
    fingerprint = context["config"].extra["_downloads"]["signing_key"]
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


def script_state(context: dict) -> dict:
    state = context["config"].extra["_downloads"]
    if "almalinux-migrate.sh" not in state["files"]:
        raise MarkerError(f"cannot read the script: {state['missing']['almalinux-migrate.sh']}")
    return state


def script_output(context: dict, option: str) -> str:
    """What `bash <script> <option>` prints (--help, --exit-codes), run once
    per build and kept with the download state."""
    state = script_state(context)
    outputs = state.setdefault("outputs", {})
    if option not in outputs:
        root = Path(context["config"].config_file_path).parent
        try:
            result = subprocess.run(["bash", state["script_path"], option], cwd=root,
                                    capture_output=True, text=True, timeout=60,
                                    stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise MarkerError(f"cannot run {state['script_display']} {option}: {error}") from None
        if result.returncode != 0 or not (result.stdout or result.stderr).strip():
            raise MarkerError(f"{state['script_display']} {option} exited with "
                              f"{result.returncode}: {result.stderr.strip()[:400]}")
        outputs[option] = result.stdout if result.stdout.strip() else result.stderr
    return outputs[option]


def script_exit_codes(context: dict) -> list[dict]:
    """[{"code", "name", "meaning"}] from the script's --exit-codes table."""
    state = script_state(context)
    codes = []
    for number, line in enumerate(script_output(context, "--exit-codes").splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0].isdigit():
            raise MarkerError(f"{state['script_display']} --exit-codes, line {number}: "
                              f"expected 'CODE<TAB>NAME<TAB>meaning', got {line!r}")
        codes.append({"code": int(fields[0]), "name": fields[1], "meaning": fields[2]})
    return sorted(codes, key=lambda c: c["code"])


@marker("script:usage", block=True)
def render_usage(context):
    return fence(script_output(context, "--help"), "text")


@marker("script:stages", block=True)
def render_stages(context):
    state = script_state(context)
    text = state["files"]["almalinux-migrate.sh"]["bytes"].decode("utf-8", "replace")
    try:
        pre, post = pictures.script_stages(text)
        diagram = pictures.migration_stages(
            pre, post, {c["name"]: c["code"] for c in script_exit_codes(context)})
    except ValueError as error:
        raise MarkerError(f"{state['script_display']}: {error}") from None
    return render("migration-stages.html", d=diagram)


@marker("script:exit-codes", block=True)
def render_exit_codes(context):
    codes = script_exit_codes(context)
    if not codes:
        raise MarkerError(f"{script_state(context)['script_display']} --exit-codes printed "
                          "no exit code")
    return render("exit-codes.html", codes=codes)
