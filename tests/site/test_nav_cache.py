"""The sidebar override and hooks/nav_cache.py change speed, not HTML.

Three builds of one small site whose nav has the awkward cases (home page
above everything, section index pages, pages with nav entries below their
URL in their own and in another section, nesting three deep, a link): Material's own
nav-item.html, the override without the cache and the override with it.
Every page must come out the same (whitespace aside).
"""

import re
import shutil
import textwrap
from types import SimpleNamespace

import pytest
from jinja2 import Undefined

from project import ROOT, run_mkdocs_build
from site_helpers import load_hook

FEATURES = ["navigation.tabs", "navigation.sections", "navigation.prune", "navigation.indexes"]
NAV = """\
nav:
  - Home: index.md
  - FAQ: faq.md
  - Guides:
      - guides/index.md
      - Basics:
          - guides/basics/one.md
          - guides/basics/two.md
      - Advanced:
          - Deep:
              - guides/advanced/deep/a.md
              - guides/advanced/deep/b.md
          - guides/advanced/c.md
  - Notes:
      - Below intro: reference/intro/more.md
      - notes/x.md
      - Below x: notes/x/under.md
      - Elsewhere: https://example.org/
  - Reference:
      - Intro: reference/intro.md
      - Tools:
          - reference/tools/index.md
          - reference/tools/t1.md
"""


def write_project(root, *, override, cache, directory_urls):
    docs = root / "docs"
    for name in re.findall(r"(\S+\.md)", NAV):
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {path.stem}\n\nText of {name}.\n\n## A heading\n\nMore.\n")
    theme = "theme:\n  name: material\n  features:\n" + "".join(f"    - {f}\n" for f in FEATURES)
    if override:
        partials = root / "overrides" / "partials"
        partials.mkdir(parents=True)
        shutil.copy(ROOT / "overrides" / "partials" / "nav-item.html", partials)
        theme += "  custom_dir: overrides\n"
    hooks = f"hooks:\n  - {ROOT / 'hooks' / 'nav_cache.py'}\n" if cache else ""
    (root / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Nav
        site_url: https://docs.example.org/
        use_directory_urls: {str(directory_urls).lower()}
        """) + theme + hooks + NAV)


def normalized(html):
    html = re.sub(r">\s+", ">", html)
    html = re.sub(r"\s+<", "<", html)
    html = re.sub(r'class="([^"]*)"', lambda m: 'class="%s"' % " ".join(m.group(1).split()), html)
    return re.sub(r"\s+", " ", html)


def built_pages(root):
    result = run_mkdocs_build(root / "mkdocs.yml", root / "site")
    assert result.returncode == 0, result.stderr
    return {path.relative_to(root / "site").as_posix(): normalized(path.read_text())
            for path in sorted((root / "site").rglob("*.html"))}


@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_sidebar_override_and_cache_render_materials_html(tmp_path, directory_urls):
    builds = {}
    for name, override, cache in (("material", False, False), ("override", True, False),
                                  ("cached", True, True)):
        write_project(tmp_path / name, override=override, cache=cache,
                      directory_urls=directory_urls)
        builds[name] = built_pages(tmp_path / name)
    assert len(builds["material"]) >= 12
    for name in ("override", "cached"):
        assert builds[name].keys() == builds["material"].keys()
        different = [page for page in builds["material"]
                     if builds[name][page] != builds["material"][page]]
        assert different == [], f"{name}: pages whose HTML differs from Material's"


@pytest.fixture(scope="module")
def nav_cache():
    return load_hook("nav_cache")


def fake_nav(*urls):
    pages = [SimpleNamespace(url=url, children=None, active=False) for url in urls]
    return SimpleNamespace(items=[SimpleNamespace(children=pages, active=False)]), pages


def test_folders_holding_nav_entries_are_found(nav_cache):
    nav, _ = fake_nav("", "faq/", "guides/", "guides/basics/one/", "notes/x.html")
    assert nav_cache.url_prefixes(nav) == {"", "guides/", "guides/basics/", "notes/"}


def test_sibling_pages_share_a_key_and_pages_above_entries_get_none(nav_cache):
    nav, (home, faq, guides, one, two) = fake_nav(
        "", "faq/", "guides/", "guides/basics/one/", "guides/basics/two/")
    cache = nav_cache.NavCache()
    section = SimpleNamespace(active=False)
    key = cache.key(nav, one, section, "__nav_3", 1, None)
    assert key is not None
    assert cache.key(nav, two, section, "__nav_3", 1, None) == key
    assert cache.key(nav, faq, section, "__nav_3", 1, None) != key
    assert cache.key(nav, home, section, "__nav_3", 1, None) is None
    assert cache.key(nav, guides, section, "__nav_3", 1, None) is None
    assert cache.key(nav, one, SimpleNamespace(active=True), "__nav_3", 1, None) is None
    assert cache.key(nav, None, section, "__nav_3", 1, None) is None
    assert cache.key(nav, Undefined(name="page"), section, "__nav_3", 1, None) is None
