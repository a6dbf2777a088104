"""The live preview keeps answering when a rebuild fails, and recovers on the next good save."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from project import ROOT
from site_helpers import Site, load_hook

serve_guard = load_hook("serve_guard")


def test_a_failing_build_is_reported_not_raised():
    seen = []

    def failing():
        raise RuntimeError("data/releases.yml:3: bad date")

    serve_guard.guarded(failing, seen.append)()

    assert [str(e) for e in seen] == ["data/releases.yml:3: bad date"]


def test_a_good_build_runs_and_reports_nothing():
    calls, seen = [], []
    serve_guard.guarded(lambda: calls.append(1), seen.append)()
    assert calls == [1] and seen == []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mkdocs serve --strict` of a throwaway site, its log collected as it runs."""

    def __init__(self, site, port):
        self.url = f"http://127.0.0.1:{port}/"
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--strict", "--dev-addr", f"127.0.0.1:{port}",
             "--config-file", str(site.config)],
            cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern, after=0, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in self.lines[after:]):
                return
            assert self.proc.poll() is None, "".join(self.lines)
            time.sleep(0.1)
        pytest.fail(f"no line matching {pattern!r} within {timeout} s:\n{''.join(self.lines)}")

    def get(self, timeout=10):
        with urllib.request.urlopen(self.url, timeout=timeout) as response:
            return response.status, response.read().decode()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.reader.join(timeout=30)  # it ends at the pipe's end of file
        self.proc.stdout.close()  # ours to close: left open it is a ResourceWarning


@pytest.mark.slow
def test_preview_survives_bad_data_and_reloads_after_the_fix(tmp_path):
    site = Site(tmp_path)
    site.config.write_text(site.config.read_text().replace(
        "hooks:\n", f"hooks:\n  - {ROOT / 'hooks' / 'serve_guard.py'}\n"))
    site.page("index.md", "# Home\n\nLatest: <!-- release:latest 9 -->\n")
    good = site.data.read_text()
    server = Server(site, free_port())
    try:
        server.wait_for(r"Serving on")
        status, first = server.get()
        assert status == 200 and "Latest:" in first

        mark = len(server.lines)
        site.data.write_text(good.replace("date: ", "date: not-a-date-", 1))
        server.wait_for(r"Build failed", after=mark)
        assert re.search(r"data/releases\.yml:\d+: ", "".join(server.lines[mark:]))  # file and line
        status, during = server.get()          # answers at once: no ten-minute wait
        assert status == 200 and "Latest:" in during

        mark = len(server.lines)
        site.page("index.md", "# Home\n\nFixed: <!-- release:latest 9 -->\n")
        site.data.write_text(good)
        server.wait_for(r"Reloading browsers", after=mark)
        status, after = server.get()
        assert status == 200 and "Fixed:" in after
    finally:
        server.stop()
