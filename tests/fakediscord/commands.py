"""Registered application commands, global and per guild, as Discord stores them."""

import copy
from collections import defaultdict

from .errors import JSONDict
from .snowflake import SnowflakeFactory

Scope = int | None  # None = global, else a guild id
CHAT_INPUT = 1


class CommandRegistry:
    """Application commands per scope; a bulk overwrite keeps ids of commands it keeps."""

    def __init__(self, ids: SnowflakeFactory, application_id: int) -> None:
        self._ids = ids
        self._application_id = application_id
        self._scopes: dict[Scope, dict[int, JSONDict]] = defaultdict(dict)
        self.overwrite_counts: dict[Scope, int] = defaultdict(int)

    def in_scope(self, scope: Scope) -> list[JSONDict]:
        return [copy.deepcopy(command) for command in self._scopes[scope].values()]

    def get(self, scope: Scope, command_id: int) -> JSONDict | None:
        command = self._scopes[scope].get(command_id)
        return copy.deepcopy(command) if command else None

    def find(self, scope: Scope, name: str, kind: int = CHAT_INPUT) -> JSONDict | None:
        for command in self._scopes[scope].values():
            if command["name"] == name and command["type"] == kind:
                return command
        return None

    def overwrite(self, scope: Scope, payloads: list[JSONDict]) -> list[JSONDict]:
        old = {(c["name"], c["type"]): c for c in self._scopes[scope].values()}
        fresh: dict[int, JSONDict] = {}
        for payload in payloads:
            previous = old.get((payload["name"], payload.get("type", CHAT_INPUT)))
            command_id = int(previous["id"]) if previous else self._ids.next()
            fresh[command_id] = self._materialize(scope, payload, command_id)
        self._scopes[scope] = fresh
        self.overwrite_counts[scope] += 1
        return self.in_scope(scope)

    def upsert(self, scope: Scope, payload: JSONDict) -> tuple[JSONDict, bool]:
        """Create or replace one command by (name, type); True when it was created."""
        previous = self.find(scope, payload["name"], payload.get("type", CHAT_INPUT))
        command_id = int(previous["id"]) if previous else self._ids.next()
        command = self._materialize(scope, payload, command_id)
        self._scopes[scope][command_id] = command
        return copy.deepcopy(command), previous is None

    def edit(self, scope: Scope, command_id: int, patch: JSONDict) -> JSONDict | None:
        current = self._scopes[scope].get(command_id)
        if current is None:
            return None
        merged = {**current, **patch}
        self._scopes[scope][command_id] = self._materialize(scope, merged, command_id)
        return copy.deepcopy(self._scopes[scope][command_id])

    def delete(self, scope: Scope, command_id: int) -> bool:
        return self._scopes[scope].pop(command_id, None) is not None

    def _materialize(self, scope: Scope, payload: JSONDict, command_id: int) -> JSONDict:
        permissions = payload.get("default_member_permissions")
        command: JSONDict = {
            "id": str(command_id),
            "application_id": str(self._application_id),
            "version": str(self._ids.next()),
            "type": payload.get("type", CHAT_INPUT),
            "name": payload["name"],
            "name_localizations": payload.get("name_localizations"),
            "description": payload.get("description", ""),
            "description_localizations": payload.get("description_localizations"),
            "options": copy.deepcopy(payload.get("options") or []),
            "default_member_permissions": None if permissions is None else str(permissions),
            "dm_permission": payload.get("dm_permission", True),
            "contexts": payload.get("contexts"),
            "integration_types": payload.get("integration_types") or [0],
            "nsfw": bool(payload.get("nsfw", False)),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command
