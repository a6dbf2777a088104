"""sitelib, the hooks' logic without MkDocs: it imports and renders pages
with MkDocs out of reach, its Markdown extension renders markers for any
Python-Markdown user and leaves code alone, and the hooks that connect it to
MkDocs say which hook is missing instead of failing with a KeyError."""

import ast
import json
import subprocess
import sys
import textwrap

import markdown
import pytest
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from project import ROOT
from site_helpers import HOOKS
from sitelib import release_data
from sitelib.facts import BuildFacts, Releases
from sitelib.markdown_ext import MarkersExtension
from sitelib.markers import PageErrors, PageRef

ADAPTERS = ("release_data", "release_feeds", "downloads", "markers")
DAY = release_data.dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def facts():
    data = release_data.load_release_data(ROOT / "data" / "releases.yml", "data/releases.yml", DAY)
    return BuildFacts(releases=Releases(public=release_data.public_data(data, DAY), today=DAY,
                                        source="data/releases.yml"))


def latest(facts, major):
    return next(m["latest"] for m in facts.releases.majors if m["major"] == major)


def test_sitelib_renders_the_real_project_with_mkdocs_out_of_reach():
    """The extension on its own (as a generator without hooks runs it): it
    computes the facts from the project's files; importing mkdocs fails."""
    program = textwrap.dedent("""\
        import json, sys
        sys.modules["mkdocs"] = None        # any import of mkdocs now raises
        sys.path.insert(0, sys.argv[1] + "/hooks")
        import markdown
        from sitelib import downloads, facts, markdown_ext, markers, pictures
        from sitelib import release_data, release_feeds, script, signing
        html = markdown.markdown(
            "Latest: <!-- release:latest 9 -->\\n\\n<!-- script:exit-codes -->\\n\\n"
            "<!-- script:findings -->\\n\\nGet <!-- download:link almalinux-migrate.sh -->.\\n",
            extensions=[markdown_ext.MarkersExtension(project_dir=sys.argv[1],
                                                      site_url="https://docs.example.org/")])
        print(json.dumps({"html": html,
                          "mkdocs": sorted(m for m in sys.modules if m.startswith("mkdocs")
                                           and sys.modules[m] is not None)}))
        """)
    result = subprocess.run([sys.executable, "-c", program, str(ROOT)], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["mkdocs"] == []
    data = release_data.load_release_data(ROOT / "data" / "releases.yml", "data/releases.yml")
    nine = next(m for m in release_data.public_data(data, release_data.build_date())["majors"]
                if m["major"] == 9)
    assert f"<p>Latest: {nine['latest']}</p>" in out["html"]
    codes = subprocess.run(["bash", "scripts/almalinux-migrate.sh", "--exit-codes"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    findings = subprocess.run(["bash", "scripts/almalinux-migrate.sh", "--list-findings"],
                              cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.splitlines()
    assert out["html"].count("<tr><td>") == len(codes)
    assert out["html"].count('<tr id="finding-') == len(findings)
    assert 'href="https://docs.example.org/downloads/almalinux-migrate.sh" download' in out["html"]


def test_no_sitelib_module_imports_mkdocs():
    for path in sorted((ROOT / "hooks" / "sitelib").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if name.split(".")[0] == "mkdocs"], path


@pytest.mark.parametrize("name", ADAPTERS)
def test_hook_files_are_adapters_with_one_handler_per_event(name):
    """Only on_<event> handlers and private helpers: the logic is in sitelib."""
    tree = ast.parse((ROOT / "hooks" / f"{name}.py").read_text())
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions and all(f.startswith(("on_", "_")) for f in functions), functions
    assert len(functions) == len(set(functions))
    assert sum(len(node.body) for node in tree.body if isinstance(node, ast.FunctionDef)) < 40


@pytest.mark.parametrize("extensions", [["fenced_code"], ["pymdownx.superfences"]],
                         ids=["fenced_code", "superfences"])
def test_extension_leaves_markers_in_code_as_written(facts, extensions):
    text = textwrap.dedent("""\
        Write `<!-- release:latest 9 -->` to get <!-- release:latest 9 -->.

        ```markdown
        <!-- release:table -->
        <!-- release:nonsense -->
        ```

        ~~~~
        <!-- Release:Latest 10 -->
        ~~~~

        After: <!-- release:latest 10 -->.
        """)
    html = markdown.markdown(text, extensions=[MarkersExtension(facts=facts), *extensions])
    assert f"<code>&lt;!-- release:latest 9 --&gt;</code> to get {latest(facts, 9)}." in html
    assert "&lt;!-- release:table --&gt;\n&lt;!-- release:nonsense --&gt;" in html
    assert "&lt;!-- Release:Latest 10 --&gt;" in html
    assert f"After: {latest(facts, 10)}." in html
    assert 'data-almalinux="release-table"' not in html


def test_extension_error_names_page_and_line_and_uses_the_given_exception(facts):
    class BuildStop(Exception):
        pass

    page = PageRef(path="docs/guide.md", first_line=7)
    extension = MarkersExtension(facts=facts, page=lambda: page, error=BuildStop)
    with pytest.raises(BuildStop) as caught:
        markdown.markdown("# Guide\n\n```\n<!-- release:nope -->\n```\n\n<!-- release:nope -->\n",
                          extensions=[extension, "fenced_code"])
    assert str(caught.value) == ("docs/guide.md:13: unknown marker release:nope "
                                 "(known: release:date, release:eol, release:keys, "
                                 "release:latest, release:lifecycle, release:majors, "
                                 "release:table, release:timeline)")
    with pytest.raises(PageErrors):
        markdown.markdown("<!-- release:latest 7 -->", extensions=[MarkersExtension(facts=facts)])


@pytest.mark.parametrize("hooks, marker, message", [
    (("markers",), "<!-- release:latest 9 -->",
     "docs/get.md:3: hooks/markers.py needs the release data, which hooks/release_data.py "
     "computes, but it did not run: list hooks/release_data.py under hooks: in mkdocs.yml "
     "(before hooks/markers.py)"),
    (("release_data", "markers"), "<!-- download:sha256 almalinux-migrate.sh -->",
     "docs/get.md:3: hooks/markers.py needs the downloads, which hooks/downloads.py computes, "
     "but it did not run: list hooks/downloads.py under hooks: in mkdocs.yml "
     "(before hooks/markers.py)"),
    (("release_data", "markers"), "<!-- script:exit-codes -->",
     "docs/get.md:3: hooks/markers.py needs the downloads, which hooks/downloads.py computes"),
])
def test_marker_whose_hook_is_missing_says_which_hook_to_list(site, hooks, marker, message):
    site.write_config(hooks=hooks)
    site.page("get.md", f"# Get\n\n{marker}\n")
    with pytest.raises(PluginError) as caught:
        site.render("get.md")
    assert message in str(caught.value)
    assert "KeyError" not in str(caught.value)


@pytest.mark.parametrize("hooks, message", [
    (("release_feeds",), "hooks/release_feeds.py needs the release data, which "
     "hooks/release_data.py computes, but it did not run: list hooks/release_data.py under "
     "hooks: in mkdocs.yml (before hooks/release_feeds.py)"),
])
def test_publishing_hook_whose_provider_is_missing_says_which_hook_to_list(site, hooks, message):
    site.write_config(hooks=hooks)
    config = site.configure()
    with pytest.raises(PluginError) as caught:
        config.plugins.on_files(Files([]), config=config)
    assert str(caught.value) == message


def test_missing_hook_fails_a_real_build_with_the_message(site):
    site.write_config(hooks=("release_feeds", "markers"))
    result = site.build()
    assert result.returncode != 0
    assert "hooks/release_feeds.py needs the release data" in result.stderr, result.stderr
    assert "KeyError" not in result.stderr


def test_hooks_in_any_order_render_the_same_page(site):
    """Facts are made in on_config and used in later events, so a reordered
    hooks: list renders the same; only a missing hook is an error."""
    site.add_script()
    site.page("index.md", "# Facts\n\n<!-- release:latest 9 -->\n\n<!-- release:keys -->\n\n"
                          "<!-- download:sha256 almalinux-migrate.sh -->\n\n"
                          "<!-- script:exit-codes -->\n")
    rendered = []
    for hooks in (HOOKS, tuple(reversed(HOOKS))):
        site.write_config(hooks=hooks)
        rendered.append(site.render("index.md"))
    assert rendered[0] == rendered[1]
    assert 'data-almalinux="gpg-keys"' in rendered[0] and 'data-almalinux="exit-codes"' in rendered[0]
