#!/usr/bin/env python3
"""Site build benchmark: prints figures and PASS/FAIL against the goals.

1. The real site with hooks vs. the same Markdown without them: a copy whose
   pages hold what the hooks rendered (markers already expanded, dates in
   the front matter, downloads as plain files) and whose mkdocs.yml lists no
   content hooks. Both builds then write the same pages; the difference is
   what the hooks cost.
2. The site padded with 100, 1000 and 5000 generated pages, in chapters of
   50 pages nested in parts and tabs (see pad()) so navigation.prune keeps
   each page's navigation small.

Goals (2-core machine): hooks and last-updated dates add at most 10 %;
5000 pages build in at most 40 s into at most 0.45 GB, growing linearly.
Run: .venv/bin/python tests/bench/bench_site.py [--sizes 100,1000,5000] [--runs 7]
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES_PER_SECTION = 50
CHAPTERS_PER_PART = 5
PARTS_PER_TAB = 4
HOOK_OVERHEAD_GOAL = 0.10
BIG_PAGES, BIG_SECONDS, BIG_BYTES = 5000, 40.0, 0.45e9
MARKER = re.compile(r"<!--\s*(?:release|download|script):[^>]*-->")


class Loader(yaml.SafeLoader):
    """mkdocs.yml may hold !!python/name tags (pymdownx); keep them as text."""


Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def build(project: Path, site: Path, strict: bool = True) -> tuple:
    """(wall seconds, CPU seconds) of one `mkdocs build` of project into site.

    CPU time (user + system of the build process) is the steadier figure
    when other work shares the machine; wall time is what a user waits.
    """
    shutil.rmtree(site, ignore_errors=True)
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet",
               "--config-file", str(project / "mkdocs.yml"), "--site-dir", str(site)]
    if strict:
        command.append("--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"build of {project} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed_pair(first: Path, second: Path, tmp: Path, runs: int) -> tuple:
    """Builds of two projects, alternated so both meet the same background
    load; the fastest of `runs` (wall, CPU) for each, the least disturbed."""
    samples = {first: [], second: []}
    for _ in range(runs):
        for project in (first, second):
            samples[project].append(build(project, tmp / f"site-{project.name}"))
    return tuple((min(w for w, _ in samples[p]), min(c for _, c in samples[p]))
                 for p in (first, second))


PROFILE = """
import cProfile, pstats, resource, sys, time
from mkdocs.__main__ import cli
sys.argv = ["mkdocs", "build", "--quiet", "--site-dir", sys.argv[1]]
profile = cProfile.Profile(time.process_time)
try:
    profile.runcall(cli)
except SystemExit:
    pass
stats = pstats.Stats(profile).stats
total = max(entry[3] for entry in stats.values())
hooks = sum(entry[3] for (path, _, name), entry in stats.items()
            if "/hooks/" in path and (name.startswith("on_") or name == "<module>"
                                      or path.endswith("markdown_ext.py") and name == "run"))
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(hooks, total, children.ru_utime + children.ru_stime)
"""


def hook_share(project: Path, site: Path) -> tuple:
    """(share of the build's Python CPU spent in hook code, CPU seconds of
    the processes the hooks start: git, bash --help), from a profiled build:
    steadier than the difference of two timed builds on a shared machine."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-c", PROFILE, str(site)], cwd=project, env=env,
                            capture_output=True, text=True, check=True)
    hooks, total, children = map(float, result.stdout.split()[-3:])
    return hooks / total, children


def size_of(site: Path) -> int:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


def copy_project(target: Path) -> Path:
    """Copy what a build reads (git history too, for last-updated dates)."""
    target.mkdir(parents=True)
    for name in ("docs", "overrides", "hooks", "data", "scripts"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    commit(target, "copy")
    return target


def commit(project: Path, message: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=project, env=env, check=True)


DUMP_HOOK = """
import os
from pathlib import Path
import yaml
from mkdocs.plugins import event_priority
from sitelib.markdown_ext import MarkersExtension
from sitelib.markers import render_markers

OUT = Path(os.environ["BENCH_EXPANDED_DOCS"])


@event_priority(-100)
def on_page_markdown(markdown, *, page, config, files):
    # The markers render in a Markdown extension (hooks/markers.py adds it,
    # after this event has told it the page): expand them here the same way.
    markers = next(e for e in config.markdown_extensions if isinstance(e, MarkersExtension))
    markdown = render_markers(markdown, markers.facts(), markers.page(),
                              markers.getConfig("site_url") or None)
    target = OUT / page.file.src_uri
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = yaml.safe_dump(dict(page.meta), sort_keys=False, allow_unicode=True)
    target.write_text(f"---\\n{meta}---\\n\\n{markdown}")
    return markdown
"""


def expanded_docs(project: Path, tmp: Path) -> Path:
    """The pages as the hooks hand them to Markdown, plus the files the hooks
    publish, from one build of a throwaway copy with a dumping hook."""
    expander = copy_project(tmp / "expander")
    (expander / "hooks" / "bench_dump.py").write_text(DUMP_HOOK)
    config = (expander / "mkdocs.yml").read_text()
    config = re.sub(r"^hooks:\n", "hooks:\n  - hooks/bench_dump.py\n", config, flags=re.M)
    (expander / "mkdocs.yml").write_text(config)
    out = tmp / "expanded-docs"
    os.environ["BENCH_EXPANDED_DOCS"] = str(out)
    try:
        build(expander, tmp / "site-expander")
    finally:
        del os.environ["BENCH_EXPANDED_DOCS"]
    site = tmp / "site-expander"
    for asset in (project / "docs").rglob("*"):
        if asset.is_file() and asset.suffix != ".md":
            target = out / asset.relative_to(project / "docs")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(asset, target)
    shutil.copytree(site / "downloads", out / "downloads")
    shutil.copy(site / "releases.json", out / "releases.json")
    shutil.rmtree(expander)
    return out


def strip_hooks(project: Path, expanded: Path) -> None:
    """Same rendered Markdown, no content hooks. hooks/nav_cache.py stays:
    it only speeds up the sidebar, so both builds render it alike."""
    config = (project / "mkdocs.yml").read_text()
    config = re.sub(r"^  - hooks/(?!nav_cache\.py).*\n", "", config, flags=re.M)
    config = re.sub(r"^extra:\n(?:(?:  .*)?\n)+", "", config, flags=re.M)
    (project / "mkdocs.yml").write_text(config)
    shutil.rmtree(project / "docs")
    shutil.copytree(expanded, project / "docs")
    commit(project, "expanded")


def generated_page(number: int) -> str:
    return f"""# Generated page {number}

This page stands in for a real guide. It has a few paragraphs, a table, a
code block and an admonition, like the hand-written pages.

## Before you start

AlmaLinux <!-- release:latest 9 --> is the latest 9.x release; major 8 gets
security fixes until <!-- release:eol 8 -->. Check the host first.

| Step | What it does |
|------|--------------|
| 1 | Back up the host |
| 2 | Run the checks |
| 3 | Convert |

```sh
sudo dnf -y upgrade
sudo reboot
```

!!! note "Why a reboot"
    The new kernel only runs after a reboot; page {number} says so too.

## Afterwards

See [the FAQ](../../../../faq.md) for the questions people ask most. This
text repeats some words so the search index has something to hold:
migrate, convert, release, repository, mirror, signature, rollback.
"""


def pad(project: Path, count: int) -> None:
    """Add `count` pages under docs/generated/ and to the navigation.

    Chapters of 50 pages, 5 chapters to a part, 4 parts to a tab. With
    navigation.tabs + sections + prune a page's sidebar then holds its
    chapter's pages, the other chapters of its tab as one link each and
    the tabs: about the same for 1000 or 5000 pages.
    """
    docs = project / "docs" / "generated"
    per_chapter = PAGES_PER_SECTION
    per_part = per_chapter * CHAPTERS_PER_PART
    per_tab = per_part * PARTS_PER_TAB
    tabs = []
    for tab_start in range(0, count, per_tab):
        parts = []
        for part_start in range(tab_start, min(count, tab_start + per_tab), per_part):
            chapters = []
            for chapter_start in range(part_start, min(count, part_start + per_part), per_chapter):
                entries = []
                for number in range(chapter_start, min(count, chapter_start + per_chapter)):
                    name = (f"t{tab_start // per_tab:02d}/p{part_start // per_part:03d}/"
                            f"c{chapter_start // per_chapter:04d}/page{number:05d}.md")
                    path = docs / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(generated_page(number))
                    entries.append({f"Page {number}": f"generated/{name}"})
                chapters.append({f"Chapter {chapter_start // per_chapter + 1}": entries})
            parts.append({f"Part {part_start // per_part + 1}": chapters})
        tabs.append({f"Guides {tab_start // per_tab + 1}": parts})
    config = (project / "mkdocs.yml").read_text()
    nav = yaml.safe_dump(tabs, sort_keys=False)
    config = config.rstrip("\n") + "\n" + "\n".join("  " + line for line in nav.splitlines()) + "\n"
    (project / "mkdocs.yml").write_text(config)
    commit(project, f"pad {count}")


def nav_entries(site: Path) -> int:
    """Sidebar entries of one generated page (what each page pays to render)."""
    page = next((site / "generated").rglob("index.html")).read_text()
    return page.count('class="md-nav__item')


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--runs", type=int, default=7, help="builds of the real site with and without hooks")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    base_pages = len(list((ROOT / "docs").rglob("*.md")))

    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        tmp = Path(tmp)
        with_hooks = copy_project(tmp / "with-hooks")
        without = copy_project(tmp / "without-hooks")
        strip_hooks(without, expanded_docs(with_hooks, tmp))
        (w_with, c_with), (w_without, c_without) = timed_pair(with_hooks, without, tmp, args.runs)
        s_with = size_of(tmp / f"site-{with_hooks.name}")
        s_without = size_of(tmp / f"site-{without.name}")
        share, children = hook_share(with_hooks, tmp / "site-profiled")
        hook_cpu = share * (c_with - children) + children
        overhead = hook_cpu / (c_with - hook_cpu)
        print(f"real site ({base_pages} pages), fastest of {args.runs} alternated builds:")
        print(f"  with hooks     {w_with:6.2f} s wall  {c_with:6.2f} s CPU  {s_with / 1e6:7.2f} MB")
        print(f"  without hooks  {w_without:6.2f} s wall  {c_without:6.2f} s CPU  "
              f"{s_without / 1e6:7.2f} MB")
        measured = c_with / c_without - 1
        print(f"  hooks + dates add {measured * 100:+.1f} % CPU, "
              f"{(w_with / w_without - 1) * 100:+.1f} % wall "
              f"(goal <= {HOOK_OVERHEAD_GOAL * 100:.0f} %): {verdict(measured <= HOOK_OVERHEAD_GOAL)}")
        print(f"  profiled: hook code {share * 100:.1f} % of the build's Python CPU, "
              f"plus {children:.3f} s CPU in git and bash --help "
              f"({overhead * 100:.1f} % of the rest of the build)")

        results = []
        for count in sizes:
            project = copy_project(tmp / f"padded-{count}")
            pad(project, count)
            seconds, cpu = build(project, tmp / f"site-{count}")
            size = size_of(tmp / f"site-{count}")
            index = size_of(tmp / f"site-{count}" / "search")
            entries = nav_entries(tmp / f"site-{count}")
            results.append((count, seconds, cpu, size))
            print(f"padded +{count:5d} pages: {seconds:6.2f} s wall  {cpu:6.2f} s CPU  "
                  f"{size / 1e9:6.3f} GB  "
                  f"({cpu / (count + base_pages) * 1000:5.1f} ms CPU, "
                  f"{size / (count + base_pages) / 1e3:6.1f} kB per page; "
                  f"search index {index / 1e6:.1f} MB; {entries} nav entries per page)")
            shutil.rmtree(tmp / f"site-{count}")
            shutil.rmtree(project)

        # Judged on CPU time: the build is one process on one core, so on an
        # idle machine wall time is about its CPU time; on a shared machine
        # wall time mostly measures the neighbours.
        for count, seconds, cpu, size in results:
            if count == BIG_PAGES:
                print(f"{BIG_PAGES} pages in <= {BIG_SECONDS:.0f} s (judged on CPU): "
                      f"{verdict(cpu <= BIG_SECONDS)} ({cpu:.1f} s CPU, {seconds:.1f} s wall)")
                print(f"{BIG_PAGES} pages in <= {BIG_BYTES / 1e9:.2f} GB: "
                      f"{verdict(size <= BIG_BYTES)} ({size / 1e9:.3f} GB)")
        if len(results) >= 2:
            (c1, _, t1, b1), (c2, _, t2, b2) = results[-2], results[-1]
            n1, n2 = c1 + base_pages, c2 + base_pages
            time_ratio = (t2 / n2) / (t1 / n1)
            size_ratio = (b2 / n2) / (b1 / n1)
            linear = time_ratio <= 1.25 and size_ratio <= 1.25
            print(f"per-page cost {c2} vs {c1} pages: CPU time x{time_ratio:.2f}, "
                  f"size x{size_ratio:.2f} (linear if <= 1.25): {verdict(linear)}")


if __name__ == "__main__":
    main()
