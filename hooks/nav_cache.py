"""Nav cache: render each sidebar section once per directory, not per page.

Every page renders the whole sidebar, but a section that does not hold the
current page (under navigation.prune mostly a single link) comes out the
same for all pages of one directory. partials/nav-item.html asks this
cache for such sections. Only the links differ between pages, and they are
relative: from a page at dir/a/ or dir/b/ every link reads the same unless
it points below the page's own URL, so pages with nav entries below their
URL (the home page, a section's index.md) are never served from the cache.

The cache lives in the Jinja environment, which MkDocs makes afresh for
each build (also on every `mkdocs serve` rebuild).
"""

from __future__ import annotations

from jinja2 import Environment, Undefined
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files


# -----------------------------------------------------------------------------
# Hooks
# -----------------------------------------------------------------------------


def on_env(env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
    env.globals["nav_cache"] = NavCache()
    return env


# -----------------------------------------------------------------------------
# Helpers
# -----------------------------------------------------------------------------


class NavCache(dict):
    """Rendered nav items by (position in the nav, level, parent active,
    the directory the page's relative links start from)."""

    def __init__(self) -> None:
        super().__init__()
        self.nav = None
        self.prefixes: set[str] = set()

    def key(self, nav, page, nav_item, path: str, level: int, parent) -> tuple | None:
        """The cache key for nav_item on page, or None to render it afresh."""
        if nav_item.active or page is None or isinstance(page, Undefined):
            return None
        if nav is not self.nav:
            self.nav, self.prefixes = nav, url_prefixes(nav)
        url = page.url
        if not isinstance(url, str):
            return None
        if url.endswith("/") or not url:
            # A directory URL is the page's own folder: share with siblings
            # unless some nav entry lies below it.
            if url in self.prefixes:
                return None
            base = ("..", url.rstrip("/").rpartition("/")[0])
        else:
            base = (".", url.rpartition("/")[0])
        return path, level, bool(parent and parent.active), base

    def keep(self, key: tuple, html: str) -> str:
        self[key] = html
        return html


def url_prefixes(nav) -> set[str]:
    """Every folder URL that holds some other nav entry: "" and "a/" for a/b/
    (or a/b.html)."""
    prefixes = {""}
    stack = list(nav.items)
    while stack:
        item = stack.pop()
        stack.extend(item.children or ())
        url = getattr(item, "url", None)
        if isinstance(url, str):
            parts = url.rstrip("/").split("/")[:-1]
            for end in range(1, len(parts) + 1):
                prefixes.add("/".join(parts[:end]) + "/")
    return prefixes
