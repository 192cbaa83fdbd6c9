"""Attachment files: what users upload to slash commands and what the bot sends, served
back at their ``url`` like Discord's CDN so ``Attachment.read()`` works."""

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from .errors import DriverError, JSONDict
from .snowflake import SnowflakeFactory

CDN_PREFIX = "/cdn/attachments"


@dataclass(frozen=True)
class StoredFile:
    attachment_id: int
    filename: str
    data: bytes
    content_type: str | None


class AttachmentStore:
    def __init__(self, ids: SnowflakeFactory, base_url: Callable[[], str]) -> None:
        self._ids = ids
        self._base_url = base_url
        self._files: dict[int, StoredFile] = {}

    def add(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        *,
        ephemeral: bool = False,
    ) -> JSONDict:
        """Keep a file and return its attachment object, as Discord shapes it."""
        if not filename or "/" in filename:
            raise DriverError(f"not a file name Discord would keep: {filename!r}")
        attachment_id = self._ids.next()
        self._files[attachment_id] = StoredFile(attachment_id, filename, data, content_type)
        url = f"{self._base_url()}{CDN_PREFIX}/{attachment_id}/{filename}"
        payload: JSONDict = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }
        if ephemeral:
            payload["ephemeral"] = True
        return payload

    def data(self, attachment: JSONDict | int) -> bytes:
        attachment_id = int(attachment["id"] if isinstance(attachment, dict) else attachment)
        stored = self._files.get(attachment_id)
        if stored is None:
            raise DriverError(f"no attachment {attachment_id}")
        return stored.data

    async def serve(self, request: web.Request) -> web.Response:
        """GET of an attachment's url: its bytes, or 404 like an expired CDN link."""
        raw_id = request.match_info["attachment_id"]
        stored = self._files.get(int(raw_id)) if raw_id.isdigit() else None
        if stored is None or stored.filename != request.match_info["filename"]:
            return web.Response(status=404, text="404: Not Found")
        content_type = stored.content_type or "application/octet-stream"
        return web.Response(body=stored.data, headers={"Content-Type": content_type})
