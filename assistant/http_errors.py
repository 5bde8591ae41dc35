"""How the HTTP API answers a failure: always `{"error": {"code", "message"}}`, with a
Chinese message and the status the error itself carries (5xx only when the server
itself fails), never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import AssistantError
from knowledge.errors import KnowledgeError

log = logging.getLogger("huiqi.api")

INTERNAL_ERROR = "服务器内部错误，请稍后重试。"
HTTP_MESSAGES = {400: "请求体无法解析：须为 UTF-8 编码的 JSON 对象。", 404: "没有这个地址。", 405: "不支持这种请求方法。"}
FIELD_NAMES = {
    "question": "问题", "session_id": "会话编号", "region": "地区", "channel": "渠道", "turn_id": "回答编号",
    "rating": "评价", "comment": "意见", "files": "文件",
}


class ApiError(AssistantError):
    """A failure of the HTTP interface itself (no admin token, no such job or path).

    Usage::

        raise ApiError(404, "job_not_found", "没有这个任务。")
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self._headers = dict(headers or {})

    @property
    def headers(self) -> dict[str, str]:
        return self._headers


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def domain_error_body(exc: AssistantError | KnowledgeError) -> dict:
    """The body answering one of the errors huiqi raises on purpose (a knowledge-base error
    may word its message for the API without the command-line hint)."""
    return error_body(exc.code, getattr(exc, "web_message", None) or str(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure of `app` as an error body."""

    @app.exception_handler(AssistantError)
    @app.exception_handler(KnowledgeError)
    async def domain_error(_request: Request, exc: AssistantError | KnowledgeError) -> JSONResponse:
        # Only the assistant's errors carry headers (Retry-After, WWW-Authenticate).
        headers = getattr(exc, "headers", None)
        return JSONResponse(domain_error_body(exc), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = HTTP_MESSAGES.get(exc.status_code, "请求无法处理。")
        return JSONResponse(error_body(f"http_{exc.status_code}", message), status_code=exc.status_code)

    @app.exception_handler(OperationalError)
    async def database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("database_unavailable", "数据库暂时无法访问，请稍后重试。"), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("request failed", exc_info=exc)
        return JSONResponse(error_body("internal_error", INTERNAL_ERROR), status_code=500)


def validation_message(exc: RequestValidationError) -> str:
    """What is wrong with a request body, in Chinese, each problem named once."""
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        field = FIELD_NAMES.get(location[0], location[0]) if location else "请求体"
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
