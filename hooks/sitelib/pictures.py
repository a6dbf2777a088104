"""Pictures drawn at build time from the project's own facts: the lifecycle
timeline (from the release data) and the migration's stages (from the
script's stage lists, sitelib.script). Pure functions compute the geometry;
the SVG markup comes from Jinja partials in hooks/partials/. No JavaScript,
nothing loaded from anywhere: the SVG is inline and takes its colours from the site's CSS
(docs/assets/stylesheets/pictures.css), so it follows the light and dark
schemes.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import NamedTuple

from sitelib import SiteError


class PictureError(SiteError, ValueError):
    """The facts do not make a picture."""


# Lifecycle timeline geometry, in SVG user units.
TIMELINE_WIDTH = 560
LABEL_WIDTH = 96
RIGHT_PAD = 16
ROW_HEIGHT = 34
BAR_HEIGHT = 18
TOP = 30
AXIS_GAP = 26
LEGEND_HEIGHT = 34

# Migration diagram geometry.
STAGE_WIDTH = 210
STAGE_HEIGHT = 28
STAGE_GAP = 12
STAGE_X = 16
NOTE_X = 256
NOTE_CHARS = 34
STAGES_WIDTH = 560


class Bar(NamedTuple):
    label: str
    y: float
    release_x: float
    active_x: float
    security_x: float
    description: str


class Tick(NamedTuple):
    x: float
    label: str


class Timeline(NamedTuple):
    width: int
    height: int
    bar_height: int
    axis_y: float
    plot_left: float
    plot_right: float
    bars: list[Bar]
    ticks: list[Tick]
    today_x: float
    today_label: str
    legend_y: float
    description: str


def lifecycle_timeline(majors: list[dict], today: dt.date) -> Timeline:
    """One bar per major version: release, end of active support, end of security support."""
    if not majors:
        raise PictureError("no major version in the release data")
    ordered = sorted(majors, key=lambda m: m["major"], reverse=True)
    first = min(dt.date.fromisoformat(m["release_date"]) for m in ordered)
    last = max(dt.date.fromisoformat(m["security_support_end"]) for m in ordered)
    start, end = dt.date(first.year, 1, 1), dt.date(last.year + 1, 1, 1)
    left, right = float(LABEL_WIDTH), float(TIMELINE_WIDTH - RIGHT_PAD)

    def x(day: dt.date) -> float:
        day = min(max(day, start), end)
        return round(left + (day - start).days / (end - start).days * (right - left), 1)

    bars = []
    for row, major in enumerate(ordered):
        released = dt.date.fromisoformat(major["release_date"])
        active = dt.date.fromisoformat(major["active_support_end"])
        security = dt.date.fromisoformat(major["security_support_end"])
        bars.append(Bar(
            label=f"AlmaLinux {major['major']}",
            y=TOP + row * ROW_HEIGHT,
            release_x=x(released), active_x=x(active), security_x=x(security),
            description=(f"AlmaLinux {major['major']}: released {released.isoformat()}, "
                         f"active support until {active.isoformat()}, "
                         f"security support until {security.isoformat()}.")))
    step = 1 if end.year - start.year <= 8 else 2
    ticks = [Tick(x(dt.date(year, 1, 1)), str(year))
             for year in range(start.year, end.year + 1, step)]
    axis_y = TOP + len(ordered) * ROW_HEIGHT - (ROW_HEIGHT - BAR_HEIGHT) / 2 + 4
    height = int(axis_y + AXIS_GAP + LEGEND_HEIGHT)
    return Timeline(
        width=TIMELINE_WIDTH, height=height, bar_height=BAR_HEIGHT, axis_y=axis_y, plot_left=left, plot_right=right,
        bars=bars, ticks=ticks, today_x=x(today), today_label=f"Today ({today.isoformat()})",
        legend_y=axis_y + AXIS_GAP,
        description=" ".join(b.description for b in bars)
        + f" The line marks the build date, {today.isoformat()}.")


class Stage(NamedTuple):
    name: str
    y: float


class Note(NamedTuple):
    lines: list[str]
    x: float
    y: float
    top: float
    bottom: float


class StageDiagram(NamedTuple):
    width: int
    height: int
    box_x: int
    box_width: int
    box_height: int
    brace_x: int
    stages: list[Stage]
    ponr_y: float
    before: Note
    after: Note
    description: str


def _note(text: str, top: float, bottom: float) -> Note:
    lines = textwrap.wrap(text, NOTE_CHARS)
    middle = (top + bottom) / 2
    return Note(lines=lines, x=NOTE_X + 14, y=round(middle - (len(lines) - 1) * 8, 1),
                top=top, bottom=bottom)


def migration_stages(pre: list[str], post: list[str], codes: dict[str, int]) -> StageDiagram:
    """The stages top to bottom, the point of no return between the two lists."""
    for needed in ("RESTORED", "RESUME"):
        if needed not in codes:
            raise PictureError(f"the script's --exit-codes lists no {needed}")
    stages, y = [], 16.0
    for name in pre:
        stages.append(Stage(name, y))
        y += STAGE_HEIGHT + STAGE_GAP
    ponr_y = y + 6
    y += 2 * STAGE_GAP + 6
    first_post = y
    for name in post:
        stages.append(Stage(name, y))
        y += STAGE_HEIGHT + STAGE_GAP
    pre_bottom = stages[len(pre) - 1].y + STAGE_HEIGHT
    before = _note("A failure here restores the backup: nothing changed, "
                   f"exit {codes['RESTORED']}.", 16, pre_bottom)
    after = _note("A failure here stops with the system partly migrated: fix the cause "
                  f"and run the script again to resume, exit {codes['RESUME']}.",
                  first_post, y - STAGE_GAP)
    description = (f"Before the point of no return: {', '.join(pre)}. "
                   f"After it: {', '.join(post)}. " + " ".join(before.lines) + " "
                   + " ".join(after.lines))
    return StageDiagram(width=STAGES_WIDTH, height=int(y + 4), box_x=STAGE_X, box_width=STAGE_WIDTH,
                        box_height=STAGE_HEIGHT, brace_x=NOTE_X - 10, stages=stages, ponr_y=ponr_y,
                        before=before, after=after, description=description)
