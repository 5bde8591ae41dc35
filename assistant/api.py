"""The HTTP API: chat (JSON and Server-Sent Events), feedback, documents, upload jobs, health.

Routes live on module-level routers and reach the assistant, the library and the upload
jobs through dependencies on `app.state`. Every error is answered as in
`assistant.http_errors`: `{"error": {"code", "message"}}`, never a stack trace.

Past 300 lines because it is the whole HTTP contract of README's API section, one router
per area; what the routes do lives in the modules they call.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.adminauth import AdminGate
from assistant.answer.base import Answer
from assistant.bodylimit import BodyLimit
from assistant.conversation import ISSUED_SESSION_ID, validate_session_id
from assistant.direct import checked_profile, match
from assistant.errors import AssistantError
from assistant.http_errors import INTERNAL_ERROR, ApiError, domain_error_body, error_body, install_error_handlers
from assistant.api_deps import AssistantDep, JobsDep, LibraryDep, count_question, require_admin
from assistant.helpdesk_api import helpdesk_routes
from assistant.layout import answer_blocks
from assistant.library import DocumentLibrary
from assistant.questions import searchable, validate_question, validate_region
from assistant.ratelimit import RateLimiter
from assistant.reports import nothing_stored, rejection_message, report_json
from assistant.service import Assistant
from assistant.upload_jobs import UploadJobs
from knowledge.benefits import terms
from knowledge.errors import KnowledgeError

log = logging.getLogger("huiqi.api")


class ChatRequest(BaseModel):
    question: str = Field(description="问题，1–500 个字")
    session_id: str | None = Field(default=None, description="会话编号；不传则开启新会话")
    region: str | None = Field(default=None, description="限定地区，如“金华市”；“全部”或不传表示不限")
    channel: Literal["api", "widget", "web"] = Field(default="api", description="来源渠道，用于会话记录")


class MatchRequest(BaseModel):
    region: str = Field(max_length=50, description="企业所在地，如“大连市甘井子区”")
    industry: str | None = Field(default=None, max_length=30, description="行业，如“跨境电商”“物流”")
    size: str | None = Field(default=None, max_length=20, description="规上企业 / 中型企业 / 小微企业 / 个体工商户")
    titles: list[str] | None = Field(default=None, max_length=10, description="已获资质，如 [\"专精特新\", \"高新技术企业\"]")


class FeedbackRequest(BaseModel):
    session_id: str
    turn_id: int = Field(description="回答对象中的 turn_id")
    rating: Literal["up", "down"]
    comment: str = Field(default="", description="可选的意见")


class CallbackRequest(BaseModel):
    session_id: str
    turn_id: int = Field(gt=0, le=2**63 - 1, description="未能回答的那条回答的 turn_id")
    phone: str = Field(description="回电号码：手机号或带区号的固定电话")


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
    app = FastAPI(
        title="惠企政策助手 API",
        description="回答企业关于惠企政策的问题，并引用所依据的政策条款原文。",
        version="1",
        lifespan=_background_work,
    )
    # What the routes reach through their dependencies.
    app.state.assistant = assistant
    app.state.library = library
    app.state.jobs = jobs
    app.state.limiter = limiter or RateLimiter(settings.rate_limit, settings.rate_limit_per_ip)
    if admin is None:
        admin = AdminGate(settings.admin_token.get_secret_value() if settings.admin_token else "")
    app.state.admin = admin
    app.add_middleware(BodyLimit, paths=("/api/chat", "/api/feedback", "/api/callback", "/api/match"), max_bytes=MAX_CHAT_BODY_BYTES)
    app.add_middleware(  # added last, so outside the body limit: a refused body still carries CORS headers
        CORSMiddleware,
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=600,
    )
    install_error_handlers(app)
    app.include_router(chat_routes)
    app.include_router(document_routes)
    app.include_router(helpdesk_routes)
    app.include_router(service_routes)  # last: its catch-all answers only paths no other route has
    return app


@asynccontextmanager
async def _background_work(app: FastAPI) -> AsyncIterator[None]:
    # The search indexes and 政策直达 items are built while the first visitors arrive
    # (at 100k clauses that takes a minute), not by the first question that needs them.
    threading.Thread(target=app.state.assistant.kb.prepare, name="huiqi-prepare", daemon=True).start()
    jobs: UploadJobs | None = app.state.jobs
    if jobs is not None:
        await run_in_threadpool(jobs.start)
    try:
        yield
    finally:
        if jobs is not None:
            await run_in_threadpool(jobs.stop)


chat_routes = APIRouter(tags=["对话"])
document_routes = APIRouter(tags=["文件"])
service_routes = APIRouter()


@chat_routes.post("/api/chat", summary="提问，返回完整回答")
def chat(body: ChatRequest, request: Request, assistant: AssistantDep) -> dict:
    check_chat_request(body, assistant.settings.max_question_chars)
    count_question(request, body.session_id)
    answer = assistant.ask(body.question, session_id=body.session_id, region=body.region, channel=body.channel)
    return answer.as_json()


@chat_routes.post("/api/chat/stream", summary="提问，以 Server-Sent Events 流式返回")
def chat_stream(body: ChatRequest, request: Request, assistant: AssistantDep) -> StreamingResponse:
    check_chat_request(body, assistant.settings.max_question_chars)
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


@chat_routes.get("/api/sessions/{session_id}", summary="一次会话的各轮问答（页面刷新后恢复对话）")
def get_session(session_id: str, assistant: AssistantDep) -> dict:
    # Only ids huiqi issued itself (random, 128 bits) are readable: an id a caller chose
    # for itself may be short enough to guess.
    if not ISSUED_SESSION_ID.match(session_id):
        raise ApiError(404, "session_not_found", "没有这个会话，或会话已过期。")
    turns = assistant.conversations.session_turns(session_id)
    if not turns:
        raise ApiError(404, "session_not_found", "没有这个会话，或会话已过期。")
    replies = assistant.helpdesk.replies([t.turn_id for t in turns])
    return {
        "session_id": session_id,
        "turns": [
            {"turn_id": t.turn_id, "question": t.question, "answer": t.answer,
             "blocks": [b.as_json() for b in answer_blocks(t.answer, t.question)], "refused": t.refused,
             "related": t.related, "mode": t.mode, "citations": t.citations, "rating": t.rating or None,
             "asked_at": t.created_at.isoformat(),
             "reply": replies[t.turn_id].as_json() if t.turn_id in replies else None}
            for t in turns
        ],
    }


@chat_routes.post("/api/match", summary="政策直达：按企业情况列出可能享受的政策条目")
def match_benefits(body: MatchRequest, request: Request, assistant: AssistantDep) -> dict:
    count_question(request, None)
    titles = [t[:30] for t in body.titles or []]
    profile, assumed = checked_profile(body.region, body.industry or "", body.size or "", titles)
    return match(assistant.kb.benefits(), profile, assumed).as_json()


@chat_routes.get("/api/match/options", summary="政策直达表单的可选项：已收录地区、行业、规模、资质")
def match_options(assistant: AssistantDep) -> dict:
    vocabulary = terms()
    return {"regions": assistant.covered_regions(), "industries": list(vocabulary.industries),
            "sizes": list(vocabulary.sizes), "titles": list(vocabulary.titles)}


@chat_routes.post("/api/feedback", summary="对一条回答点赞或点踩，可附意见")
def feedback(body: FeedbackRequest, request: Request, assistant: AssistantDep) -> dict:
    count_question(request, body.session_id)
    assistant.rate(body.session_id, body.turn_id, body.rating, body.comment)
    return {"ok": True}


@chat_routes.post("/api/callback", summary="未能回答时留下电话，帮办人员回电")
def callback(body: CallbackRequest, request: Request, assistant: AssistantDep) -> dict:
    count_question(request, body.session_id)
    validate_session_id(body.session_id)
    assistant.helpdesk.inquiries.leave_phone(body.session_id, body.turn_id, body.phone)
    return {"ok": True, "message": "已记录，帮办人员会尽快与您联系。"}


@document_routes.get("/api/documents", summary="已入库的政策文件")
def list_documents(library: LibraryDep) -> list[dict]:
    return [d.as_json() for d in library.documents()]


@document_routes.get("/api/documents/{doc_id}", summary="一份政策文件的全文，逐条款")
def get_document(doc_id: str, assistant: AssistantDep) -> dict:
    # Published policy text, as the chat's citation cards already show it: no token needed.
    document = assistant.kb.document(doc_id)
    clauses = [
        {"clause_id": c.clause_id, "clause_path": c.clause_path, "text": c.text}
        for c in assistant.kb.clauses(doc_id)
    ]
    return {**document.as_json(), "clauses": clauses}


@document_routes.post("/api/documents", summary="上传政策文件（需管理令牌）",
                      dependencies=[Depends(require_admin)], openapi_extra=UPLOAD_BODY)
async def upload_documents(
    request: Request, assistant: AssistantDep, library: LibraryDep, jobs: JobsDep
) -> JSONResponse:
    # The files are not a declared parameter: FastAPI would receive and parse the
    # whole body before require_admin runs. Read here, they are received only once
    # the token has been checked.
    payload = await _uploaded_files(request, int(assistant.settings.max_file_mb * 1024 * 1024))
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


@document_routes.get("/api/jobs/{job_id}", summary="后台入库任务的进度与结果（需管理令牌）",
                     dependencies=[Depends(require_admin)])
def get_job(job_id: str, jobs: JobsDep) -> dict:
    job = jobs.get(job_id) if jobs is not None else None
    if job is None:
        raise ApiError(404, "job_not_found", "没有这个任务：编号不存在，或任务已结束超过 7 天。")
    return job.as_json()


@document_routes.delete("/api/documents/{doc_id}", summary="删除政策文件（需管理令牌）",
                        dependencies=[Depends(require_admin)])
def delete_document(doc_id: str, library: LibraryDep) -> dict:
    return {"removed": library.remove(doc_id).as_json()}


@document_routes.post("/api/documents/{doc_id}/reindex", summary="重新入库一份文件（需管理令牌）",
                      dependencies=[Depends(require_admin)])
def reindex_document(doc_id: str, library: LibraryDep) -> dict:
    report = library.reindex(doc_id)
    if report.rejected:
        name, reason = report.rejected[0]
        raise ApiError(400, "document_rejected", f"“{name}”未能重新入库：{reason}")
    return {"reindexed": doc_id, "chunks": report.chunks}


@service_routes.get("/healthz", tags=["运维"], summary="健康检查")
def healthz(assistant: AssistantDep) -> dict:
    health = assistant.kb.health()  # in server mode: is Chroma there? (503 when not)
    return {"status": "ok", **health, "mode": assistant.mode, "worker": os.getpid()}


@service_routes.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                          include_in_schema=False)
def unknown_api_path(rest: str) -> None:
    # Without this, pages mounted at "/" would answer unknown API paths in their own format.
    raise ApiError(404, "not_found", "没有这个接口，请查看 /docs 中的接口说明。")


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
        yield _event("error", domain_error_body(exc))
    except Exception:  # the stream has started: the client can only be told in-band
        log.exception("chat stream failed")
        yield _event("error", error_body("internal_error", INTERNAL_ERROR))


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
