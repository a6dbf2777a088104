"""A tiny threaded static HTTP server for a mirror, with a failure switch."""

import functools
import http.server
import re
import socket
import threading
import time


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    def send_head(self):
        server = self.server.owner
        server.requests.append(self.path)
        server.authorizations.append((self.path, self.headers.get("Authorization")))
        if server.stalled(self.path):
            # Connection accepted, request read, then nothing, ever (until
            # recover() or close()): a hung mirror.
            server.stalls.append(self.path)
            server.wait_while_stalled()
            self.close_connection = True
            return None
        if self.path in server.redirects:
            self.send_response(302)
            self.send_header("Location", server.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if server.should_drop():
            server.dropped.append(self.path)
            # The mirror vanished: no status line, the connection just ends.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if server.delay:
            time.sleep(server.delay)
        return super().send_head()


class MirrorServer:
    """Serves `directory` on 127.0.0.1:<free port> until close().

    fail_after(n): the next n requests are answered, every later one has its
    connection dropped without a response; drop_now() == fail_after(0);
    stall_now(): every later connection is accepted and never answered
    (`stalls` lists those paths); stall_matching(regex): only later requests
    whose path matches (re.search) are left unanswered, the others are
    served (a mirror that hangs on its repositories, or on packages);
    recover() serves again. `delay`: seconds
    each answer waits (a slow mirror). `redirects`: {path: Location} answered
    with 302. `requests` lists the paths asked for, `dropped` the unanswered,
    `authorizations` (path, Authorization header or None) per request.
    """

    def __init__(self, directory):
        self.directory = str(getattr(directory, "path", directory))
        handler = functools.partial(_Handler, directory=self.directory)
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self
        self._lock = threading.Lock()
        self._budget = None
        self.delay = 0.0
        self.requests = []
        self.dropped = []
        self.stalls = []
        self.redirects = {}
        self.authorizations = []
        self._unstalled = threading.Event()
        self._unstalled.set()
        self._stall_pattern = None
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="simel-mirror", daemon=True)
        self._thread.start()

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def should_drop(self):
        with self._lock:
            if self._budget is None:
                drop = False
            elif self._budget > 0:
                self._budget -= 1
                drop = False
            else:
                drop = True
        return drop

    def fail_after(self, n):
        with self._lock:
            self._budget = n

    def drop_now(self):
        self.fail_after(0)

    def stall_now(self):
        self.stall_matching("")

    def stall_matching(self, pattern):
        self._stall_pattern = re.compile(pattern)
        self._unstalled.clear()

    def stalled(self, path):
        pattern = self._stall_pattern
        return (not self._unstalled.is_set() and pattern is not None
                and pattern.search(path) is not None)

    def wait_while_stalled(self):
        self._unstalled.wait()

    def recover(self):
        with self._lock:
            self._budget = None
        self._stall_pattern = None
        self._unstalled.set()

    def close(self):
        self._unstalled.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
