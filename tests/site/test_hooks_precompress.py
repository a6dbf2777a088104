"""hooks/precompress.py: .br and .gz next to every text file, decoding to the
file itself, the same bytes on every build, and a loud error without brotli."""

import gzip
import sys

import brotli
import pytest

from site_helpers import load_hook

TEXT = b"<p>" + b"AlmaLinux documentation, compressed ahead of time. " * 200 + b"</p>"


@pytest.fixture(scope="module")
def hook():
    return load_hook("precompress")


def test_variants_decode_to_the_input(hook):
    packed = hook.variants(TEXT)
    assert set(packed) == {".br", ".gz"}
    assert brotli.decompress(packed[".br"]) == TEXT
    assert gzip.decompress(packed[".gz"]) == TEXT
    assert all(len(data) < len(TEXT) for data in packed.values())


def test_variants_are_deterministic_and_carry_no_timestamp(hook):
    first, second = hook.variants(TEXT), hook.variants(TEXT)
    assert first == second
    gz = first[".gz"]
    assert gz[4:8] == b"\0\0\0\0"  # MTIME
    assert gz[3] & 0x08 == 0  # FNAME: no file name stored
    assert gz[8] == 2  # XFL: the slowest, best compression (level 9)


def test_a_variant_that_would_not_shrink_is_left_out(hook):
    assert hook.variants(b"x") == {}


def test_tree_gets_variants_for_text_files_only(hook, tmp_path):
    files = {
        "index.html": TEXT, "a/style.css": TEXT, "a/app.js": TEXT,
        "search/search_index.json": TEXT, "sitemap.xml": TEXT, "icon.svg": TEXT,
        "downloads/almalinux-migrate.sh": TEXT, "image.png": TEXT,
        "downloads/almalinux-migrate.report.schema.json": TEXT,
        "assets/javascripts/lunr/wordcut.js": TEXT,
    }
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    written = {path.relative_to(tmp_path).as_posix() for path in hook.precompress_tree(tmp_path)}
    compressed = {"index.html", "a/style.css", "a/app.js", "search/search_index.json",
                  "sitemap.xml", "icon.svg"}
    assert written == {f"{name}{suffix}" for name in compressed for suffix in (".br", ".gz")}


def test_missing_brotli_package_is_a_clear_error(hook, monkeypatch):
    monkeypatch.setitem(sys.modules, "brotli", None)  # import brotli now fails
    with pytest.raises(RuntimeError, match="brotli Python package is missing.*requirements"):
        hook.variants(TEXT)


def test_built_site_has_both_variants_of_every_text_file(built_site, hook):
    sources = [path for path in built_site.rglob("*") if hook.compressible(path, built_site)]
    kinds = {path.suffix for path in sources}
    assert kinds == set(hook.SUFFIXES), kinds
    assert any(path.name == "search_index.json" for path in sources)
    problems = []
    for path in sources:
        data = path.read_bytes()
        br, gz = path.with_name(path.name + ".br"), path.with_name(path.name + ".gz")
        if len(data) < 200:  # too small to shrink; nothing to check
            continue
        if not br.is_file() or brotli.decompress(br.read_bytes()) != data:
            problems.append(f"{br.relative_to(built_site)} missing or not {path.name}")
        if not gz.is_file() or gzip.decompress(gz.read_bytes()) != data:
            problems.append(f"{gz.relative_to(built_site)} missing or not {path.name}")
    assert not problems, "\n".join(problems)


def test_downloads_get_no_variants_in_the_built_site(built_site):
    # They are served byte for byte as SHA256SUMS lists them, JSON included.
    downloads = {path.name for path in (built_site / "downloads").iterdir()}
    assert "almalinux-migrate.report.schema.json" in downloads
    assert {f"{name}{suffix}" for name in downloads for suffix in (".br", ".gz")} \
        & downloads == set()
