"""A tiny threaded static HTTP server for a mirror, with a failure switch."""

import functools
import http.server
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
    recover() serves again. `delay`: seconds each answer waits (a slow
    mirror). `requests` lists the paths asked for, `dropped` the unanswered.
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

    def recover(self):
        with self._lock:
            self._budget = None

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
