"""What one build knows, typed: the release data and the downloads.

The hooks that compute a fact (hooks/release_data.py, hooks/downloads.py)
store it on the build's BuildFacts in on_config; the hooks and the Markdown
extension that use it ask for it with need_*(), which says which hook to
list when the fact is missing instead of failing with a KeyError.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, MutableMapping

from sitelib import SiteError

if TYPE_CHECKING:  # pragma: no cover
    from sitelib.downloads import Downloads

# Where the one BuildFacts of a build is kept: an entry of the generator's
# config.extra, so it lives exactly as long as that build's configuration.
SLOT = "_almalinux_build_facts"
PROVIDERS = {
    "releases": ("the release data", "hooks/release_data.py"),
    "downloads": ("the downloads", "hooks/downloads.py"),
}


class MissingFact(SiteError):
    """A hook or marker needs a fact that no listed hook computed."""


@dataclass(frozen=True)
class Releases:
    """The validated release data as published (/releases.json) on `today`."""
    public: dict
    today: dt.date
    source: str                 # the data file, as shown in messages

    @property
    def majors(self) -> list[dict]:
        return self.public["majors"]

    @property
    def releases(self) -> list[dict]:
        return self.public["releases"]


@dataclass
class BuildFacts:
    releases: Releases | None = None
    downloads: "Downloads | None" = None
    # Files other hooks made for downloads/ (name -> bytes), published and
    # checksummed with the rest: the offline copy (hooks/offline_copy.py).
    extra_downloads: dict = field(default_factory=dict)

    @classmethod
    def of(cls, extra: MutableMapping) -> "BuildFacts":
        """The build's facts, kept in `extra` (config.extra); created empty
        by whichever hook asks first, so the hooks' order does not matter."""
        facts = extra.get(SLOT)
        if not isinstance(facts, cls):
            facts = extra[SLOT] = cls()
        return facts

    def need(self, fact: str, user: str):
        value = getattr(self, fact)
        if value is None:
            what, hook = PROVIDERS[fact]
            raise MissingFact(f"{user} needs {what}, which {hook} computes, but it did not "
                              f"run: list {hook} under hooks: in mkdocs.yml (before {user})")
        return value

    def need_releases(self, user: str) -> Releases:
        return self.need("releases", user)

    def need_downloads(self, user: str) -> "Downloads":
        return self.need("downloads", user)
