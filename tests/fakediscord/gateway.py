"""The gateway websocket: HELLO, IDENTIFY/READY, RESUME with replay, heartbeats, reconnects.

Frames go out as plain JSON text even when the client asked for ``compress=zlib-stream``:
discord.py only decompresses binary frames and parses text frames as they are.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from .errors import DriverError, JSONDict

log = logging.getLogger("fakediscord.gateway")

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_SESSION_TIMED_OUT = 4009
CLOSE_INVALID_INTENTS = 4013
CLOSE_DISALLOWED_INTENTS = 4014
# A client closing with these ends its session for good (Discord invalidates it).
_SESSION_ENDING_CODES = (1000, 1001)
REPLAY_BUFFER = 1000


class GatewayHooks(Protocol):
    """What the gateway needs from the rest of the fake."""

    token: str

    def ready_payload(self, session: "Session") -> JSONDict: ...

    def guild_create_payloads(self) -> list[JSONDict]: ...

    def members_chunk(self, request: JSONDict) -> JSONDict | None: ...

    def changed(self) -> None: ...


class Connection:
    """One websocket. A single writer task keeps frames in the order they were queued."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.session: Session | None = None
        self.heartbeats = 0
        # A heartbeat carries the last seq the client processed: proof it parsed all before.
        self.acked_seq = 0
        self._queue: asyncio.Queue[JSONDict | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="fakediscord-gateway-writer")

    def send(self, frame: JSONDict) -> None:
        self._queue.put_nowait(frame)

    async def _write(self) -> None:
        try:
            while True:
                frame = await self._queue.get()
                try:
                    if frame is None:
                        return
                    await self.ws.send_str(json.dumps(frame))
                except (ConnectionError, RuntimeError):
                    return  # the socket died; buffered events wait for a RESUME
                finally:
                    self._queue.task_done()
        finally:
            # Nothing more will be written: release anyone waiting in flush().
            while not self._queue.empty():
                self._queue.get_nowait()
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until what is queued was written (so a close follows the last frame)."""
        if not self._writer.done():
            await self._queue.join()

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, like a network failure."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def close(self, code: int) -> None:
        await self.flush()
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            async with asyncio.timeout(2):
                await self.ws.close(code=code)

    def stop(self) -> None:
        self._queue.put_nowait(None)


@dataclass
class Session:
    """A gateway session: survives dropped connections and replays what they missed."""

    id: str
    intents: int
    identify: JSONDict
    seq: int = 0
    connection: Connection | None = None
    resumable: bool = True
    buffer: deque[tuple[int, JSONDict]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))

    def wants(self, intent: int | None) -> bool:
        return intent is None or bool(self.intents & intent)

    def dispatch(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)
        return self.seq


class Gateway:
    def __init__(
        self, hooks: GatewayHooks, *, heartbeat_interval_ms: int, allowed_intents: int
    ) -> None:
        self._hooks = hooks
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_intents = allowed_intents
        self.sessions: dict[str, Session] = {}
        self.current: Session | None = None
        self.connections: list[Connection] = []
        self.identify_payloads: list[JSONDict] = []
        self.presence_updates: list[JSONDict] = []
        self.close_codes: list[int | None] = []
        self.ready_count = 0
        self.resume_count = 0

    @property
    def live(self) -> Connection | None:
        """The connection of the current session, if the bot is connected right now."""
        return None if self.current is None else self.current.connection

    def dispatch(self, event: str, data: Any, *, intent: int | None = None) -> int | None:
        """Send an event to the current session (buffered while it is disconnected)."""
        session = self.current
        if session is None or not session.resumable or not session.wants(intent):
            return None
        return session.dispatch(event, data)

    # -- websocket handling ----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        connection = Connection(ws, request)
        self.connections.append(connection)
        hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fakediscord"]}
        connection.send({"op": HELLO, "d": hello, "s": None, "t": None})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    await connection.close(4002)  # Discord: "Decode error"
                    break
                await self._on_frame(connection, frame)
        finally:
            self._detach(connection, ws.close_code)
        return ws

    async def _on_frame(self, connection: Connection, frame: JSONDict) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            connection.heartbeats += 1
            if isinstance(data, int):
                connection.acked_seq = max(connection.acked_seq, data)
            connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            self._hooks.changed()
        elif op == IDENTIFY:
            await self._identify(connection, data or {})
        elif op == RESUME:
            self._resume(connection, data or {})
        elif op == REQUEST_MEMBERS and connection.session is not None:
            chunk = self._hooks.members_chunk(data or {})
            if chunk is not None:
                connection.session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
        elif op == PRESENCE_UPDATE:
            self.presence_updates.append(data or {})
        else:
            log.info("ignoring gateway op %s", op)

    async def _identify(self, connection: Connection, data: JSONDict) -> None:
        self.identify_payloads.append(data)
        intents = data.get("intents")
        if connection.session is not None:
            await connection.close(CLOSE_ALREADY_AUTHENTICATED)
        elif data.get("token") != self._hooks.token:
            await connection.close(CLOSE_AUTHENTICATION_FAILED)
        elif not isinstance(intents, int) or intents < 0:
            await connection.close(CLOSE_INVALID_INTENTS)
        elif intents & PRIVILEGED_INTENTS & ~self.allowed_intents:
            await connection.close(CLOSE_DISALLOWED_INTENTS)
        else:
            session = Session(uuid.uuid4().hex, intents, data, connection=connection)
            connection.session = session
            self.sessions[session.id] = session
            self.current = session
            session.dispatch("READY", self._hooks.ready_payload(session))
            for guild in self._hooks.guild_create_payloads():
                session.dispatch("GUILD_CREATE", guild)
            self.ready_count += 1
        self._hooks.changed()

    def _resume(self, connection: Connection, data: JSONDict) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = int(data.get("seq") or 0)
        oldest = session.buffer[0][0] if session and session.buffer else 1
        if (
            session is None
            or not session.resumable
            or data.get("token") != self._hooks.token
            or seq + 1 < oldest  # events were lost from the replay buffer
        ):
            connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        if session.connection is not None and session.connection is not connection:
            session.connection.abort()  # Discord drops the stale socket of a resumed session
        for frame_seq, frame in session.buffer:
            if frame_seq > seq:
                connection.send(frame)
        session.connection = connection
        connection.session = session
        session.dispatch("RESUMED", {"_trace": ["fakediscord"]})
        self.current = session
        self.resume_count += 1
        self._hooks.changed()

    def _detach(self, connection: Connection, close_code: int | None) -> None:
        connection.stop()
        self.close_codes.append(close_code)
        session = connection.session
        if session is not None and session.connection is connection:
            session.connection = None
            if close_code in _SESSION_ENDING_CODES:
                session.resumable = False
        self._hooks.changed()

    # -- driver controls -------------------------------------------------------------------

    def _require_live(self) -> Connection:
        connection = self.live
        if connection is None:
            raise DriverError("no bot is connected to the gateway")
        return connection

    async def drop(self, *, resumable: bool = True, code: int | None = None) -> None:
        """Drop the live connection: abruptly, or with ``code``; optionally kill the session."""
        connection = self._require_live()
        if not resumable:
            assert connection.session is not None
            connection.session.resumable = False
        session = connection.session
        # Detach now, so whatever the test does next is buffered for replay, not half-sent.
        if session is not None:
            session.connection = None
        if code is None and resumable:
            await connection.flush()
            connection.abort()
        else:
            await connection.close(code or CLOSE_SESSION_TIMED_OUT)

    def request_heartbeat(self) -> tuple[Connection, int]:
        """Send op 1; the client answers with the seq it has processed up to."""
        connection = self._require_live()
        assert connection.session is not None
        connection.send({"op": HEARTBEAT, "d": None, "s": None, "t": None})
        return connection, connection.session.seq

    def request_reconnect(self) -> None:
        self._require_live().send({"op": RECONNECT, "d": None, "s": None, "t": None})

    def invalidate_session(self, *, resumable: bool) -> None:
        connection = self._require_live()
        if not resumable:
            assert connection.session is not None
            connection.session.resumable = False
        connection.send({"op": INVALID_SESSION, "d": resumable, "s": None, "t": None})

    async def close_all(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                connection.abort()
            connection.stop()
