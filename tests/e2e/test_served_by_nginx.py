"""The site as nginx serves it with the deployment's configuration: nginx -t,
the security headers on every kind of response, precompressed text, caching,
types of the downloads, the hidden header files; the deployment file itself
with TLS and its HTTP redirect; and the CSP listener catching a violation."""

import gzip
import http.client
import importlib.util
import socket
import ssl
import subprocess
import time
from pathlib import Path

import brotli
import pytest

from nginxserver import ROOT, NginxServer, free_port, make_certificate, preview

DEPLOY = ROOT / "deploy" / "nginx"
TEXT_ASSETS = {
    "html": "faq/index.html",
    "css": "assets/stylesheets/main.*.min.css",
    "js": "assets/javascripts/bundle.*.min.js",
    "json": "search/search_index.json",
    "xml": "sitemap.xml",
    "svg": "assets/images/favicon.svg",
}
DECODERS = {"br": brotli.decompress, "gzip": gzip.decompress}
# The type nginx must send for each kind of file the build writes.
SERVED_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".gz": "application/gzip",
    ".br": "application/octet-stream",
}
HIDDEN = ("_headers", "_nginx/")


def load_hook(name):
    spec = importlib.util.spec_from_file_location(f"e2e_{name}", ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


security = load_hook("security_headers")


def get(url_or_port, path, headers=None, tls=False, method="GET"):
    """(status, lowercased headers, body) of one request, redirects not followed."""
    port = url_or_port if isinstance(url_or_port, int) else int(url_or_port.rsplit(":", 1)[1].strip("/"))
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def one(site, pattern):
    found = sorted(site.glob(pattern))
    assert found, f"the build wrote no {pattern}"
    return found[0]


def site_files(site):
    """URL path -> file of everything visitors may fetch."""
    files = {}
    for path in site.rglob("*"):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and not relative.startswith(HIDDEN):
            files["/" + relative] = path
    return files


def test_nginx_accepts_the_preview_configuration(nginx):
    assert nginx.check.returncode == 0, nginx.check.stderr
    assert "syntax is ok" in nginx.check.stderr and "successful" in nginx.check.stderr
    conf = nginx.conf.read_text()
    assert "ssl" not in conf and "hsts" not in conf
    assert f"listen 127.0.0.1:{nginx.port};" in conf


RESPONSES = {
    "page": ("/faq/", 200),
    "home": ("/", 200),
    "redirect to the slashed URL": ("/faq", 301),
    "missing page": ("/no/such/page/", 404),
    "directory without a page": ("/assets/", 404),
    "script download": ("/downloads/almalinux-migrate.sh", 200),
    "checksums": ("/downloads/SHA256SUMS", 200),
    "fleet bundle": ("/downloads/almalinux-fleet.tar.gz", 200),
    "search index": ("/search/search_index.json", 200),
    "robots.txt": ("/robots.txt", 200),
    "generated header file": ("/_nginx/security-headers.conf", 404),
}


@pytest.mark.parametrize("path,status", RESPONSES.values(), ids=RESPONSES.keys())
def test_every_response_carries_the_security_headers(nginx, security_headers, path, status):
    got, headers, _ = get(nginx.url, path, {"Accept-Encoding": "br, gzip"})
    assert got == status
    for name, value in security_headers.items():
        assert headers.get(name) == value, name
    policy = headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    # Plain HTTP: HSTS belongs to the HTTPS server only.
    assert "strict-transport-security" not in headers
    assert headers["cache-control"] in (security.IMMUTABLE_CACHE, security.REVALIDATE_CACHE)


def test_missing_page_is_the_sites_404_page(nginx, built_site):
    status, headers, body = get(nginx.url, "/no/such/page/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body == (built_site / "404.html").read_bytes()


@pytest.mark.parametrize("encoding", DECODERS)
@pytest.mark.parametrize("kind", TEXT_ASSETS)
def test_text_assets_are_served_precompressed(nginx, built_site, kind, encoding):
    source = one(built_site, TEXT_ASSETS[kind])
    path = "/" + source.relative_to(built_site).as_posix()
    status, headers, body = get(nginx.url, path, {"Accept-Encoding": encoding})
    assert status == 200
    assert headers.get("content-encoding") == encoding
    assert "accept-encoding" in headers.get("vary", "").lower()
    assert DECODERS[encoding](body) == source.read_bytes()
    assert len(body) < source.stat().st_size
    # A client that accepts neither gets the file itself.
    status, headers, body = get(nginx.url, path, {"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and body == source.read_bytes()


def test_cache_control_follows_the_build_rules_for_every_file(nginx, built_site):
    files = site_files(built_site)
    wrong, immutable = [], []
    for path in sorted(files):
        _, headers, _ = get(nginx.url, path, method="HEAD")
        expected = security.cache_control(path)
        if headers.get("cache-control") != expected:
            wrong.append(f"{path}: {headers.get('cache-control')!r} != {expected!r}")
        if expected == security.IMMUTABLE_CACHE:
            immutable.append(path)
    assert not wrong, "\n".join(wrong)
    # Material's fingerprinted bundle, stylesheet and search worker.
    assert any("/javascripts/bundle." in path for path in immutable), immutable
    assert any("/stylesheets/main." in path for path in immutable), immutable
    assert any("/workers/search." in path for path in immutable), immutable
    # The page showing the checksum, the script and SHA256SUMS: one lifetime.
    lifetimes = {get(nginx.url, path, method="HEAD")[1]["cache-control"] for path in (
        "/migrate/one-host/", "/downloads/almalinux-migrate.sh", "/downloads/SHA256SUMS")}
    assert lifetimes == {security.REVALIDATE_CACHE}


def test_downloads_are_plain_text_or_octet_stream_byte_for_byte(nginx, built_site):
    downloads = sorted((built_site / "downloads").iterdir())
    assert {path.name for path in downloads} >= {"almalinux-migrate.sh", "SHA256SUMS"}
    for path in downloads:
        url = f"/downloads/{path.name}"
        status, headers, body = get(nginx.url, url, {"Accept-Encoding": "br, gzip"})
        assert status == 200
        assert headers["content-type"] == security.download_type(url), url
        assert headers["content-type"].split(";")[0] in ("text/plain", "application/octet-stream")
        assert "content-encoding" not in headers, url
        assert body == path.read_bytes(), url


def test_every_kind_of_file_is_served_with_its_type(nginx, built_site):
    by_suffix = {}
    for path, file in site_files(built_site).items():
        if not path.startswith("/downloads/"):
            by_suffix.setdefault(file.suffix, path)
    assert set(by_suffix) <= set(SERVED_TYPES), sorted(set(by_suffix) - set(SERVED_TYPES))
    for suffix, path in sorted(by_suffix.items()):
        _, headers, _ = get(nginx.url, path, method="HEAD")
        assert headers["content-type"] == SERVED_TYPES[suffix], path


@pytest.mark.parametrize("path", ["/_headers", "/_nginx/security-headers.conf",
                                  "/_nginx/hsts.conf", "/404.html"])
def test_generated_files_and_the_raw_404_page_are_not_served_as_content(nginx, built_site, path):
    assert (built_site / path.lstrip("/")).is_file()
    status, _, body = get(nginx.url, path)
    assert status == 404
    assert body == (built_site / "404.html").read_bytes()


def test_browser_receives_compressed_text_assets(new_page):
    page = new_page()
    encodings = {}
    page.on("response", lambda response: encodings.setdefault(
        response.url.rsplit(".", 1)[-1] if "." in response.url.rsplit("/", 1)[-1] else "html",
        response.headers.get("content-encoding")))
    page.goto("faq/")
    page.wait_for_load_state("networkidle")
    for kind in ("html", "css", "js", "json"):
        assert encodings.get(kind) in ("br", "gzip"), (kind, encodings)


def test_csp_listener_reports_an_injected_inline_script(new_page, csp_violations):
    """The zero-violation checks mean something: an inline script that is not
    in the policy is blocked, and the listener sees it."""
    page = new_page()
    page.goto("./")
    ran = page.evaluate("""() => new Promise((resolve) => {
        window.__ran = false;
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.head.append(script);
        setTimeout(() => resolve(window.__ran), 200);
    })""")
    page.wait_for_timeout(200)
    assert ran is False
    directives = {found.get("directive") for found in csp_violations}
    assert "script-src-elem" in directives, csp_violations
    csp_violations.clear()  # expected here; the fixture fails on any other


# --- The deployment file itself, with TLS ------------------------------------


@pytest.fixture
def deployment(built_site, tmp_path):
    """almalinux-docs.conf with its placeholders pointing at a test setup:
    a self-signed certificate, the built site, two free local ports."""
    http_port, https_port = free_port(), free_port()
    certs = make_certificate(tmp_path / "certs", "docs.almalinux.example")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/almalinux-docs/": f"{certs}/",
        preview.SITE_PLACEHOLDER: str(built_site),
    }
    text = (DEPLOY / "almalinux-docs.conf").read_text()
    for old, new in replacements.items():
        assert old in text, f"almalinux-docs.conf no longer has {old!r}"
        text = text.replace(old, new)
    conf_dir = tmp_path / "conf"
    (conf_dir / "sites-enabled").mkdir(parents=True)
    (conf_dir / "almalinux-docs").symlink_to(DEPLOY)
    (conf_dir / "sites-enabled" / "almalinux-docs.conf").write_text(text)
    temp = "\n".join(f"{name}_temp_path {tmp_path}/{name};" for name in preview.TEMP_DIRS)
    # Debian's nginx.conf in short: modules, mime.types, then sites-enabled.
    (conf_dir / "nginx.conf").write_text(f"""
load_module {preview.BROTLI_MODULE};
user root;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    {temp}
    include sites-enabled/*;
}}
""")
    command = ["nginx", "-p", f"{tmp_path}/", "-c", str(conf_dir / "nginx.conf"), "-e", "stderr"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        for port in (http_port, https_port):
            wait_for(port, server)
        yield {"http": http_port, "https": https_port}
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()  # left open it is a ResourceWarning


def wait_for(port, server):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}")


def test_deployment_serves_https_with_hsts_and_redirects_http(deployment, built_site,
                                                              security_headers):
    status, headers, body = get(deployment["https"], "/faq/", {"Accept-Encoding": "br"}, tls=True)
    assert status == 200
    assert headers["strict-transport-security"] == security.HSTS
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == (built_site / "faq" / "index.html").read_bytes()
    for name, value in security_headers.items():
        assert headers[name] == value, name

    status, headers, _ = get(deployment["https"], "/missing/", tls=True)
    assert status == 404 and headers["strict-transport-security"] == security.HSTS

    status, headers, _ = get(deployment["http"], "/faq/?q=1",
                             {"Host": "docs.almalinux.example"})
    assert status == 301
    assert headers["location"] == "https://docs.almalinux.example/faq/?q=1"
    assert headers["content-security-policy"] == security_headers["content-security-policy"]
    # Nothing of the site over plain HTTP, and no HSTS there (browsers ignore it).
    assert "strict-transport-security" not in headers


def test_preview_block_is_the_deployment_block_without_tls(tmp_path):
    text = (DEPLOY / "almalinux-docs.conf").read_text()
    _, servers = preview.split_config(text)
    deployed = next(block for block in servers if any(l.startswith("root ") for l in block))
    site = Path("/some/site")
    previewed = preview.preview_server(text, "127.0.0.1:9999", site)
    kept = [line.replace(preview.SITE_PLACEHOLDER, str(site)) for line in deployed
            if not line.startswith("listen ") and not preview.is_tls(line)]
    assert previewed == ["listen 127.0.0.1:9999;", *kept]
    dropped = [line for line in deployed if preview.is_tls(line)]
    assert any(line.startswith("ssl_certificate ") for line in dropped)
    assert any("hsts.conf" in line for line in dropped)
    assert "include almalinux-docs/site.conf;" in previewed
    assert f"include {site}/_nginx/security-headers.conf;" in previewed


def test_preview_with_certificates_keeps_the_deployment_block_with_its_tls(tmp_path):
    text = (DEPLOY / "almalinux-docs.conf").read_text()
    _, servers = preview.split_config(text)
    deployed = next(block for block in servers if any(l.startswith("root ") for l in block))
    site, certs = Path("/some/site"), Path("/some/certs")
    previewed = preview.preview_server(text, "127.0.0.1:9999", site, cert_dir=certs)
    kept = [line.replace(preview.SITE_PLACEHOLDER, str(site))
            .replace(preview.CERT_PLACEHOLDER, f"{certs}/")
            for line in deployed if not line.startswith("listen ")]
    assert previewed == ["listen 127.0.0.1:9999 ssl http2;", *kept]
    assert f"ssl_certificate {certs}/fullchain.pem;" in previewed
    assert f"include {site}/_nginx/hsts.conf;" in previewed


def test_tls_preview_speaks_http2_with_hsts_like_the_deployment(built_site, tmp_path):
    with NginxServer(built_site, tmp_path, tls=True) as server:
        assert server.url.startswith("https://")
        result = subprocess.run(
            ["curl", "-sk", "--http2", "-o", "/dev/null", "-D", "-",
             "-w", "%{http_version}", server.url + "faq/"],
            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    head, _, version = result.stdout.rpartition("\n")
    assert version == "2", result.stdout
    headers = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    assert headers.get("strict-transport-security", "").strip() == security.HSTS, head
