"""What the API's routes depend on: the assistant, library and upload jobs on
`app.state`, the rate limit, and the admin token check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.adminauth import AdminGate
from assistant.http_errors import ApiError
from assistant.library import DocumentLibrary
from assistant.service import Assistant
from assistant.upload_jobs import UploadJobs


def current_assistant(request: Request) -> Assistant:
    return request.app.state.assistant


def current_library(request: Request) -> DocumentLibrary:
    return request.app.state.library


def current_jobs(request: Request) -> UploadJobs | None:
    return request.app.state.jobs


AssistantDep = Annotated[Assistant, Depends(current_assistant)]
LibraryDep = Annotated[DocumentLibrary, Depends(current_library)]
JobsDep = Annotated[UploadJobs | None, Depends(current_jobs)]


def count_question(request: Request, session_id: str | None) -> None:
    """Raise RateLimited when this client has asked too often."""
    request.app.state.limiter.check(client_address(request), session_id)


def require_admin(request: Request) -> None:
    admin: AdminGate = request.app.state.admin
    if not admin.enabled:
        raise ApiError(403, "admin_disabled", "服务器未配置管理令牌（HUIQI_ADMIN_TOKEN），文件管理接口已停用。")
    given = request.headers.get("authorization", "")
    given = given[7:].strip() if given.lower().startswith("bearer ") else request.headers.get("x-admin-token", "")
    if not given:
        raise ApiError(401, "unauthorized", "需要管理令牌：请在请求头 Authorization: Bearer <令牌> 中提供。",
                       {"WWW-Authenticate": "Bearer"})
    admin.check_token(client_address(request), given)


def client_address(request: Request) -> str:
    """The client's IP address: the visitor's, from X-Forwarded-For, when uvicorn trusts
    the proxy (FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "-"
