#!/usr/bin/env python3
"""Browser benchmark: Lighthouse scores and first-visit bytes of key pages.

Builds the site with site_url pointing at a local server, so canonical
links, robots.txt and the sitemap name the host actually serving the pages
(Lighthouse 13.5 also scores SEO 100 with the placeholder domain; this just
keeps the pages truthful), then serves it twice: with nginx and the
deployment's configuration (deploy/nginx: precompressed br/gzip, caching,
the Content-Security-Policy), and, as the baseline, with the Python test
server without compression. For home, FAQ, one-host guide and releases it
prints, per server:
- Lighthouse's four category scores (mobile, simulated throttling; each
  score is the median of --runs runs, all performance runs shown);
- the bytes a first visit transfers, counted by the server (bodies plus
  response headers), split into HTML, CSS, JS, search, fonts, images; for
  nginx once with br and once with gzip (the browser's Accept-Encoding set
  to one of them), over HTTP/1.1 like the Lighthouse runs, and once with br
  over TLS and HTTP/2 as the deployment serves it (headers compressed; a
  throwaway certificate); for the baseline uncompressed.
  "search" is the search index and the worker script that queries it: both
  are fetched on every first visit, the budget for the FAQ leaves them out.
The goals apply to nginx, the way the site is deployed; the byte budget to
what a deployment sends (HTTP/2, br).

Lighthouse's performance score is CPU-bound (simulated 4x slowdown of the
tasks it observes), so other work on the machine lowers it. The script
raises its own priority when allowed (root; --no-priority to skip) and
prints the load average next to the scores.

Lighthouse is not a test dependency: this script installs the pinned
version into a cache directory with npm on first use. Chromium is Debian's
(CHROME_PATH, default /usr/bin/chromium); nothing is downloaded for it.

Usage: bench_browser.py [--runs N] [--bytes-only] [--no-strict] [--no-priority]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A script, not a test: pytest.ini's pythonpath does not apply. The e2e
# helpers import the shared ROOT from tests/project.py.
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from nginxserver import NginxServer  # noqa: E402
from siteserver import SiteServer  # noqa: E402

LIGHTHOUSE_VERSION = "13.5.0"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Keep Chromium from calling home; the network here is closed anyway.
CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-domain-reliability",
]
PAGES = {
    "home": "",
    "faq": "faq/",
    "one-host": "migrate/one-host/",
    "releases": "releases/",
}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOALS = {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 100}
KINDS = ("html", "css", "js", "search", "fonts", "images", "other")
FAQ_BUDGET_KB = 55
# Byte measurements: (server, Accept-Encoding the browser sends or None).
BYTE_RUNS = {"nginx br": ("nginx", "br"), "nginx gzip": ("nginx", "gzip"),
             "nginx h2 br": ("nginx-h2", "br"), "baseline": ("baseline", None)}
# What the byte budget is measured on: the deployment's HTTPS server.
BUDGET_RUN = "nginx h2 br"
# Lighthouse runs against these (plain HTTP: no certificate to trust).
SCORED = ("nginx", "baseline")
BUILD_SCRIPT = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
build(load_config("mkdocs.yml", site_dir=sys.argv[1], site_url=sys.argv[2],
                  strict=sys.argv[3] == "strict"))
"""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "almalinux-docs-bench" / f"lighthouse-{LIGHTHOUSE_VERSION}"


def install_lighthouse():
    """Path of Lighthouse's CLI, installing the pinned version if needed."""
    prefix = cache_dir()
    cli = prefix / "node_modules" / "lighthouse" / "cli" / "index.js"
    package = prefix / "node_modules" / "lighthouse" / "package.json"
    if package.is_file() and json.loads(package.read_text())["version"] == LIGHTHOUSE_VERSION:
        return cli
    prefix.mkdir(parents=True, exist_ok=True)
    print(f"==> Installing lighthouse@{LIGHTHOUSE_VERSION} into {prefix}", flush=True)
    result = subprocess.run(
        ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error",
         "--prefix", str(prefix), f"lighthouse@{LIGHTHOUSE_VERSION}"],
        capture_output=True, text=True)
    if result.returncode != 0 or not cli.is_file():
        sys.exit(f"npm could not install lighthouse@{LIGHTHOUSE_VERSION}:\n{result.stderr}")
    return cli


def build_site(site_dir, site_url, strict):
    result = subprocess.run(
        [sys.executable, "-c", BUILD_SCRIPT, str(site_dir), site_url,
         "strict" if strict else "lenient"],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    if result.returncode != 0:
        sys.exit(f"the site does not build (try --no-strict):\n{result.stderr[-3000:]}")


# Lighthouse's own advice for a trace it failed to record ("Please run
# Lighthouse again"): a run that loses its trace is repeated, at most this
# many times, and said so; any other failure stops the benchmark.
TRACE_RETRIES = 2


def run_lighthouse(cli, url, report):
    for attempt in range(TRACE_RETRIES + 1):
        result = subprocess.run(
            ["node", str(cli), url, "--quiet", "--output=json", f"--output-path={report}",
             f"--only-categories={','.join(CATEGORIES)}",
             f"--chrome-flags={' '.join(CHROME_FLAGS)}"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True)
        if result.returncode == 0 or "NO_NAVSTART" not in result.stderr \
                or attempt == TRACE_RETRIES:
            break
        print(f"    lighthouse lost the trace on {url} (NO_NAVSTART); running it again",
              flush=True)
    if result.returncode != 0:
        sys.exit(f"lighthouse failed on {url}:\n{result.stderr[-3000:]}")
    data = json.loads(Path(report).read_text())
    scores = {name: round(data["categories"][name]["score"] * 100) for name in CATEGORIES}
    failing = sorted(
        f"{ref['id']}={data['audits'][ref['id']]['score']}"
        for name in CATEGORIES for ref in data["categories"][name]["auditRefs"]
        if ref["weight"] > 0 and data["audits"][ref["id"]]["score"] is not None
        and data["audits"][ref["id"]]["score"] < 1)
    metrics = {
        key: data["audits"][key]["displayValue"]
        for key in ("first-contentful-paint", "largest-contentful-paint",
                    "total-blocking-time", "cumulative-layout-shift", "speed-index")}
    return scores, failing, metrics


def kind_of(transfer):
    path, ctype = transfer["path"], transfer["type"]
    if path.endswith("/search_index.json") or "/workers/search." in path:
        return "search"  # the index and the worker that exists only to query it
    if ctype == "text/html":
        return "html"
    if ctype == "text/css":
        return "css"
    if ctype == "application/javascript":
        return "js"
    if ctype.startswith("font/") or path.endswith((".woff", ".woff2", ".ttf")):
        return "fonts"
    if ctype.startswith("image/"):
        return "images"
    return "other"


def transfers(server):
    """What the server sent so far: path, type (no parameters), bytes."""
    if isinstance(server, NginxServer):
        return [{"path": entry["uri"].split("?")[0], "status": entry["status"],
                 "type": entry["type"].split(";")[0], "bytes": entry["bytes"]}
                for entry in server.transfers]
    return list(server.transfers)


def clear_transfers(server):
    if isinstance(server, NginxServer):
        server.clear_transfers()
    else:
        server.transfers.clear()


def first_visit_bytes(browser, server, path, encoding):
    """Bytes the server sent for one first visit (empty cache), per kind."""
    headers = {"Accept-Encoding": encoding} if encoding else {}
    context = browser.new_context(extra_http_headers=headers, ignore_https_errors=True)
    page = context.new_page()
    clear_transfers(server)
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    context.close()
    sent = transfers(server)
    totals = dict.fromkeys(KINDS, 0)
    for transfer in sent:
        totals[kind_of(transfer)] += transfer["bytes"]
    return totals, len(sent)


def measure_bytes(servers):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROME_FLAGS[1:])
        try:
            return {
                run: {name: first_visit_bytes(browser, servers[server], path, encoding)
                      for name, path in PAGES.items()}
                for run, (server, encoding) in BYTE_RUNS.items()}
        finally:
            browser.close()


def kb(count):
    return f"{count / 1000:.1f}"


def print_bytes(measured):
    print("\nFirst visit, bytes transferred (KB = 1000 bytes, headers included)")
    print(f"{'page':10} {'served as':10} {'req':>4} " + " ".join(f"{kind:>7}" for kind in KINDS)
          + f" {'total':>7} {'no-search':>9}")
    for name in PAGES:
        for run, pages in measured.items():
            totals, requests = pages[name]
            total = sum(totals.values())
            print(f"{name:10} {run:10} {requests:>4} "
                  + " ".join(f"{kb(totals[kind]):>7}" for kind in KINDS)
                  + f" {kb(total):>7} {kb(total - totals['search']):>9}")


def print_scores(server, results):
    print(f"\nLighthouse {LIGHTHOUSE_VERSION} (mobile, simulated throttling), {server}")
    print(f"{'page':10} " + " ".join(f"{name:>14}" for name in CATEGORIES) + "  performance runs")
    for name, runs in results.items():
        median = median_scores(runs)
        print(f"{name:10} " + " ".join(f"{median[c]:>14}" for c in CATEGORIES)
              + "  " + ", ".join(str(run[0]["performance"]) for run in runs))
        scores, failing, metrics = runs[len(runs) // 2]
        print(f"{'':10} " + ", ".join(f"{k.replace('-', ' ')} {v}" for k, v in metrics.items()))
        if failing:
            print(f"{'':10} below 1: {', '.join(failing)}")


def median_scores(runs):
    return {c: round(statistics.median(run[0][c] for run in runs)) for c in CATEGORIES}


def verdict(results, measured):
    misses = []
    for name, runs in (results or {}).items():
        median = median_scores(runs)
        misses += [f"{name} {c} {median[c]} < {goal}"
                   for c, goal in GOALS.items() if median[c] < goal]
    faq, _ = measured[BUDGET_RUN]["faq"]
    faq_kb = (sum(faq.values()) - faq["search"]) / 1000
    if faq_kb > FAQ_BUDGET_KB:
        misses.append(f"faq first visit {faq_kb:.1f} KB > {FAQ_BUDGET_KB} KB (search excluded)")
    scored = "performance >= 98, accessibility/best practices/SEO 100, " if results else ""
    print(f"\nGoals (nginx): {scored}"
          f"FAQ first visit <= {FAQ_BUDGET_KB} KB without search ({BUDGET_RUN})")
    print("all met" if not misses else "MISSED: " + "; ".join(misses))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    parser.add_argument("--bytes-only", action="store_true",
                        help="measure the bytes only, no Lighthouse runs")
    parser.add_argument("--no-strict", action="store_true",
                        help="build even if MkDocs warns (work in progress)")
    parser.add_argument("--no-priority", action="store_true",
                        help="do not raise the CPU priority of the browser runs")
    args = parser.parse_args()
    priority = "normal"
    if not args.no_priority:
        try:
            os.nice(-10)  # inherited by node and Chromium
            priority = "raised (nice -10)"
        except PermissionError:
            pass
    if not Path(CHROMIUM).is_file():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium (or set CHROME_PATH)")
    cli = None if args.bytes_only else install_lighthouse()

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        for name in ("nginx", "nginx-h2"):
            (Path(tmp) / name).mkdir()
        servers = {"nginx": NginxServer(site, Path(tmp) / "nginx"),
                   "nginx-h2": NginxServer(site, Path(tmp) / "nginx-h2", tls=True),
                   "baseline": SiteServer(site, gzip_text=False)}
        # One build for all; its site_url is nginx's (same host, other port).
        build_site(site, servers["nginx"].url, strict=not args.no_strict)
        load_before = os.getloadavg()
        with servers["nginx"], servers["nginx-h2"], servers["baseline"]:
            measured = measure_bytes(servers)
            results = {server: {} for server in SCORED if not args.bytes_only}
            for name, path in PAGES.items():
                for server in results:
                    instance = servers[server]
                    results[server][name] = [
                        run_lighthouse(cli, instance.url + path,
                                       Path(tmp) / f"{server}-{name}-{run}.json")
                        for run in range(args.runs)]
    print(f"\nCPU priority: {priority}; load average before the runs: "
          + " ".join(f"{load:.1f}" for load in load_before) + ", after: "
          + " ".join(f"{load:.1f}" for load in os.getloadavg())
          + f" ({os.cpu_count()} CPUs)")
    for server, scores in results.items():
        print_scores(server, scores)
    print_bytes(measured)
    verdict(results.get("nginx"), measured)


if __name__ == "__main__":
    main()
