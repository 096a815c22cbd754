"""The web viewer's server: the page, its WebSocket and a status endpoint, behind a token, on 127.0.0.1.

aiohttp serves both HTTP and WebSockets in one small, well-kept dependency that runs its own server: an ASGI
framework would need an ASGI server (uvicorn) beside it, and a WebSocket library alone would not serve the page.

Every request and socket must carry the token printed in the URL (as Jupyter's does), so that another user of a
shared machine cannot watch or take the controls; the address is 127.0.0.1 unless ``host`` says otherwise.
Each page gets its own sender that always sends the newest frame, so a slow or closed tab never holds up the
game or the other tabs.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from aiohttp import WSMsgType, web

from pixelarena.agents.viewer.viewer import Viewer
from pixelarena.agents.viewer.web.follow import Follower
from pixelarena.agents.viewer.web.hub import MAX_FPS, Hub
from pixelarena.agents.viewer.web.protocol import DEFAULT_HOST, DEFAULT_PORT

PAGE = Path(__file__).with_name("index.html")
MAX_INPUT_BYTES = 4096
"""Input messages are a few dozen bytes: anything larger is refused (a page never sends one)."""
REFUSED = "403: this viewer needs the token of the URL it printed when it started (?token=...)"


class PortInUse(ValueError):
    """The port is taken: one line naming the next free one."""


def free_port_after(host: str, port: int, tries: int = 100) -> int | None:
    """The first port after ``port`` that ``host`` can listen on, or None within ``tries``."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return candidate
    return None


class WebViewer:
    """Serves ``viewer`` to browser tabs.

    Args:
        viewer: What is shown (a run's agent, or a game a person plays).
        host: The address to listen on; 127.0.0.1 keeps it on this machine (reach it from elsewhere with
            ``ssh -L``).
        port: The port; 0 picks a free one.
        follower: Reloads a run's newer weights (``--follow``).
        weights: What the agent plays, when not followed.
        token: The token every request needs; a random one by default.
        fps: Frames a second at most.
    """

    def __init__(
        self,
        viewer: Viewer,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        follower: Follower | None = None,
        weights: str | None = None,
        token: str | None = None,
        fps: float = MAX_FPS,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"--port must be between 1 and 65535, got {port}")
        self.host, self.port = host, port
        self.token = token or secrets.token_urlsafe(18)
        self.hub = Hub(viewer, self._from_hub, follower, weights, fps)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._latest: bytes | None = None
        self._fresh: set[asyncio.Event] = set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The page's address with its token."""
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/?token={self.token}"

    # ------------------------------------------------------------------------------------------------ app
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._require_token], client_max_size=MAX_INPUT_BYTES)
        app.router.add_get("/", self._page)
        app.router.add_get("/ws", self._socket)
        app.router.add_get("/status", self._status)
        return app

    @web.middleware
    async def _require_token(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        given = request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return web.Response(status=403, text=REFUSED)
        response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
        return response

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def _status(self, request: web.Request) -> web.Response:
        facts = {**self.hub.last_facts, "watchers": self.hub.watchers, "frames": self.hub.frames}
        return web.json_response(facts)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_INPUT_BYTES)
        await ws.prepare(request)
        fresh = asyncio.Event()
        if self._latest is not None:
            fresh.set()
        self._fresh.add(fresh)
        sender = asyncio.create_task(self._send_frames(ws, fresh))
        self.hub.watching(+1)
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                with contextlib.suppress(ValueError):
                    data = json.loads(message.data)
                    if isinstance(data, dict):
                        self.hub.submit(data)
        finally:
            self._fresh.discard(fresh)
            self.hub.watching(-1)
            sender.cancel()
        return ws

    async def _send_frames(self, ws: web.WebSocketResponse, fresh: asyncio.Event) -> None:
        """Send the newest frame whenever there is one; frames made while a send was under way are skipped."""
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not ws.closed:
                await fresh.wait()
                fresh.clear()
                if self._latest is not None:
                    await ws.send_bytes(self._latest)

    def _from_hub(self, message: bytes) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._publish, message)

    def _publish(self, message: bytes) -> None:
        self._latest = message
        for fresh in self._fresh:
            fresh.set()

    # ------------------------------------------------------------------------------------------- running
    async def start(self) -> str:
        """Listen and start the game's thread; returns the URL. :class:`PortInUse` when the port is taken."""
        self._loop = asyncio.get_running_loop()
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=False)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                free = free_port_after(self.host, self.port)
                hint = f"try --port {free}" if free else "choose another --port"
                raise PortInUse(f"port {self.port} on {self.host} is in use: {hint}") from None
            raise ValueError(f"cannot listen on {self.host}:{self.port}: {error.strerror or error}") from None
        self.port = int(self._runner.addresses[0][1])
        self.hub.start()
        return self.url

    async def stop(self) -> None:
        """Close the pages' sockets, stop listening and end the game's thread."""
        if self._runner is not None:
            await self._runner.cleanup()
        self.hub.stop()

    def serve_forever(self, announce: Callable[[str], None] = print) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt, raised again after the server stopped)."""

        async def serve() -> None:
            announce(await self.start())
            try:
                await asyncio.Event().wait()
            finally:
                await self.stop()

        asyncio.run(serve())

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[str]:
        """Serve from a background thread while the block runs (tests and the benchmark); yields the URL."""
        started: dict[str, str | BaseException] = {}
        ready, done = threading.Event(), threading.Event()

        async def serve() -> None:
            try:
                started["url"] = await self.start()
            except BaseException as error:
                started["error"] = error
                ready.set()
                return
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            await self.stop()

        thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        thread.start()
        ready.wait()
        if "error" in started:
            raise started["error"]  # type: ignore[misc]
        try:
            yield str(started["url"])
        finally:
            done.set()
            thread.join(timeout=15)
