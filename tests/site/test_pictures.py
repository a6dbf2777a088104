"""Pictures drawn at build time: the lifecycle timeline and the migration stages."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from jinja2 import Environment, FileSystemLoader

from migrate_script import exit_codes
from project import ROOT
from sitelib import pictures
from sitelib.script import ScriptError, script_stages

SVG = "{http://www.w3.org/2000/svg}"
MAJORS = [
    {"major": 8, "release_date": "2021-03-30", "active_support_end": "2024-05-31",
     "security_support_end": "2029-05-31"},
    {"major": 9, "release_date": "2022-05-26", "active_support_end": "2027-05-31",
     "security_support_end": "2032-05-31"},
]
partials = Environment(loader=FileSystemLoader(ROOT / "hooks" / "partials"), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True)


def svg_of(template, **values):
    figure = ET.fromstring(partials.get_template(template).render(**values))
    return figure.find(f"{SVG}svg")


def test_one_bar_per_major_newest_first_with_dates_in_order():
    timeline = pictures.lifecycle_timeline(MAJORS, dt.date(2026, 12, 2))
    assert [b.label for b in timeline.bars] == ["AlmaLinux 9", "AlmaLinux 8"]
    for bar in timeline.bars:
        assert timeline.plot_left <= bar.release_x < bar.active_x < bar.security_x <= timeline.plot_right


def test_the_today_line_sits_at_the_build_date_between_its_year_ticks():
    timeline = pictures.lifecycle_timeline(MAJORS, dt.date(2026, 12, 2))
    before = max(t.x for t in timeline.ticks if int(t.label) <= 2026)
    after = min(t.x for t in timeline.ticks if int(t.label) > 2026)
    assert before < timeline.today_x < after
    assert "2026-12-02" in timeline.today_label


def test_bars_keep_their_proportions():
    timeline = pictures.lifecycle_timeline(MAJORS, dt.date(2026, 12, 2))
    eight = timeline.bars[1]
    per_day = (timeline.plot_right - timeline.plot_left) / (dt.date(2033, 1, 1) - dt.date(2021, 1, 1)).days
    assert eight.active_x - eight.release_x == pytest.approx(
        (dt.date(2024, 5, 31) - dt.date(2021, 3, 30)).days * per_day, abs=0.2)


def test_timeline_svg_has_title_description_and_every_bar():
    timeline = pictures.lifecycle_timeline(MAJORS, dt.date(2026, 12, 2))
    svg = svg_of("lifecycle-timeline.html", t=timeline)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text
    desc = svg.find(f"{SVG}desc").text
    for major in MAJORS:
        assert major["security_support_end"] in desc and major["active_support_end"] in desc
    assert len(svg.findall(f".//{SVG}rect[@class='tl-active']")) == len(MAJORS) + 1  # + legend


def test_stages_come_from_the_scripts_own_lists_with_the_point_of_no_return_between():
    script = (ROOT / "scripts" / "almalinux-migrate.sh").read_text()
    pre, post = script_stages(script)
    assert pre and post
    codes = {name: code for name, (code, _) in exit_codes().items()}
    diagram = pictures.migration_stages(pre, post, codes)
    assert [s.name for s in diagram.stages] == pre + post
    last_pre = diagram.stages[len(pre) - 1]
    first_post = diagram.stages[len(pre)]
    assert last_pre.y + diagram.box_height < diagram.ponr_y < first_post.y
    svg = svg_of("migration-stages.html", d=diagram)
    assert [g.get("data-stage") for g in svg.findall(f"{SVG}g")] == pre + post
    text = " ".join(svg.itertext())
    assert f"exit {codes['RESTORED']}" in text and f"exit {codes['RESUME']}" in text


def test_a_new_stage_in_the_script_shows_up_without_touching_the_hook():
    script = "readonly PRE_STEPS=(a b)\nreadonly POST_STEPS=(c new-step d)\n"
    pre, post = script_stages(script)
    assert post == ["c", "new-step", "d"]


def test_a_script_without_stage_lists_is_an_error_not_an_empty_picture():
    with pytest.raises(ScriptError, match="PRE_STEPS"):
        script_stages("readonly POST_STEPS=(a)\n")
