"""Serve a built site like production: the headers CloudFront sends (site_headers.py: the table the build
wrote into the site, and Cache-Control by file name), correct MIME types, optional sub-path, stoppable (tests).

`python -m mplat.gallery.preview site --port 8000 [--prefix /demos/]` (`make preview`).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import threading
from pathlib import Path

from mplat.content_types import content_type

from .site_headers import SitePolicy, cache_control, read_headers_file, response_headers


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"
    site_headers: dict[str, str] = {}

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return content_type(os.fspath(path))  # production's table (infra publish-site uses the same)

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_prefix__")
        return super().translate_path("/" + path[len(self.prefix) :])

    def end_headers(self) -> None:
        for name, value in self.site_headers.items():
            self.send_header(name, value)
        # As publish-site stores it on each object (a directory URL is its index.html: no-cache).
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        relative = path[len(self.prefix) :] if path.startswith(self.prefix) else path
        self.send_header("Cache-Control", cache_control(relative or "index.html"))
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # browsers abort requests (navigation, blocked routes): not worth a traceback


class SiteServer:
    """A threaded static server for a site folder on 127.0.0.1; `stop()` makes it unreachable."""

    def __init__(
        self,
        site_dir: Path,
        port: int = 0,
        prefix: str = "/",
        handler_base: type[SiteHandler] = SiteHandler,
        headers: dict[str, str] | None = None,
    ) -> None:
        """`headers`: the table to send; by default the one the build wrote into the site (or, for a site
        built without it, the table's defaults)."""
        prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        if headers is None:
            headers = read_headers_file(site_dir) or response_headers(SitePolicy())
        handler = type("Handler", (handler_base,), {"prefix": prefix, "site_headers": dict(headers)})
        self.httpd = _QuietServer(("127.0.0.1", port), functools.partial(handler, directory=str(site_dir)))
        self.prefix = prefix
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}{self.prefix}"

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mplat.gallery.preview")
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--prefix", default="/")
    args = parser.parse_args(argv)
    server = SiteServer(args.site_dir, args.port, args.prefix)
    print(f"Serving {args.site_dir} at {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
