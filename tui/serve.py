"""``gradstep serve``: the debugger in a browser, its own app for every tab, through textual-serve.

textual-serve answers a browser tab by running a command and relaying its terminal over a
websocket; the command here is this very Python running ``gradstep --served FILE``, so every tab
gets a fresh app on the same file, and each app reads only in that file's folder
(``gradstep.tui.served``). Served, anyone who reaches the port presses the keys, so:

- it listens on 127.0.0.1 unless ``--host`` is given, and then says who can reach it;
- the page and its websocket answer only requests naming this server: on loopback, a ``Host`` of
  this machine (a web page that points its own domain name at 127.0.0.1 is refused); always, a
  websocket's ``Origin`` equal to its ``Host`` (another site's page cannot drive a tab);
- the port is bound before anything is printed, so a port in use is one clear error (exit 2).

textual-serve (and aiohttp under it) load only when serving: ``pip install 'gradstep[web]'``.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import html
import ipaddress
import os
import shlex
import signal
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gradstep.core.examples import SEED_NAME
from gradstep.core.text import escape, escape_lines
from gradstep.tui.arguments import SafeArgumentParser

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_PORT = 8000
LOOPBACK = "127.0.0.1"
SHUTDOWN_SECONDS = 5.0
"""How long Ctrl+C waits for the tabs' apps to quit before the server closes anyway."""
EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = SafeArgumentParser(
        prog="gradstep serve",
        description="Serve the debugger to web browsers: every browser tab gets its own app on FILE.",
        epilog="Needs the web extra: pip install 'gradstep[web]'.",
    )
    parser.add_argument("file", nargs="?", help="expression file (default: the built-in example)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free one)",
    )
    parser.add_argument(
        "--host",
        help=f"address to listen on (default {LOOPBACK}: this machine only; 0.0.0.0: every network)",
    )
    return parser


def _fail(message: str) -> int:
    print(escape_lines(message), file=sys.stderr)
    return EXIT_ERROR


def app_command(path: str | None) -> str:
    """The shell command textual-serve runs for each tab: this Python, the app, served mode."""
    words = [sys.executable, "-m", "gradstep.tui.cli", "--served"]
    if path is not None:
        words += ["--", path]
    return shlex.join(words)


def page_title(path: str | None) -> str:
    """The browser tab's title: the file first (tabs cut titles at the end)."""
    return f"{escape(path if path is not None else SEED_NAME)} · gradstep"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, ``127.0.0.1``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}/"


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening. Raises OSError (a port in use, a bad host)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart need not wait
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def who_can_reach(host: str, port: int, folder: str | None) -> list[str]:
    """What to tell the person who chose ``--host``: who can now open the debugger, and what it reads.

    ``folder``: the served file's folder as given, or None for the built-in example.
    """
    if is_loopback(host):
        return ["Only this machine can reach it."]
    if is_wildcard(host):
        machine = socket.gethostname()
        where = f"anyone who can reach this machine ({machine}) on port {port}, on any of its networks"
    else:
        where = f"anyone who can reach {host} on port {port}"
    reads = "no other file" if folder is None else f"only the files in {escape(folder)}"
    return [f"Reachable by {where}:", f"each of them gets a debugger and presses its keys; it opens {reads}."]


def _server_class() -> type:
    """The server, defined on first use: textual-serve and aiohttp load only when serving."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server, to_int

    class GradstepServer(Server):
        """textual-serve's server with a page title, same-origin checks and a socket bound first."""

        def __init__(self, command: str, title: str, host: str, port: int) -> None:
            super().__init__(command, host=host, port=port, title=title)
            self.loopback_only = is_loopback(host)
            self._tabs: set[asyncio.Task[object]] = set()

        def _host_ok(self, request: web.Request) -> bool:
            """On loopback, the page must be asked for by a name of this machine (no DNS rebinding)."""
            if not self.loopback_only:
                return True
            name = urlsplit(f"//{request.host}").hostname or ""
            return is_loopback(name)

        def _origin_ok(self, request: web.Request) -> bool:
            """A browser names the page that opens a websocket: it must be ours. Other clients name none."""
            origin = request.headers.get("Origin")
            if origin is None:
                return True
            parts = urlsplit(origin)
            return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()

        async def on_startup(self, app: web.Application) -> None:
            """Say nothing: the URL was printed once the port was ours."""

        async def on_shutdown(self, app: web.Application) -> None:
            """Ctrl+C: end every tab's session, so that each app quits and the server can stop."""
            for task in list(self._tabs):
                task.cancel()

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            """textual-serve's page, with URLs as the browser asked for them and a title naming the file."""
            if not self._host_ok(request):
                raise web.HTTPForbidden(
                    text="gradstep serve: this server answers only to this machine's names"
                )
            ws_scheme = "wss" if request.scheme == "https" else "ws"
            router = request.app.router
            context = {
                "font_size": to_int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": f"{ws_scheme}://{request.host}{router['websocket'].url_for()}",
                "config": {"static": {"url": f"{request.scheme}://{request.host}/static/"}},
                "application": {"name": self.title},
            }
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            title = f"<title>{html.escape(self.title)}</title>"
            response.text = (response.text or "").replace("<head>", f"<head>\n    {title}", 1)
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """One tab: a fresh app, for a page of ours only."""
            if not (self._host_ok(request) and self._origin_ok(request)):
                raise web.HTTPForbidden(
                    text="gradstep serve: a page from another site cannot open the debugger"
                )
            task = asyncio.current_task()
            if task is not None:
                self._tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                if task is not None:
                    self._tabs.discard(task)

        def serve_on(self, sock: socket.socket) -> None:
            """Serve on the bound ``sock`` until Ctrl+C (or SIGTERM), then stop every tab's app."""
            self.initialize_logging()
            # Ctrl+C while the loop is being made would leave a half-made loop whose __del__
            # prints a traceback at exit: hold the signals until the loop's handlers are in place.
            stops = {signal.SIGINT, signal.SIGTERM}
            can_hold = hasattr(signal, "pthread_sigmask")
            if can_hold:
                signal.pthread_sigmask(signal.SIG_BLOCK, stops)
            try:
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                try:
                    for stop in stops:
                        loop.add_signal_handler(stop, self.request_exit)
                except NotImplementedError:  # Windows: Ctrl+C arrives as KeyboardInterrupt instead
                    pass
            finally:
                if can_hold:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
            web.run_app(
                self._make_app(),
                sock=sock,
                handle_signals=False,
                loop=loop,
                print=None,
                access_log=None,
                shutdown_timeout=SHUTDOWN_SECONDS,
            )

    return GradstepServer


def run_serve(argv: Sequence[str]) -> int:
    """``gradstep serve [FILE] [--port N] [--host H]``: serve until Ctrl+C; 2 on an error."""
    from gradstep.tui.cli import _check_readable

    args = _parser().parse_args(argv)
    if args.file is not None and (problem := _check_readable(args.file)):
        return _fail(problem)
    if not 0 <= args.port <= 65535:
        return _fail(f"gradstep serve: error: --port {args.port}: a port is a number from 0 to 65535")
    try:
        server_class = _server_class()
    except ImportError as error:
        return _fail(
            f"gradstep serve: error: serving needs textual-serve ({escape(str(error))})\n"
            "  install it with: pip install 'gradstep[web]'"
        )
    host = LOOPBACK if args.host is None else args.host
    try:
        sock = listen(host, args.port)
    except socket.gaierror as error:
        return _fail(f"gradstep serve: error: --host {escape(host)}: no such address ({error.strerror})")
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return _fail(
                f"gradstep serve: error: port {args.port} on {escape(host)} is in use\n"
                "  stop what is using it, or pick another port: gradstep serve --port N"
            )
        return _fail(
            f"gradstep serve: error: cannot listen on {escape(host)}:{args.port}: {error.strerror or error}"
        )
    port = sock.getsockname()[1]
    server = server_class(app_command(args.file), page_title(args.file), host, port)
    shown = socket.gethostname() if is_wildcard(host) else host
    try:
        # Plain text, never markup; escaped whole: the path is the user's, the host name the system's.
        print(escape(f"gradstep serve: {args.file or SEED_NAME} on {url_for(shown, port)}"), flush=True)
        if args.host is not None:
            folder = None if args.file is None else os.path.dirname(args.file) or "."
            for line in who_can_reach(host, port, folder):
                print(escape_lines(line), flush=True)
        print("Every browser tab gets its own debugger. Press Ctrl+C to stop.", flush=True)
        server.serve_on(sock)
    except KeyboardInterrupt:
        pass  # Ctrl+C before the server's own handler was in place: the same stop
    finally:
        sock.close()
    print("gradstep serve: stopped", flush=True)
    return 0
