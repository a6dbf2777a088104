"""A static server for the built site that behaves like a real web host.

Missing paths get the site's 404.html with status 404, text is gzipped when
the client accepts it, and fingerprinted assets are cacheable for a year.
The browser benchmark serves the site with it (uncompressed) as the baseline
for nginx; the end-to-end tests use nginx (nginxserver.py).
"""

import gzip
import http.server
import os
import threading
from functools import partial
from io import BytesIO

# Types a host compresses; archives and images are already compressed.
COMPRESSIBLE = (
    "text/", "application/javascript", "application/json",
    "application/xml", "image/svg+xml",
)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler plus a real 404 page, gzip and cache headers."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "application/javascript",
        ".json": "application/json",
        ".xml": "application/xml",
        ".svg": "image/svg+xml",
        ".sh": "text/x-shellscript",
        ".txt": "text/plain",
    }

    def __init__(self, *args, gzip_text=False, **kwargs):
        self.gzip_text = gzip_text
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def end_headers(self):
        # What goes over the wire for this response: headers now, body later.
        self._header_bytes = sum(len(line) for line in self._headers_buffer) + 2
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the 301 to the slashed URL
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            # Like a real host: the site's own 404 page, never a listing.
            return self._send_file(os.path.join(self.directory, "404.html"), 404)
        return self._send_file(path, 200)

    def _send_file(self, filename, status):
        with open(filename, "rb") as handle:
            body = handle.read()
        ctype = self.guess_type(filename)
        if ctype.startswith("text/") or ctype in ("application/javascript", "application/json"):
            if "charset" not in ctype:
                ctype += "; charset=utf-8"
        encoded = (
            self.gzip_text
            and "gzip" in self.headers.get("Accept-Encoding", "")
            and ctype.startswith(COMPRESSIBLE)
        )
        if encoded:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        if self.gzip_text:
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", self._cache_control(filename, status))
        self.end_headers()
        self.server.transfers.append({
            "path": self.path.split("?")[0], "status": status,
            "type": ctype.split(";")[0], "bytes": self._header_bytes + len(body),
        })
        return BytesIO(body)

    @staticmethod
    def _cache_control(filename, status):
        # Material fingerprints its assets (bundle.<hash>.min.js); those
        # never change under the same name. Everything else is revalidated.
        name = os.path.basename(filename)
        parts = name.split(".")
        if status == 200 and len(parts) >= 3 and len(parts[1]) == 8 and (
                all(c in "0123456789abcdef" for c in parts[1])):
            return "public, max-age=31536000, immutable"
        return "no-cache"


class SiteServer:
    """Serve a directory on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, directory, gzip_text=False):
        # The port is bound now, so the URL is known before the site is
        # built into directory (the benchmark builds with it as site_url).
        handler = partial(SiteHandler, directory=str(directory), gzip_text=gzip_text)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        # One entry per file response (path, status, type, bytes sent).
        self.httpd.transfers = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def transfers(self):
        return self.httpd.transfers

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
