"""Keeps `mkdocs serve` answering when a rebuild fails.

MkDocs' live-reload server holds every page request until a rebuild
succeeds, so one bad save (a malformed date, a broken link, an unknown
marker) makes the browser wait until the author finds the error in the
terminal. Here a failed rebuild is reported and then counts as finished:
the server keeps serving the last good build and the next good save
reloads the browser. Only `mkdocs serve` calls on_serve: `mkdocs build`
and CI stay strict.
"""

import logging
from typing import Callable

log = logging.getLogger("mkdocs.hooks.serve_guard")


def guarded(builder: Callable[[], None], report: Callable[[Exception], None]) -> Callable[[], None]:
    """builder, except that a failure is handed to report instead of raised."""
    def build(*args, **kwargs):
        try:
            builder(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any failure, reported below
            report(error)
    return build


def report_failure(error: Exception) -> None:
    log.error("Build failed: %s", str(error).strip() or type(error).__name__)
    log.error("Still serving the last good build; save a fix and the browser reloads.")


def on_serve(server, config, builder):
    server.builder = guarded(server.builder, report_failure)
    return server
