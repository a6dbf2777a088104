#!/usr/bin/env python3
"""Serve a built site locally with nginx and the deployment's own configuration.

The server block is the HTTPS one of almalinux-docs.conf, taken as it is
with two changes: its listen lines become one plain-HTTP address and its
TLS lines (ssl_*, the HSTS include) are left out; the placeholder site path
becomes the site being served. Given a certificate directory (the browser
benchmark measures bytes as a deployment sends them, over HTTP/2), the TLS
lines stay, pointing at it, and the one listen line keeps `ssl http2`. Everything the block includes (the generated
headers, site.conf, cache-map.conf) is the deployment's file.

nginx runs unprivileged-style in a private prefix: its own pid file, logs
and temporary directories, nothing under /etc/nginx or /var. The browser
tests use the functions here; `make preview` runs main().

Usage: preview.py SITE_DIR [--port 8080] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEPLOY_CONF = HERE / "almalinux-docs.conf"
# The path almalinux-docs.conf uses for the site; a deployer replaces it.
SITE_PLACEHOLDER = "/srv/almalinux-docs/site"
# The directory almalinux-docs.conf takes fullchain.pem and privkey.pem from.
CERT_PLACEHOLDER = "/etc/ssl/almalinux-docs/"
# Relative includes of almalinux-docs.conf name this directory.
INCLUDE_DIR = "almalinux-docs"
HSTS_INCLUDE = "_nginx/hsts.conf"
HEADERS_FILE = "_nginx/security-headers.conf"
# Debian's libnginx-mod-http-brotli-static.
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
NGINX = "nginx"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# One JSON object per response: what the browser benchmark counts.
LOG_FORMAT = (
    'log_format almalinux_docs_preview escape=json \'{"uri":"$request_uri",'
    '"status":$status,"bytes":$bytes_sent,"type":"$sent_http_content_type",'
    '"encoding":"$sent_http_content_encoding"}\';'
)


class PreviewError(RuntimeError):
    """The preview cannot start; the message says what to do."""


def split_config(text: str) -> tuple[list[str], list[list[str]]]:
    """(top-level directive lines, [server block lines]) of a site file.

    Expects the layout of almalinux-docs.conf: each directive on one line,
    `server {` and its closing `}` on lines of their own.
    """
    top, servers, block, depth = [], [], None, 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        opens, closes = line.count("{"), line.count("}")
        if depth == 0 and line == "server {":
            block = []
        elif depth == 0 and opens:
            raise PreviewError(f"{DEPLOY_CONF.name}:{number}: only server blocks may open "
                               f"a block at the top level: {line!r}")
        elif depth == 1 and line == "}":
            servers.append(block)
            block = None
        elif depth == 0:
            top.append(line)
        else:
            block.append(line)
        depth += opens - closes
    if depth != 0:
        raise PreviewError(f"{DEPLOY_CONF.name}: unbalanced braces")
    return top, servers


def is_tls(line: str) -> bool:
    return line.startswith("ssl_") or (line.startswith("include ") and HSTS_INCLUDE in line)


def preview_server(text: str, listen: str, site_dir: Path,
                   cert_dir: Path | None = None) -> list[str]:
    """The deployment's HTTPS server block with `listen` and without TLS, or
    with TLS from cert_dir (fullchain.pem, privkey.pem) when one is given."""
    _, servers = split_config(text)
    sites = [block for block in servers if any(line.startswith("root ") for line in block)]
    if len(sites) != 1:
        raise PreviewError(f"{DEPLOY_CONF.name}: expected one server block with a root, "
                           f"found {len(sites)}")
    lines, listened = [], False
    for line in sites[0]:
        if line.startswith("listen "):
            if not listened:
                lines.append(f"listen {listen} ssl http2;" if cert_dir else f"listen {listen};")
                listened = True
        elif cert_dir or not is_tls(line):
            line = line.replace(SITE_PLACEHOLDER, str(site_dir))
            if cert_dir:
                line = line.replace(CERT_PLACEHOLDER, f"{cert_dir}/")
            lines.append(line)
    if not listened or not any(str(site_dir) in line for line in lines):
        raise PreviewError(f"{DEPLOY_CONF.name}: the site block has no listen line or "
                           f"does not use {SITE_PLACEHOLDER}")
    return lines


def main_config(text: str, *, site_dir: Path, prefix: Path, listen: str,
                access_log: str, error_log: str, user: str | None,
                cert_dir: Path | None = None) -> str:
    """A complete nginx.conf around the preview server block."""
    top, _ = split_config(text)
    temp = [f"{name}_temp_path {prefix / 'temp' / name};" for name in TEMP_DIRS]
    http = [
        *temp,
        LOG_FORMAT,
        f"access_log {access_log} almalinux_docs_preview;" if access_log != "off"
        else "access_log off;",
        "sendfile on;",
        *top,
        "server {",
        *(f"    {line}" for line in preview_server(text, listen, site_dir, cert_dir)),
        "}",
    ]
    lines = [
        "# Written by deploy/nginx/preview.py for a local preview; not for deployment.",
        f"load_module {BROTLI_MODULE};",
        *([f"user {user};"] if user else []),
        "worker_processes 1;",
        f"pid {prefix / 'nginx.pid'};",
        f"error_log {error_log} warn;",
        "events {",
        "    worker_connections 256;",
        "}",
        "http {",
        *(f"    {line}" for line in http),
        "}",
    ]
    return "\n".join(lines) + "\n"


def check_requirements(site_dir: Path) -> None:
    if shutil.which(NGINX) is None:
        raise PreviewError("nginx is not installed: apt-get install nginx "
                           "libnginx-mod-http-brotli-static (make preview does)")
    if not BROTLI_MODULE.is_file():
        raise PreviewError(f"{BROTLI_MODULE} is missing: apt-get install "
                           "libnginx-mod-http-brotli-static")
    if not (site_dir / HEADERS_FILE).is_file():
        raise PreviewError(f"{site_dir / HEADERS_FILE} is missing: {site_dir} is not a "
                           "site built with this project's hooks (make build)")


def prepare(site_dir: Path, prefix: Path, listen: str, *,
            access_log: str = "off", error_log: str | None = None,
            cert_dir: Path | None = None) -> Path:
    """Write the preview configuration into prefix; return nginx.conf's path.
    With cert_dir, the server speaks TLS and HTTP/2 as deployed."""
    site_dir, prefix = Path(site_dir).resolve(), Path(prefix).resolve()
    check_requirements(site_dir)
    conf_dir = prefix / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    for name in TEMP_DIRS:
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    link = conf_dir / INCLUDE_DIR
    if not link.exists():
        link.symlink_to(HERE, target_is_directory=True)
    # As root, nginx would hand requests to "nobody", who may not read a
    # private build directory; a preview needs no second user.
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    conf = conf_dir / "nginx.conf"
    conf.write_text(main_config(
        DEPLOY_CONF.read_text(), site_dir=site_dir, prefix=prefix, listen=listen,
        access_log=access_log, error_log=error_log or str(prefix / "error.log"),
        user=user, cert_dir=Path(cert_dir).resolve() if cert_dir else None))
    return conf


def command(prefix: Path, conf: Path, *args: str) -> list[str]:
    return [NGINX, "-p", f"{Path(prefix).resolve()}/", "-c", str(conf),
            "-e", "stderr", *args]


def test_config(prefix: Path, conf: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on the configuration (output in .stderr)."""
    return subprocess.run(command(prefix, conf, "-t"), capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="almalinux-docs-preview-") as tmp:
        try:
            conf = prepare(args.site_dir, Path(tmp), f"{args.host}:{args.port}",
                           access_log="/dev/stdout", error_log="stderr")
        except PreviewError as error:
            print(f"preview: {error}", file=sys.stderr)
            return 1
        checked = test_config(Path(tmp), conf)
        if checked.returncode != 0:
            print(f"preview: nginx -t failed:\n{checked.stderr}", file=sys.stderr)
            return 1
        print(f"==> Serving {args.site_dir} with nginx on http://{args.host}:{args.port}/ "
              "(Ctrl-C to stop)", flush=True)
        server = subprocess.Popen(command(Path(tmp), conf, "-g", "daemon off;"))
        # Stopped either way, nginx finishes open requests and exits too.
        signal.signal(signal.SIGTERM, lambda *_: server.send_signal(signal.SIGQUIT))
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGQUIT)
            server.wait()
            return 0


if __name__ == "__main__":
    sys.exit(main())
