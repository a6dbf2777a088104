"""Last updated: put each page's last commit date in page.meta.revision_date.

Material's partials/source-file.html shows that value under the page. The
dates come from ONE `git log` over the docs directory per build, not one git
process per page. A page git does not know (new, untracked, only seen in
the cut-off commit of a shallow clone, or no git at all) gets the file's
modification time, and a page without a file gets the build date.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.plugins.last_updated")
RECORD = "\x1e"


# -----------------------------------------------------------------------------
# Hooks
# -----------------------------------------------------------------------------


def on_pre_build(config: MkDocsConfig) -> None:
    config.extra["_revision_dates"] = git_dates(Path(config.docs_dir))


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> None:
    dates = config.extra.get("_revision_dates", {})
    page.meta.setdefault("revision_date", revision_date(page.file.src_uri,
                                                         page.file.abs_src_path, dates))


# -----------------------------------------------------------------------------
# Helper functions
# -----------------------------------------------------------------------------


def git_dates(docs_dir: Path) -> dict:
    """Map docs-relative path -> date of the newest commit that touched it."""
    try:
        shallow = run_git(docs_dir, "rev-parse", "--is-shallow-repository",
                          "--git-path", "shallow").splitlines()
        history = run_git(docs_dir, "-c", "core.quotePath=false", "log",
                          f"--format={RECORD}%H %ct", "--name-only", "--relative", "--", ".")
    except (OSError, subprocess.CalledProcessError) as error:
        log.info("No git history for last-updated dates (%s); using file times", error)
        return {}
    grafts = set()
    if shallow and shallow[0] == "true" and len(shallow) > 1:
        grafts = set(Path(docs_dir, shallow[1]).read_text().split())
    return parse_log(history, grafts)


def run_git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True, stdin=subprocess.DEVNULL).stdout


def parse_log(history: str, grafts: set = frozenset()) -> dict:
    """Newest date per path from `git log --format=<RS>%H %ct --name-only`.

    In a shallow clone the cut-off commit looks as if it touched every file
    it contains, so its date says nothing; those paths get the fallback.
    """
    dates, unknown = {}, set()
    for record in history.split(RECORD)[1:]:
        header, *paths = record.splitlines()
        commit, stamp = header.split()
        day = dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc).date()
        for path in filter(None, paths):
            if path in dates or path in unknown:
                continue
            if commit in grafts:
                unknown.add(path)
            else:
                dates[path] = day
    return dates


def revision_date(src_uri: str, abs_src_path: str | None, dates: dict) -> str:
    if src_uri in dates:
        return dates[src_uri].isoformat()
    if abs_src_path and os.path.exists(abs_src_path):
        stamp = os.path.getmtime(abs_src_path)
        return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()
    return build_date().isoformat()


def build_date() -> dt.date:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()
