"""Running the API app under uvicorn on 127.0.0.1, and taking it down and up on one port.

`ApiServer.start()` binds a socket itself (port 0 picks a free port) and serves on it;
`stop()` ends every watch, closes connections and releases the port; `start()` again comes
back on the same port with the same store, like an API server restart that kept etcd.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import uvicorn

from devcluster.app import create_app
from devcluster.faults import WatchStreamCut
from devcluster.state import ClusterState

log = logging.getLogger(__name__)


class _QuietInjectedCuts(logging.Filter):
    """uvicorn logs an app exception raised mid-response as an error with its traceback; a
    watch cut on purpose (`Faults.cut_next_watch_events`) is no error of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], WatchStreamCut))


def _quiet_injected_cuts() -> None:
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietInjectedCuts) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_QuietInjectedCuts())


class ApiServer:
    """One uvicorn server for one ClusterState; restartable on the same port."""

    def __init__(self, state: ClusterState, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._downtime: asyncio.Task[None] | None = None
        self._app = create_app(state)
        self._up = asyncio.Event()
        self._down = asyncio.Event()
        self._down.set()
        state.go_down = self.go_down_for

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _bind(self) -> socket.socket:
        # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it Nagle + delayed ACK add ~40 ms to every response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]
        return sock

    async def start(self) -> None:
        """Listen (on the same port as before, if any) and wait until the server is up."""
        if self.running:
            return
        _quiet_injected_cuts()
        sock = self._bind()
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            ws="none",
        )
        server = uvicorn.Server(config)
        self._server = server
        self._task = asyncio.create_task(
            server.serve(sockets=[sock]), name=f"devcluster-uvicorn-{self.port}"
        )
        deadline = asyncio.get_running_loop().time() + 10
        while not server.started:
            if self._task.done() or asyncio.get_running_loop().time() > deadline:
                sock.close()
                await self._task
                raise RuntimeError("devcluster server stopped while starting")
            await asyncio.sleep(0.01)
        self.state.accepting = True
        self._down.clear()
        self._up.set()

    async def stop(self) -> None:
        """Close every watch and connection and stop listening."""
        if self._server is None or self._task is None:
            return
        # Stop listening and end keep-alive connections before ending the watches: a client
        # reconnecting in between (uvicorn notices should_exit only on its 0.1 s tick) must
        # find the port closed, not open a new watch that shutdown would cut mid-chunk.
        self.state.accepting = False
        for listener in self._server.servers:
            listener.close()
        for connection in list(self._server.server_state.connections):
            connection.shutdown()
        self.state.store.close_watchers()
        self._server.should_exit = True
        try:
            await self._task
        finally:
            self._server, self._task = None, None
            self._up.clear()
            self._down.set()

    def open_connections(self) -> int:
        """HTTP connections open to this server now (tests check that clients leak none)."""
        return 0 if self._server is None else len(self._server.server_state.connections)

    async def wait_up(self) -> None:
        """Return once the server is listening."""
        await self._up.wait()

    async def wait_down(self) -> None:
        """Return once the server has stopped listening."""
        await self._down.wait()

    async def go_down_for(self, seconds: float) -> None:
        """Schedule: go down right after this response, come back after `seconds`."""
        if self._downtime is not None and not self._downtime.done():
            return
        self._downtime = asyncio.create_task(self._outage(seconds), name="devcluster-outage")

    async def _outage(self, seconds: float) -> None:
        await self.stop()
        await asyncio.sleep(seconds)
        await self.start()

    async def close(self) -> None:
        """Stop for good, including a pending outage."""
        if self._downtime is not None:
            self._downtime.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._downtime
        await self.stop()
