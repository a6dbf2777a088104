"""Every page, on a 375x667 phone and a 1366x768 desktop: no code block
hides the end of a line, no table spills out of the page without a scroll
box (and a box that scrolls shows a cue), identifiers in tables never break
inside, fingerprints wrap only between groups of four, and no copy button
sits on top of text. On the desktop no command line wraps at all."""

import pytest

VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 768}},
}

# One pass over a loaded page; every check reports what it found, so the
# failure message names page, element and numbers.
MEASURE = """() => {
  const EPS = 1;
  const article = document.querySelector("article");
  // Code blocks and tables may bleed into the content's margins on a phone;
  // the content column (.md-content) is the box they must stay within.
  const box = document.querySelector(".md-content").getBoundingClientRect();
  // overflow does nothing on a box laid out as a table: only a block can scroll.
  const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX) &&
                        getComputedStyle(el).display !== "table";
  const overflows = el => el.scrollWidth > el.clientWidth + EPS;
  const name = el => {
    const text = (el.innerText || "").trim().split("\\n")[0].slice(0, 60);
    return `${el.tagName.toLowerCase()} "${text}"`;
  };
  const textRects = root => {
    const rects = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) rects.push(r);
    }
    return rects;
  };
  const visualLines = code => new Set(textRects(code).map(r => Math.round(r.top))).size;
  const result = {
    page: document.documentElement.scrollWidth - window.innerWidth,
    code: [], wrapped: [], tables: [], cues: [], identifiers: [], groups: [],
    buttons: [], measured: {code: 0, tables: 0, buttons: 0},
  };
  for (const code of article.querySelectorAll("pre > code")) {
    result.measured.code += 1;
    if (overflows(code) || code.getBoundingClientRect().right > box.right + EPS)
      result.code.push(`${name(code)}: ${code.scrollWidth}px wide in ${code.clientWidth}px`);
    const lines = code.textContent.replace(/\\n$/, "").split("\\n").length;
    const shown = visualLines(code);
    if (shown > lines) result.wrapped.push(`${name(code)}: ${lines} lines shown on ${shown}`);
  }
  for (const table of article.querySelectorAll("table")) {
    result.measured.tables += 1;
    // The box that clips the table: the nearest scrolling ancestor (or the
    // table itself) that ends inside the content column.
    let holder = null;
    for (let el = table; el && el !== article; el = el.parentElement)
      if (scrolls(el) && el.getBoundingClientRect().right <= box.right + EPS) { holder = el; break; }
    const right = table.getBoundingClientRect().right;
    if (right > box.right + EPS && !holder)
      result.tables.push(`${name(table)}: ends at ${right}px, content ends at ${box.right}px`);
    if (holder && overflows(holder) && !/gradient/.test(getComputedStyle(holder).backgroundImage))
      result.cues.push(`${name(table)} scrolls with no cue`);
    for (const code of table.querySelectorAll("code:not(.almalinux-fingerprint), .almalinux-id"))
      if (code.getClientRects().length > 1 || visualLines(code) > 1)
        result.identifiers.push(`${code.textContent} in ${name(table)}`);
    for (const group of table.querySelectorAll("code.almalinux-fingerprint > span"))
      if (group.getClientRects().length > 1) result.groups.push(group.textContent);
  }
  for (const pre of article.querySelectorAll("pre")) {
    const button = pre.querySelector(".md-code__button, .md-clipboard");
    const code = pre.querySelector("code");
    if (!button || !code) continue;
    const b = button.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) continue;
    result.measured.buttons += 1;
    for (const r of textRects(code)) {
      const apart = r.right <= b.left + EPS || r.left >= b.right - EPS ||
                    r.bottom <= b.top + EPS || r.top >= b.bottom - EPS;
      if (!apart) { result.buttons.push(`copy button over ${name(code)}`); break; }
    }
  }
  return result;
}"""


def site_pages(built_site):
    return sorted(path.parent.relative_to(built_site).as_posix() + "/"
                  for path in built_site.glob("**/index.html")
                  if path.parent.name != "search")


@pytest.fixture(scope="module")
def measure(browser, site_url, built_site, request_log):
    """measure(size) -> {page: measurements} for every page at that size,
    loaded once per size and module."""
    cache = {}

    def run(size):
        if size not in cache:
            cache[size] = measure_site(browser, site_url, built_site, request_log, size)
        return cache[size]

    return run


def measure_site(browser, site_url, built_site, request_log, size):
    context = browser.new_context(base_url=site_url, color_scheme="light", **VIEWPORTS[size])
    context.set_default_timeout(10_000)
    context.on("request", lambda r: request_log.append(r.url))
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    measured = {}
    try:
        for path in site_pages(built_site):
            response = page.goto("" if path == "./" else path)
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
            measured[path] = page.evaluate(MEASURE)
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"
    return measured


@pytest.fixture(params=sorted(VIEWPORTS))
def layout(request, measure):
    """(size, {page: measurements}) at each of the two sizes."""
    return request.param, measure(request.param)


def problems(layout, key):
    size, measured = layout
    return [f"{size} {path}: {item}" for path, found in measured.items() for item in found[key]]


def test_every_page_was_measured(layout):
    _, measured = layout
    assert len(measured) >= 10
    totals = {key: sum(m["measured"][key] for m in measured.values())
              for key in ("code", "tables", "buttons")}
    assert totals["code"] >= 30 and totals["tables"] >= 10 and totals["buttons"] >= 10, totals


def test_no_page_scrolls_sideways(layout):
    size, measured = layout
    wide = [f"{size} {path}: {m['page']}px too wide" for path, m in measured.items()
            if m["page"] > 1]
    assert not wide, "\n".join(wide)


def test_no_code_block_hides_the_end_of_a_line(layout):
    found = problems(layout, "code")
    assert not found, "\n".join(found)


def test_no_command_wraps_on_a_desktop(measure):
    """On a phone a checksum line has to wrap; on a desktop nothing should."""
    found = problems(("desktop", measure("desktop")), "wrapped")
    assert not found, "wrap these with a `\\` continuation:\n" + "\n".join(found)


def test_no_table_overflows_without_a_scroll_box(layout):
    found = problems(layout, "tables")
    assert not found, "\n".join(found)


def test_a_table_that_scrolls_shows_a_cue(layout):
    found = problems(layout, "cues")
    assert not found, "\n".join(found)


def test_identifiers_in_tables_never_break_inside(layout):
    found = problems(layout, "identifiers")
    assert not found, "\n".join(found)


def test_fingerprints_wrap_only_between_groups_of_four(layout):
    found = problems(layout, "groups")
    assert not found, "\n".join(found)


def test_no_copy_button_covers_text(layout):
    found = problems(layout, "buttons")
    assert not found, "\n".join(found)
