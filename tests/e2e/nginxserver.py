"""The built site on nginx with the deployment's configuration (deploy/nginx).

The configuration is written by deploy/nginx/preview.py, the same code
`make preview` runs: the HTTPS server block of almalinux-docs.conf with a
local listen address and no TLS. nginx runs in a private prefix (pid file,
logs, temporary files) inside a given directory and logs one JSON object
per response, which the browser benchmark counts. With tls=True it keeps
the block's TLS lines (HTTP/2, HSTS) with a throwaway self-signed
certificate: the bytes a deployment really sends, headers compressed.
"""

import importlib.util
import json
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from project import ROOT

PREVIEW = ROOT / "deploy" / "nginx" / "preview.py"
START_TIMEOUT = 10


def load_preview():
    spec = importlib.util.spec_from_file_location("deploy_nginx_preview", PREVIEW)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


preview = load_preview()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NginxError(RuntimeError):
    pass


def make_certificate(certs, common_name, alt_name=None):
    """A one-day self-signed certificate in certs/ (fullchain.pem,
    privkey.pem, the names almalinux-docs.conf uses); certs."""
    certs = Path(certs)
    certs.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={common_name}",
         *(["-addext", f"subjectAltName={alt_name}"] if alt_name else []),
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        capture_output=True, text=True)
    if made.returncode != 0:
        raise NginxError(f"openssl could not make a test certificate:\n{made.stderr}")
    return certs


class NginxServer:
    """nginx serving site_dir on 127.0.0.1 (a free port) until the block ends.

    The port is chosen and the configuration written (and checked with
    nginx -t) on construction, so the URL is known before the site is built
    into site_dir; the site must exist by __enter__.
    """

    def __init__(self, site_dir, workdir, tls=False):
        self.site_dir = Path(site_dir)
        self.prefix = Path(workdir)
        self.tls = tls
        self.port = free_port()
        self.access_log = self.prefix / "access.log"
        self.error_log = self.prefix / "error.log"
        self.process = None
        self.conf = None
        self.check = None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"

    def configure(self):
        """Write the configuration and run nginx -t; the CompletedProcess."""
        self.conf = preview.prepare(
            self.site_dir, self.prefix, f"127.0.0.1:{self.port}",
            access_log=str(self.access_log), error_log=str(self.error_log),
            cert_dir=make_certificate(self.prefix / "certs", "127.0.0.1",
                                      "IP:127.0.0.1") if self.tls else None)
        self.check = preview.test_config(self.prefix, self.conf)
        return self.check

    @property
    def transfers(self):
        """One dict per response so far: uri, status, bytes, type, encoding."""
        if not self.access_log.is_file():
            return []
        return [json.loads(line) for line in self.access_log.read_text().splitlines()]

    def clear_transfers(self):
        # nginx appends to the file it keeps open, so truncating is enough.
        self.access_log.write_text("")

    def __enter__(self):
        if shutil.which(preview.NGINX) is None:
            raise NginxError("nginx is not installed: apt-get install nginx "
                             "libnginx-mod-http-brotli-static (make test does)")
        check = self.configure()
        if check.returncode != 0:
            raise NginxError(f"nginx -t failed for {self.conf}:\n{check.stderr}")
        self.process = subprocess.Popen(
            preview.command(self.prefix, self.conf, "-g", "daemon off;"),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NginxError(f"nginx exited with {self.process.returncode}:\n"
                                 f"{self.process.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise NginxError(f"nginx did not listen on {self.url} within {START_TIMEOUT} s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.process.stderr.close()  # left open it is a ResourceWarning
