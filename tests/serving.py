"""Local servers for the tests that need a peer on 127.0.0.1 (HTTP, SMTP-like, wire protocols)."""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

S = TypeVar("S", bound=socketserver.BaseServer)


@contextmanager
def serving(server: S, *, release: threading.Event | None = None) -> Iterator[S]:
    """Serve on a thread while the test runs; on the way out let go of any request the test held, then stop."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
