"""Helpers for the site tests: load a hook as a module, build throwaway sites.

(A module of its own, not conftest.py: several test folders have a conftest,
so `import conftest` would be ambiguous.)

A throwaway site lives in tmp_path with its own mkdocs.yml, docs/, data/
and scripts/, and uses the project's real hook files, so the tests exercise
exactly the code the real build runs.
"""

import importlib.util
import re
import shutil
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import markdown as python_markdown
from mkdocs.config import load_config
from mkdocs.structure.files import Files
from mkdocs.utils import meta

from project import ROOT, run_mkdocs_build

HOOKS = ("release_data", "downloads", "markers", "last_updated")

FAKE_SCRIPT = textwrap.dedent("""\
    #!/usr/bin/env bash
    set -euo pipefail
    usage() {
      echo "Usage: almalinux-migrate.sh [--check] [--help]"
      echo "  --check   only run the preflight checks"
    }
    [[ "${1:-}" == "--help" ]] && { usage; exit 0; }
    if [[ "${1:-}" == "--exit-codes" ]]; then
      printf '%s\t%s\t%s\n' 0 OK "Converted, reboot to finish" \
        10 PREFLIGHT "A preflight check failed; nothing changed" \
        2 USAGE "Bad <option> & friends"
      exit 0
    fi
    if [[ "${1:-}" == "--list-findings" ]]; then
      printf '%s\t%s\t%s\t%s\n' \
        low-space blocker "Not enough <free> space" "Free some & run again." \
        http-mirror warning "The mirror is plain http" "Use https." \
        no-bootloader info "No bootloader found" "Nothing to do in a container."
      exit 0
    fi
    exit 2
    """)


def mark_upcoming_after(text, day):
    """The release data text with every release dated after `day` (ISO)
    marked `status: upcoming`, as the data would have been on that day."""
    def mark(match):
        return match.group(0) + ("    status: upcoming\n" if match.group(1) > day else "")
    return re.sub(r"^    date: ([0-9-]+)\n", mark, text, flags=re.M)


def load_hook(name):
    """Import hooks/<name>.py as its own module, as MkDocs does: with hooks/
    on sys.path while it loads, so it finds sitelib."""
    path = ROOT / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"site_test_{name}", path)
    module = importlib.util.module_from_spec(spec)
    saved = sys.path[:]
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def copy_real_project(target, extra_downloads=""):
    """The real site's sources in target, for a build with a changed mkdocs.yml.

    extra_downloads: lines added under extra.downloads (indented 4 spaces).
    No git history there: pages get their files' times as last-updated dates.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("docs", "overrides", "hooks", "data", "scripts"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    config = (ROOT / "mkdocs.yml").read_text()
    anchor = "    fleet: scripts/fleet\n"
    assert anchor in config, "mkdocs.yml: extra.downloads.fleet moved; update copy_real_project"
    (target / "mkdocs.yml").write_text(config.replace(anchor, anchor + extra_downloads))
    return target / "mkdocs.yml"


class Site:
    """A throwaway MkDocs project in a directory, built with the real hooks."""

    def __init__(self, root):
        self.root = Path(root)
        self.config = self.root / "mkdocs.yml"
        self.data = self.root / "data" / "releases.yml"
        self.script = self.root / "scripts" / "almalinux-migrate.sh"
        self.fleet = self.root / "scripts" / "fleet"
        self.output = self.root / "site"
        (self.root / "docs").mkdir(parents=True, exist_ok=True)
        self.data.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / "releases.yml", self.data)
        shutil.copy(ROOT / "data" / "releases.schema.json", self.data.parent)
        shutil.copy(ROOT / "data" / "releases.published.schema.json", self.data.parent)
        self.write_config()

    def write_config(self, theme="material", site_url="https://docs.example.org/",
                     signing_key=None, hooks=HOOKS):
        hooks = "\n".join(f"  - {ROOT / 'hooks' / name}.py" for name in hooks)
        signing = f"    signing_key: {signing_key}\n" if signing_key else ""
        self.config.write_text(textwrap.dedent(f"""\
            site_name: Throwaway
            site_url: {site_url}
            theme:
              name: {theme}
            hooks:
            """) + hooks + textwrap.dedent("""
            extra:
              release_data: data/releases.yml
              downloads:
                script: scripts/almalinux-migrate.sh
                fleet: scripts/fleet
            """) + signing + textwrap.dedent("""\
            markdown_extensions:
              - admonition
              - tables
              - pymdownx.highlight
              - pymdownx.superfences
            """))

    def page(self, name, text):
        path = self.root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def add_script(self, text=FAKE_SCRIPT):
        self.script.parent.mkdir(parents=True, exist_ok=True)
        self.script.write_text(text)
        self.script.chmod(0o755)

    def add_fleet(self, files=None):
        files = files or {"site.yml": "- hosts: all\n", "roles/migrate/tasks/main.yml": "---\n"}
        for name, content in files.items():
            path = self.fleet / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)

    def build(self, env=None):
        return run_mkdocs_build(self.config, self.output, env)

    def configure(self):
        """The config as the hooks leave it before any page is read, in
        process: what `mkdocs build` does first (load mkdocs.yml, every
        hook's on_startup and on_config). Raises the hooks' PluginError."""
        config = load_config(str(self.config))
        config.plugins.on_startup(command="build", dirty=False)
        return config.plugins.on_config(config)

    def render(self, name, config=None):
        """docs/<name> as MkDocs renders a page, in process: front matter
        stripped, the hooks' on_page_markdown, then Python-Markdown with the
        configured extensions (the markers' among them); the HTML, or the
        PluginError that would stop the build."""
        config = config or self.configure()
        path = self.root / "docs" / name
        source = path.read_text()
        page = SimpleNamespace(meta={}, file=SimpleNamespace(
            src_uri=name, abs_src_path=str(path), content_string=source))
        markdown, _ = meta.get_data(source)
        markdown = config.plugins.on_page_markdown(markdown, page=page, config=config,
                                                   files=Files([])) or markdown
        converter = python_markdown.Markdown(extensions=config.markdown_extensions,
                                             extension_configs=config.mdx_configs)
        return converter.convert(markdown)

    def html(self, page="index.html"):
        return (self.output / page).read_text()
