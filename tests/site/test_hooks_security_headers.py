"""hooks/security_headers.py: the CSP allows exactly the inline scripts the
built pages carry, a page the policy would break fails the build, and the
generated header files agree with deploy/nginx."""

import base64
import hashlib
import re
import textwrap

import pytest

from project import ROOT, run_mkdocs_build
from site_helpers import load_hook

SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
DATA_TYPE = re.compile(r'\btype="(?!text/javascript|module)[^"]+"')
ADD_HEADER = re.compile(r'^add_header (\S+) "(.*)" always;$', re.M)


@pytest.fixture(scope="module")
def hook():
    return load_hook("security_headers")


def nginx_headers(path):
    return dict(ADD_HEADER.findall(path.read_text()))


def test_hash_is_the_one_browsers_compute(hook):
    # The example of the CSP specification.
    assert hook.source_hash("alert('Hello, world.');") == \
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    # The HTML parser turns CRLF into LF before the browser hashes.
    assert hook.source_hash("a;\r\nb;") == hook.source_hash("a;\nb;")


def test_inline_code_finds_executable_scripts_and_styles_only(hook):
    html = textwrap.dedent("""\
        <script>one()</script>
        <script type="module">two()</script>
        <script id="__config" type="application/json">{"a": 1}</script>
        <script src="bundle.js"></script>
        <style>p { color: red }</style>
        <p>text</p>
        """)
    scripts, styles, blocked = hook.inline_code(html)
    assert scripts == ["one()", "two()"]
    assert styles == ["p { color: red }"]
    assert blocked == []


@pytest.mark.parametrize("markup,reported", [
    ('<button onclick="go()">Go</button>', "inline event handler onclick="),
    ('<p style="color: red">red</p>', 'style="color: red" attribute'),
    ('<a href="javascript:go()">go</a>', "javascript: URL in href="),
])
def test_markup_the_policy_would_block_is_reported_with_its_line(hook, markup, reported):
    _, _, blocked = hook.inline_code(f"<p>first</p>\n{markup}\n")
    assert blocked == [(2, reported)]


def test_policy_is_strict(hook):
    policy = hook.content_security_policy(["'sha256-b'", "'sha256-a'", "'sha256-a'"])
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self' 'sha256-a' 'sha256-b'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    for name in ("base-uri", "form-action", "frame-ancestors"):
        assert directives[name] == "'none'"
    assert "unsafe" not in policy


def test_header_values_nginx_would_misread_are_refused(hook):
    with pytest.raises(hook.PolicyError, match="X-Test"):
        hook.nginx_headers({"X-Test": 'a"b'})
    with pytest.raises(hook.PolicyError, match="X-Test"):
        hook.nginx_headers({"X-Test": "$host"})


def test_static_host_file_caches_only_fingerprinted_assets_for_long(hook):
    text = hook.static_host_headers({"X-A": "1"}, [
        "/index.html", "/assets/javascripts/bundle.0123abcd.min.js",
        "/assets/stylesheets/extra.css", "/downloads/almalinux-migrate.sh"])
    assert text.splitlines()[1:] == [
        "/*",
        "  X-A: 1",
        "/assets/javascripts/bundle.0123abcd.min.js",
        f"  Cache-Control: {hook.IMMUTABLE_CACHE}",
        "/downloads/almalinux-migrate.sh",
        "  Content-Type: text/plain; charset=utf-8",
    ]


def test_unknown_download_type_is_an_error_naming_the_file(hook):
    with pytest.raises(hook.PolicyError, match=r"/downloads/x\.zip.*'\.zip'"):
        hook.download_type("/downloads/x.zip")


def test_every_inline_script_of_the_built_site_is_in_the_policy(built_site):
    """Counted independently of the hook: each page's executable inline
    scripts, hashed here, must all be allowed by the generated policy."""
    policy = nginx_headers(built_site / "_nginx" / "security-headers.conf")[
        "Content-Security-Policy"]
    allowed = set(re.search(r"script-src ([^;]+)", policy)[1].split())
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 10
    missing, hashes = [], set()
    for page in pages:
        for match in SCRIPT.finditer(page.read_text()):
            if "src=" in match["attrs"] or DATA_TYPE.search(match["attrs"]):
                continue
            digest = base64.b64encode(hashlib.sha256(match["body"].encode()).digest()).decode()
            source = f"'sha256-{digest}'"
            hashes.add(source)
            if source not in allowed:
                missing.append(f"{page.relative_to(built_site)}: {match['body'][:60]!r}")
    assert not missing, "inline scripts the policy lacks:\n" + "\n".join(missing)
    # Material's scope (one per page depth), palette and anchor scripts, ours.
    assert len(hashes) >= 4
    assert allowed == {"'self'", *hashes}, "the policy allows scripts no page has"


def test_nginx_and_static_host_files_carry_the_same_headers(built_site, hook):
    nginx = nginx_headers(built_site / "_nginx" / "security-headers.conf")
    hsts = nginx_headers(built_site / "_nginx" / "hsts.conf")
    assert hsts == {"Strict-Transport-Security": hook.HSTS}
    assert "Strict-Transport-Security" not in nginx
    lines = (built_site / "_headers").read_text().splitlines()
    everywhere = lines[lines.index("/*") + 1:]
    everywhere = everywhere[:next(i for i, line in enumerate(everywhere)
                                  if not line.startswith("  "))]
    static = dict(line.strip().split(": ", 1) for line in everywhere)
    assert static == {**nginx, **hsts}
    for name in ("X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
                 "Cross-Origin-Opener-Policy"):
        assert nginx[name]


def test_nginx_cache_map_uses_the_hooks_rules(hook):
    text = (ROOT / "deploy" / "nginx" / "cache-map.conf").read_text()
    entries = re.findall(r'^\s+("?)(\S+)\1\s+"([^"]+)";$', text, re.M)
    assert {key: value for _, key, value in entries} == {
        "default": hook.REVALIDATE_CACHE,
        "~" + hook.IMMUTABLE_PATH: hook.IMMUTABLE_CACHE,
    }
    assert hook.cache_control("/assets/javascripts/bundle.a5f9d56c.min.js") == hook.IMMUTABLE_CACHE
    assert hook.cache_control("/assets/stylesheets/extra.css") == hook.REVALIDATE_CACHE
    assert hook.cache_control("/downloads/SHA256SUMS") == hook.REVALIDATE_CACHE


def test_download_types_match_site_conf(hook):
    text = (ROOT / "deploy" / "nginx" / "site.conf").read_text()
    block = re.search(r"location \^~ /downloads/ \{(.*?)\n\}", text, re.S)[1]
    types = {ext: kind for kind, exts in re.findall(r"^\s+(\S+/\S+)\s+([^;{]+);", block, re.M)
             for ext in exts.split()}
    default = re.search(r"default_type (\S+);", block)[1]
    for suffix, expected in hook.DOWNLOAD_TYPES.items():
        served = types.get(suffix.lstrip(".")) if suffix else default
        assert served == expected.split(";")[0], suffix


def test_page_with_an_inline_event_handler_fails_the_build(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        "# Home\n\nText.\n\n<button onclick=\"alert(1)\">Press</button>\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(textwrap.dedent(f"""\
        site_name: Throwaway
        theme:
          name: mkdocs
        hooks:
          - {ROOT / 'hooks' / 'security_headers.py'}
        """))
    result = run_mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "index.html:" in result.stderr
    assert "inline event handler onclick=" in result.stderr
    assert not (tmp_path / "site" / "_nginx" / "security-headers.conf").exists()
