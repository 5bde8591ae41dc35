"""One FastAPI app on one port: the API, the chat page `/`, the help-desk console
`/console`, the widget page `/embed` and its script `/widget.js`."""

from __future__ import annotations

from importlib import resources

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from assistant.adminauth import AdminGate, ConsoleSessions
from assistant.api import create_api
from assistant.config import Settings
from assistant.exports import ExportFolder
from assistant.jobs import JobStore
from assistant.library import DocumentLibrary
from assistant.ratelimit import RateLimiter
from assistant.service import Assistant
from assistant.upload_jobs import UploadJobs
from ui.chat import build_chat_page
from ui.console import build_console
from ui.console_access import PageGuard, install_console_access
from ui.handler_errors import HandlerErrorLog
from ui.theme import CHAT_CSS, CLICK_TO_CITATION_JS, THEME

STATIC = {
    "widget.js": "application/javascript; charset=utf-8",
    "embed.js": "application/javascript; charset=utf-8",
    "embed.css": "text/css; charset=utf-8",
    "document.js": "application/javascript; charset=utf-8",
    "document.css": "text/css; charset=utf-8",
    "direct.js": "application/javascript; charset=utf-8",
    "direct.css": "text/css; charset=utf-8",
}


def static_text(name: str) -> str:
    return resources.files("ui").joinpath("static", name).read_text(encoding="utf-8")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The whole web app, on the assistant's knowledge base and conversation store."""
    settings = settings or Settings()
    assistant = assistant or Assistant.open(settings)
    library = DocumentLibrary(assistant.kb, settings.data_dir)
    # One limiter for the API, the widget (which uses the API) and the chat page.
    limiter = RateLimiter(settings.rate_limit, settings.rate_limit_per_ip)
    # One admin check for the document API and the console login, sharing its throttle;
    # console sessions live beside the conversations, so every worker knows them.
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    admin = AdminGate(token, ConsoleSessions(assistant.conversations.engine, key=token) if token else None)
    # Upload jobs live in the registry's database, so every worker sees and claims them.
    jobs = UploadJobs(
        JobStore(assistant.kb.registry.engine), library, threshold_bytes=settings.job_threshold_kb * 1024,
        max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
    )
    app = create_api(assistant, library, limiter, admin, jobs)
    app.add_middleware(PageGuard, console=admin if admin.enabled else None)
    embedders = " ".join(["'self'", *settings.allowed_origins])
    app.add_middleware(SecurityHeaders, embed_ancestors=embedders)
    handler_errors = HandlerErrorLog()

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        return Response(
            static_text("widget.js"), media_type=STATIC["widget.js"],
            headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"},
        )

    app.get("/embed/{name}", include_in_schema=False)(_assets(("embed.js", "embed.css")))

    app.get("/documents/assets/{name}", include_in_schema=False)(_assets(("document.js", "document.css")))

    @app.get("/documents/{doc_id}", include_in_schema=False)
    def document_page(doc_id: str) -> HTMLResponse:
        # One static page for every id: its script reads the id from the address and the
        # text from /api/documents/{doc_id}, so nothing of the address is written into HTML.
        return HTMLResponse(static_text("document.html"))

    app.get("/direct/assets/{name}", include_in_schema=False)(_assets(("direct.js", "direct.css")))

    @app.get("/direct", include_in_schema=False)
    def direct_page() -> HTMLResponse:
        return HTMLResponse(static_text("direct.html"))

    @app.get("/embed", include_in_schema=False)
    def embed_page() -> HTMLResponse:
        # The page reads title, region and question from its own URL, in its script,
        # so nothing a host page passes is ever written into this HTML.
        return HTMLResponse(static_text("embed.html"))

    # Gradio serves only files in its own cache; the data dir (database, uploads, index)
    # is blocked outright, so no handler's output can ever point into it.
    mount = dict(
        allowed_paths=[], blocked_paths=[str(settings.data_dir.resolve())],
        theme=THEME, css=CHAT_CSS, head=CLICK_TO_CITATION_JS, footer_links=[], show_error=False,
        ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False,
    )
    if admin.enabled:
        admin.sessions.open()
        exports = ExportFolder(settings.data_dir / "exports")
        exports.purge()
        install_console_access(app, admin, exports)
        console = build_console(assistant, library, admin, exports, jobs)
        handler_errors.install(console, page="console")
        gr.mount_gradio_app(
            app, console, path="/console", max_file_size=int(settings.max_file_mb * 1024 * 1024), **mount,
        )
    else:
        @app.get("/console", include_in_schema=False)
        def console_disabled() -> HTMLResponse:
            return HTMLResponse(static_text("console-disabled.html"), status_code=503)

    # The chat page takes no files: PageGuard closes its upload route, and the size cap stays as a second guard.
    chat_page = build_chat_page(assistant, settings.site_title, limiter)
    handler_errors.install(chat_page, page="chat")
    gr.mount_gradio_app(app, chat_page, path="/", max_file_size=1024, **mount)
    return app


def _assets(names: tuple[str, ...]):
    """A route serving these static files by name (and a Chinese 404 for any other)."""

    def asset(name: str) -> Response:
        if name not in names:
            return Response("没有这个文件。", status_code=404, media_type="text/plain; charset=utf-8")
        return Response(static_text(name), media_type=STATIC[name], headers={"Cache-Control": "public, max-age=300"})

    return asset


class SecurityHeaders:
    """Headers on every response: no MIME sniffing, a strict referrer policy, and a
    Content-Security-Policy. The widget page may be framed by the allowed origins and runs
    only its own script; the document pages run only their own script too; every other page may be framed only by huiqi itself, loads
    nothing from other hosts, and keeps the inline scripts and styles Gradio needs."""

    PAGE_POLICY = (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    ).encode()

    EMBED_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )

    DOCUMENT_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ).encode()

    def __init__(self, app, embed_ancestors: str) -> None:
        self.app = app
        self.embed_policy = self.EMBED_POLICY.format(ancestors=embed_ancestors).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path == "/embed" or path.startswith("/embed/"):
            policy = self.embed_policy
        elif path.startswith("/documents/") or path == "/direct" or path.startswith("/direct/"):
            policy = self.DOCUMENT_POLICY
        else:
            policy = self.PAGE_POLICY

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"content-security-policy", policy),
                ]
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
