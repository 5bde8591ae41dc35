"""The HTTP API: chat (JSON and Server-Sent Events), feedback, documents, upload jobs, health.

Every error is `{"error": {"code", "message"}}` with a 4xx status and a Chinese
message (5xx only when the server itself fails), never a stack trace.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.adminauth import AdminGate
from assistant.answer.base import Answer
from assistant.bodylimit import BodyLimit
from assistant.conversation import validate_session_id
from assistant.errors import AssistantError
from assistant.library import DocumentLibrary, nothing_stored, rejection_message, report_json
from assistant.questions import searchable, validate_question, validate_region
from assistant.ratelimit import RateLimited, RateLimiter
from assistant.service import Assistant
from assistant.upload_jobs import UploadJobs
from knowledge.errors import DocumentNotFound, DocumentRejected, KnowledgeError, VectorStoreUnavailable

log = logging.getLogger("huiqi.api")


class ApiError(Exception):
    """An error answered as JSON with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class ChatRequest(BaseModel):
    question: str = Field(description="问题，1–500 个字")
    session_id: str | None = Field(default=None, description="会话编号；不传则开启新会话")
    region: str | None = Field(default=None, description="限定地区，如“金华市”；“全部”或不传表示不限")
    channel: Literal["api", "widget", "web"] = Field(default="api", description="来源渠道，用于会话记录")


class FeedbackRequest(BaseModel):
    session_id: str
    turn_id: int = Field(description="回答对象中的 turn_id")
    rating: Literal["up", "down"]
    comment: str = Field(default="", description="可选的意见")


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


# Chat and feedback bodies are a question and a few ids; anything far larger is not one.
MAX_CHAT_BODY_BYTES = 64 * 1024
MAX_UPLOAD_FILES = 100

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                     "description": "一个或多个文件"}},
        }}},
    }
}


def check_chat_request(body: ChatRequest, max_chars: int) -> None:
    """What both chat routes accept, checked before anything is counted or stored; raises
    QuestionRejected or InvalidRequest (4xx) with a message for the user."""
    searchable(validate_question(body.question, max_chars))  # markup alone is refused here too
    validate_session_id(body.session_id)
    validate_region(body.region)


def create_api(
    assistant: Assistant,
    library: DocumentLibrary,
    limiter: RateLimiter | None = None,
    admin: AdminGate | None = None,
    jobs: UploadJobs | None = None,
) -> FastAPI:
    """The FastAPI app with the API routes; pages are mounted on it by `ui.app`.

    `admin` checks the admin token (and throttles wrong ones); by default one built on
    `HUIQI_ADMIN_TOKEN` alone. With `jobs`, a large upload is answered 202 with a job id
    and ingested in the background (its worker runs while the app is served); without
    it, every upload is ingested before the answer.
    """
    settings = assistant.settings
    limiter = limiter or RateLimiter(settings.rate_limit, settings.rate_limit_per_ip)
    if admin is None:
        admin = AdminGate(settings.admin_token.get_secret_value() if settings.admin_token else "")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if jobs is not None:
            await run_in_threadpool(jobs.start)
        try:
            yield
        finally:
            if jobs is not None:
                await run_in_threadpool(jobs.stop)

    app = FastAPI(
        title="惠企政策助手 API",
        description="回答企业关于惠企政策的问题，并引用所依据的政策条款原文。",
        version="1",
        lifespan=lifespan,
    )
    app.state.assistant = assistant
    app.state.library = library
    app.state.jobs = jobs
    app.add_middleware(BodyLimit, paths=("/api/chat", "/api/feedback"), max_bytes=MAX_CHAT_BODY_BYTES)
    app.add_middleware(  # added last, so outside the body limit: a refused body still carries CORS headers
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=600,
    )
    _install_error_handlers(app)

    def count_question(request: Request, session_id: str | None) -> None:
        limiter.check(client_address(request), session_id)

    def require_admin(request: Request) -> None:
        if not admin.enabled:
            raise ApiError(403, "admin_disabled", "服务器未配置管理令牌（HUIQI_ADMIN_TOKEN），文件管理接口已停用。")
        given = request.headers.get("authorization", "")
        given = given[7:].strip() if given.lower().startswith("bearer ") else request.headers.get("x-admin-token", "")
        if not given:
            raise ApiError(401, "unauthorized", "需要管理令牌：请在请求头 Authorization: Bearer <令牌> 中提供。",
                           {"WWW-Authenticate": "Bearer"})
        admin.check_token(client_address(request), given)

    @app.post("/api/chat", tags=["对话"], summary="提问，返回完整回答")
    def chat(body: ChatRequest, request: Request) -> dict:
        check_chat_request(body, settings.max_question_chars)
        count_question(request, body.session_id)
        answer = assistant.ask(body.question, session_id=body.session_id, region=body.region, channel=body.channel)
        return answer.as_json()

    @app.post("/api/chat/stream", tags=["对话"], summary="提问，以 Server-Sent Events 流式返回")
    def chat_stream(body: ChatRequest, request: Request) -> StreamingResponse:
        check_chat_request(body, settings.max_question_chars)
        count_question(request, body.session_id)
        events = assistant.stream(body.question, session_id=body.session_id, region=body.region, channel=body.channel)
        # The first event is produced before the response starts: whatever the assistant
        # refuses before answering (a region, say) is the same 4xx as on /api/chat, never
        # an error event inside a 200 stream.
        first = next(events)
        return StreamingResponse(
            _sse(itertools.chain([first], events)), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/feedback", tags=["对话"], summary="对一条回答点赞或点踩，可附意见")
    def feedback(body: FeedbackRequest, request: Request) -> dict:
        count_question(request, body.session_id)
        assistant.conversations.add_feedback(body.session_id, body.turn_id, body.rating, body.comment)
        return {"ok": True}

    @app.get("/api/documents", tags=["文件"], summary="已入库的政策文件")
    def list_documents() -> list[dict]:
        return [d.as_json() for d in library.documents()]

    @app.post("/api/documents", tags=["文件"], summary="上传政策文件（需管理令牌）",
              dependencies=[Depends(require_admin)], openapi_extra=UPLOAD_BODY)
    async def upload_documents(request: Request) -> JSONResponse:
        # The files are not a declared parameter: FastAPI would receive and parse the
        # whole body before require_admin runs. Read here, they are received only once
        # the token has been checked.
        payload = await _uploaded_files(request, int(settings.max_file_mb * 1024 * 1024))
        if jobs is not None and jobs.is_large(payload):
            job = await run_in_threadpool(jobs.submit, payload)
            url = f"/api/jobs/{job.job_id}"
            return JSONResponse({"job_id": job.job_id, "status": job.status, "url": url},
                                status_code=202, headers={"Location": url})
        report = await run_in_threadpool(library.upload, payload)
        body = report_json(report)
        if nothing_stored(report):
            return JSONResponse({**error_body("document_rejected", rejection_message(report)), **body}, status_code=400)
        return JSONResponse(body)

    @app.get("/api/jobs/{job_id}", tags=["文件"], summary="后台入库任务的进度与结果（需管理令牌）",
             dependencies=[Depends(require_admin)])
    def get_job(job_id: str) -> dict:
        job = jobs.get(job_id) if jobs is not None else None
        if job is None:
            raise ApiError(404, "job_not_found", "没有这个任务：编号不存在，或任务已结束超过 7 天。")
        return job.as_json()

    @app.delete("/api/documents/{doc_id}", tags=["文件"], summary="删除政策文件（需管理令牌）",
                dependencies=[Depends(require_admin)])
    def delete_document(doc_id: str) -> dict:
        return {"removed": library.remove(doc_id).as_json()}

    @app.post("/api/documents/{doc_id}/reindex", tags=["文件"], summary="重新入库一份文件（需管理令牌）",
              dependencies=[Depends(require_admin)])
    def reindex_document(doc_id: str) -> dict:
        report = library.reindex(doc_id)
        if report.rejected:
            name, reason = report.rejected[0]
            raise ApiError(400, "document_rejected", f"“{name}”未能重新入库：{reason}")
        return {"reindexed": doc_id, "chunks": sum(n for _, _, n in report.added + report.updated)}

    @app.get("/healthz", tags=["运维"], summary="健康检查")
    def healthz() -> dict:
        documents = library.documents()
        vectors = assistant.kb.vectors.count()  # in server mode: is Chroma there? (503 when not)
        return {
            "status": "ok", "documents": len(documents), "clauses": sum(d.chunks for d in documents),
            "vectors": vectors, "mode": assistant.mode, "worker": os.getpid(),
        }

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown_api_path(rest: str) -> None:
        # Without this, pages mounted at "/" would answer unknown API paths in their own format.
        raise ApiError(404, "not_found", "没有这个接口，请查看 /docs 中的接口说明。")

    return app


def client_address(request: Request) -> str:
    """The client's IP address: the visitor's, from X-Forwarded-For, when uvicorn trusts
    the proxy (FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "-"


async def _uploaded_files(request: Request, max_file_bytes: int) -> list[tuple[str, bytes]]:
    try:
        async with request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES) as form:
            files = []
            for upload in form.getlist("files"):
                if isinstance(upload, UploadFile):
                    # One byte past the limit: enough to refuse, without holding a huge file.
                    files.append((upload.filename or "", await upload.read(max_file_bytes + 1)))
    except StarletteHTTPException:
        raise ApiError(400, "invalid_upload", f"上传内容无法解析：请用 multipart/form-data 提交，文件放在 files 字段（最多 {MAX_UPLOAD_FILES} 个）。") from None
    if not files:
        raise ApiError(422, "invalid_request", "请求格式不正确：缺少文件。")
    return files


def _sse(events: Iterator[str | Answer]) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, Answer):
                yield _event("answer", event.as_json())
            elif event:
                yield _event("token", {"text": event})
    except (AssistantError, KnowledgeError) as exc:
        status, code, message = _describe(exc)
        yield _event("error", error_body(code, message))
    except Exception:  # the stream has started: the client can only be told in-band
        log.exception("chat stream failed")
        yield _event("error", error_body("internal_error", "服务器内部错误，请稍后重试。"))


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _describe(exc: Exception) -> tuple[int, str, str]:
    if isinstance(exc, AssistantError):
        return exc.status, exc.code, str(exc)
    if isinstance(exc, DocumentNotFound):
        return 404, "document_not_found", f"知识库中没有编号为“{exc.doc_id}”的文件。"
    if isinstance(exc, DocumentRejected):
        return 400, exc.code, str(exc)
    if isinstance(exc, VectorStoreUnavailable):
        return 503, exc.code, str(exc)
    if isinstance(exc, KnowledgeError):
        return 500, exc.code, str(exc)
    return 500, "internal_error", "服务器内部错误，请稍后重试。"


_FIELD_NAMES = {
    "question": "问题", "session_id": "会话编号", "region": "地区", "channel": "渠道", "turn_id": "回答编号",
    "rating": "评价", "comment": "意见", "files": "文件",
}


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        field = _FIELD_NAMES.get(location[0], location[0]) if location else "请求体"
        kind = error.get("type", "")
        if kind == "missing":
            problems.append(f"缺少{field}")
        elif kind in ("json_invalid", "model_attributes_type", "dict_type"):
            problems.append("请求体须为 JSON 对象")
        elif kind == "literal_error":
            problems.append(f"{field}的取值无效")
        else:
            problems.append(f"{field}的类型或格式不正确")
    return "请求格式不正确：" + "；".join(dict.fromkeys(problems)) + "。"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {
            400: "请求体无法解析：须为 UTF-8 编码的 JSON 对象。", 404: "没有这个地址。", 405: "不支持这种请求方法。",
        }
        message = messages.get(exc.status_code, "请求无法处理。")
        return JSONResponse(error_body(f"http_{exc.status_code}", message), status_code=exc.status_code)

    @app.exception_handler(RateLimited)
    async def rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, str(exc)), status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(OperationalError)
    async def database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("database_unavailable", "数据库暂时无法访问，请稍后重试。"), status_code=503)

    @app.exception_handler(AssistantError)
    @app.exception_handler(KnowledgeError)
    async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
        status, code, message = _describe(exc)
        return JSONResponse(error_body(code, message), status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed", exc_info=exc)
        return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试。"), status_code=500)
