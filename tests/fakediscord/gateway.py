"""The gateway websocket: HELLO, IDENTIFY/READY, RESUME with replay, heartbeats, reconnects.

Frames go out as plain JSON text even when the client asked for ``compress=zlib-stream``:
discord.py only decompresses binary frames and parses text frames as they are.
"""

import asyncio
import contextlib
import json
import logging
import math
import time
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
CLOSE_RATE_LIMITED = 4008
CLOSE_SESSION_TIMED_OUT = 4009
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011
CLOSE_INVALID_INTENTS = 4013
CLOSE_DISALLOWED_INTENTS = 4014
# A client closing with these ends its session for good (Discord invalidates it).
_SESSION_ENDING_CODES = (1000, 1001)
REPLAY_BUFFER = 1000
# Discord: a shard holds at most this many servers (more closes with 4011).
MAX_GUILDS_PER_SHARD = 2500
# Discord: ``max_concurrency`` IDENTIFYs per this many seconds, one per bucket.
IDENTIFY_WINDOW = 5.0


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a server's events; DMs (no server) go to shard 0."""
    return (guild_id >> 22) % shard_count


def event_guild_id(event: str, data: Any) -> int | None:
    """The server an event is about: its own id for GUILD_CREATE/UPDATE/DELETE."""
    if not isinstance(data, dict):
        return None
    if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"):
        raw = data.get("id")
    else:
        raw = data.get("guild_id")
    return None if raw is None else int(raw)


class GatewayHooks(Protocol):
    """What the gateway needs from the rest of the fake."""

    token: str

    def ready_payload(self, session: "Session") -> JSONDict: ...

    def guild_create_payloads(self) -> list[JSONDict]: ...

    def guild_count(self) -> int: ...

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
    # (shard_id, shard_count) from IDENTIFY; (0, 1) when the client does not shard.
    shard: tuple[int, int] = (0, 1)

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session gets the events of that server (None: DMs, shard 0's)."""
        shard_id, shard_count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, shard_count) == shard_id

    def wants(self, intent: int | None) -> bool:
        return intent is None or bool(self.intents & intent)

    def dispatch(self, event: str, data: Any) -> int:
        self.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)
        return self.seq


@dataclass
class SessionStartLimit:
    """Discord's daily budget of IDENTIFYs and how many may run at once."""

    total: int = 1000
    remaining: int = 1000
    reset_after_ms: int = 86_400_000
    max_concurrency: int = 1

    def payload(self) -> JSONDict:
        return {
            "total": self.total,
            "remaining": self.remaining,
            "reset_after": self.reset_after_ms,
            "max_concurrency": self.max_concurrency,
        }


class Gateway:
    def __init__(
        self, hooks: GatewayHooks, *, heartbeat_interval_ms: int, allowed_intents: int
    ) -> None:
        self._hooks = hooks
        self.limit = SessionStartLimit()
        # Seconds of an IDENTIFY bucket's window: Discord's is IDENTIFY_WINDOW (5 s). 0, the
        # default, enforces nothing, so tests that restart the bot need not wait.
        self.identify_window = 0.0
        # The shard count /gateway/bot recommends; None: one per 1,000 servers.
        self.recommended_shards: int | None = None
        self.session_starts = 0
        # IDENTIFYs refused for coming too fast in their bucket (closed with 4008).
        self.identify_refusals = 0
        self._bucket_identified: dict[int, float] = {}
        # The session that gets each shard's events: the last to IDENTIFY or RESUME it.
        self.active: dict[tuple[int, int], Session] = {}
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

    def recommended_shard_count(self) -> int:
        if self.recommended_shards is not None:
            return self.recommended_shards
        return max(1, math.ceil(self._hooks.guild_count() / 1000))

    def dispatch(self, event: str, data: Any, *, intent: int | None = None) -> int | None:
        """Send an event to the session of the shard that owns its server (DMs: shard 0),
        buffered while that session is disconnected. The last seq sent, or None."""
        guild_id = event_guild_id(event, data)
        sent: int | None = None
        for session in self.active.values():
            if session.resumable and session.wants(intent) and session.owns(guild_id):
                sent = session.dispatch(event, data)
        return sent

    def shard_sessions(self) -> list[Session]:
        """The live session of every shard, ordered by shard id."""
        return sorted(
            (s for s in self.active.values() if s.resumable and s.connection is not None),
            key=lambda s: s.shard,
        )

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
        elif (shard := _shard(data.get("shard"))) is None:
            await connection.close(CLOSE_INVALID_SHARD)
        elif self._hooks.guild_count() > MAX_GUILDS_PER_SHARD * shard[1]:
            await connection.close(CLOSE_SHARDING_REQUIRED)
        elif not self._identify_turn(shard[0]):
            self.identify_refusals += 1
            log.warning("IDENTIFY of shard %s refused: its bucket identified < 5 s ago", shard)
            await connection.close(CLOSE_RATE_LIMITED)
        elif self.limit.remaining <= 0:
            # Discord answers a spent session start limit with op 9.
            connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
        else:
            self.limit.remaining -= 1
            self.session_starts += 1
            session = Session(uuid.uuid4().hex, intents, data, connection=connection, shard=shard)
            connection.session = session
            self.sessions[session.id] = session
            self.current = session
            self.active[shard] = session
            session.dispatch("READY", self._hooks.ready_payload(session))
            for guild in self._hooks.guild_create_payloads():
                if session.owns(int(guild["id"])):
                    session.dispatch("GUILD_CREATE", guild)
            self.ready_count += 1
        self._hooks.changed()

    def _identify_turn(self, shard_id: int) -> bool:
        """Take the IDENTIFY bucket's turn, unless it was taken within the window."""
        bucket = shard_id % max(self.limit.max_concurrency, 1)
        now = time.monotonic()
        last = self._bucket_identified.get(bucket)
        if last is not None and now - last < self.identify_window:
            return False
        self._bucket_identified[bucket] = now
        return True

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
        self.active[session.shard] = session
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

    def request_heartbeats(self) -> list[tuple[Connection, int]]:
        """Op 1 to every live shard session: each answers with the seq it processed."""
        asked: list[tuple[Connection, int]] = []
        for session in self.shard_sessions():
            assert session.connection is not None
            session.connection.send({"op": HEARTBEAT, "d": None, "s": None, "t": None})
            asked.append((session.connection, session.seq))
        return asked

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

    async def drop_shard(self, shard_id: int) -> None:
        """Cut the connection of one shard abruptly (its session stays resumable)."""
        for session in self.shard_sessions():
            if session.shard[0] == shard_id and session.connection is not None:
                connection, session.connection = session.connection, None
                await connection.flush()
                connection.abort()

    async def close_all(self) -> None:
        for connection in self.connections:
            if not connection.ws.closed:
                connection.abort()
            connection.stop()


def _shard(raw: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as (id, count): (0, 1) when absent, None when invalid."""
    if raw is None:
        return (0, 1)
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(isinstance(n, int) for n in raw)
        or not 0 <= raw[0] < raw[1]
    ):
        return None
    return (raw[0], raw[1])
