"""A cap on request bodies, counted on the bytes actually received: a body sent in
chunks, or with a Content-Length smaller than what follows, is stopped at the cap too.
A pure ASGI middleware, so it sees the body before any framework reads it."""

from __future__ import annotations

import json


class BodyLimit:
    """Answers 413 (a JSON error in Chinese) to a request under one of `paths` whose
    body exceeds `max_bytes`: at once when its Content-Length says so, else as soon as
    more than `max_bytes` have arrived. The bodies it guards are small, so it reads them
    whole and hands them on.

    Example:
        >>> from fastapi import FastAPI
        >>> app = FastAPI()
        >>> app.add_middleware(BodyLimit, paths=("/api/chat",), max_bytes=64 * 1024)
    """

    def __init__(self, app, paths: tuple[str, ...], max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
        self.app = app
        self.paths = tuple(paths)
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not route_path(scope).startswith(self.paths):
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", ())).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._refuse(send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # what follows the body: a disconnect
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send) -> None:
        limit = f"{self.max_bytes // 1024} KB" if self.max_bytes >= 1024 else f"{self.max_bytes} 字节"
        body = json.dumps(
            {"error": {"code": "request_too_large", "message": f"请求体过大，上限 {limit}。"}}, ensure_ascii=False
        ).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})


def route_path(scope) -> str:
    """The request's path below the app's root path (as the router sees it)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path
