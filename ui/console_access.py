"""Who reaches the Gradio pages' own routes.

The console is behind a login: `POST /console/login` checks the admin token (wrong
guesses throttled per address) and sets an HttpOnly, SameSite=Strict cookie (Secure
over HTTPS) holding a random session id; `POST /console/logout` ends it. Every request
under `/console/` — the page, its config, queue, uploads, files and the exports — needs
that cookie, so a Gradio session hash seen in a URL is worth nothing on its own. The
chat page takes no files, so Gradio's upload route on it is closed.
"""

from __future__ import annotations

import html
import json
from importlib import resources

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser

from assistant.adminauth import COOKIE, AdminGate, WrongAdminToken
from assistant.api_deps import client_address
from assistant.bodylimit import BodyLimit, route_path
from assistant.exports import ExportFolder
from assistant.ratelimit import TooManyFailures

LOGIN_PATH = "/console/login"
# Logging out only ends the session the cookie names, so it needs no live session.
OPEN_PATHS = (LOGIN_PATH, "/console/logout")


def install_console_access(app: FastAPI, gate: AdminGate, exports: ExportFolder) -> None:
    """The login, logout and export routes of the console; call before mounting it."""
    app.add_middleware(BodyLimit, paths=("/console/login", "/console/logout"), max_bytes=4096)

    @app.get(LOGIN_PATH, include_in_schema=False)
    def login_page(request: Request) -> Response:
        if gate.logged_in(request.cookies):
            return RedirectResponse("./", status_code=303)
        return _login_page()

    @app.post(LOGIN_PATH, include_in_schema=False)
    async def login(request: Request) -> Response:
        try:
            async with request.form(max_files=0, max_fields=4) as form:
                given = form.get("token")
        except StarletteHTTPException:
            given = None
        if not isinstance(given, str) or not given.strip():
            return _login_page("请输入管理令牌。", 400)
        try:
            await anyio.to_thread.run_sync(gate.check_token, client_address(request), given.strip())
        except TooManyFailures as exc:
            return _login_page(str(exc), 429, {"Retry-After": str(exc.retry_after)})
        except WrongAdminToken as exc:
            return _login_page(str(exc), 403)
        session_id = await anyio.to_thread.run_sync(gate.sessions.start)
        response = RedirectResponse("./", status_code=303)
        response.set_cookie(
            COOKIE, session_id, max_age=int(gate.sessions.lifetime.total_seconds()), path=_console_path(request),
            httponly=True, samesite="strict", secure=request.url.scheme == "https",
        )
        return response

    @app.post("/console/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        gate.sessions.end(request.cookies.get(COOKIE))
        response = RedirectResponse("login", status_code=303)
        response.delete_cookie(COOKIE, path=_console_path(request), httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    @app.get("/console/exports/{name}", include_in_schema=False)
    def exported_file(name: str, of: str = "conversations") -> Response:
        # Reached only with a login cookie (PageGuard); the name is one ExportFolder made.
        path = exports.path(name)
        if path is None:
            return Response("导出文件不存在或已过期（保留 1 小时），请重新导出。", status_code=404,
                            media_type="text/plain; charset=utf-8")
        suffix = path.suffix.lstrip(".")
        kind = of if of in ("conversations", "qa-pairs") else "conversations"
        return FileResponse(path, media_type=EXPORT_TYPES[suffix], filename=f"huiqi-{kind}.{suffix}",
                            headers={"Cache-Control": "no-store"})


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class PageGuard:
    """ASGI middleware in front of the Gradio pages: everything under `/console/` but the
    login needs a live console session (`console`; None when the console is off), and the
    chat page's upload route is closed."""

    def __init__(self, app, console: AdminGate | None) -> None:
        self.app = app
        self.console = console

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = route_path(scope)
        if path == "/gradio_api/upload":
            return await _refuse(scope, send, 403, "uploads_closed", "聊天页面不接收文件。")
        guarded = path == "/console" or path.startswith("/console/")
        if not guarded or self.console is None or path in OPEN_PATHS:
            return await self.app(scope, receive, send)
        cookies = cookie_parser(dict(scope.get("headers", ())).get(b"cookie", b"").decode("latin-1"))
        if await anyio.to_thread.run_sync(self.console.logged_in, cookies):
            return await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["method"] == "GET" and path in ("/console", "/console/"):
            location = scope.get("root_path", "") + LOGIN_PATH
            return await _send(send, 303, b"", [(b"location", location.encode("latin-1"))])
        return await _refuse(scope, send, 401, "login_required", "请先登录帮办控制台。")


def _console_path(request: Request) -> str:
    return request.scope.get("root_path", "") + "/console"


def _login_page(message: str = "", status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    page = resources.files("ui").joinpath("static", "console-login.html").read_text(encoding="utf-8")
    if message:
        page = page.replace("<!--message-->", f'<p class="hq-error" role="alert">{html.escape(message)}</p>')
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


async def _refuse(scope, send, status: int, code: str, message: str) -> None:
    if scope["type"] == "websocket":
        return await send({"type": "websocket.close", "code": 1008})
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    await _send(send, status, body, [(b"content-type", b"application/json")])


async def _send(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
