"""The help desk's API (admin token): inquiries, replies, curated answers, figures, so a
12345 hotline system can take part in the loop. Errors are `{"error": {...}}` in Chinese."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api_deps import AssistantDep, require_admin
from assistant.curated import CuratedDraft
from assistant.dashboard import stats
from assistant.http_errors import ApiError
from assistant.qa_files import to_csv, to_xlsx

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class ReplyRequest(BaseModel):
    answer: str = Field(description="答复内容（纯文本，最长 5000 字）")
    publish: bool = Field(default=False, description="是否发布为问答对，供以后相同的问题直接使用")
    region: str | None = Field(default=None, description="问答对适用的地区；不传则用诉求的地区，空字符串表示不限")
    unit: str | None = Field(default=None, description="答复单位，如“甘井子区企业服务中心”")
    clause_ids: list[str] = Field(default_factory=list, description="引用的条款编号")
    version: int | None = Field(default=None, gt=0, le=2**63 - 1, description="查看时诉求的 version；不传则只在诉求仍待处理时答复")


class CloseRequest(BaseModel):
    reason: str = Field(description="关闭（不予答复）的原因")
    version: int | None = Field(default=None, gt=0, le=2**63 - 1)


class CuratedRequest(BaseModel):
    question: str
    answer: str
    alternatives: list[str] = Field(default_factory=list, description="其他问法")
    region: str = Field(default="", description="适用地区；空表示不限")
    unit: str | None = None
    clause_ids: list[str] = Field(default_factory=list)

    def draft(self) -> CuratedDraft:
        return CuratedDraft(
            question=self.question, answer=self.answer, region=self.region, unit=self.unit or "",
            alternatives=tuple(self.alternatives), clause_ids=tuple(self.clause_ids),
        )


helpdesk_routes = APIRouter(tags=["帮办"], dependencies=[Depends(require_admin)])


@helpdesk_routes.get("/api/inquiries", summary="诉求列表（需管理令牌）")
def list_inquiries(
    assistant: AssistantDep, status: Literal["open", "answered", "closed"] | None = None,
) -> list[dict]:
    return [i.as_json() for i in assistant.helpdesk.inquiries.list(status)]


@helpdesk_routes.get("/api/inquiries/{inquiry_id}", summary="一条诉求：各次提问、助手的回答、回电号码（需管理令牌）")
def get_inquiry(inquiry_id: int, assistant: AssistantDep) -> dict:
    return assistant.helpdesk.inquiries.get(inquiry_id).as_json(phones=True)


@helpdesk_routes.post("/api/inquiries/{inquiry_id}/reply", summary="答复诉求，可发布为问答对（需管理令牌）")
def reply_inquiry(inquiry_id: int, body: ReplyRequest, assistant: AssistantDep) -> dict:
    inquiry = assistant.helpdesk.reply(
        inquiry_id, body.answer, publish=body.publish, region=body.region, unit=body.unit,
        clause_ids=body.clause_ids, version=body.version,
    )
    return inquiry.as_json()


@helpdesk_routes.post("/api/inquiries/{inquiry_id}/close", summary="关闭诉求（不予答复须说明原因；需管理令牌）")
def close_inquiry(inquiry_id: int, body: CloseRequest, assistant: AssistantDep) -> dict:
    return assistant.helpdesk.inquiries.close(inquiry_id, body.reason, body.version).as_json()


@helpdesk_routes.get("/api/curated", summary="问答对列表（需管理令牌）")
def list_curated(assistant: AssistantDep) -> list[dict]:
    return [a.as_json() for a in assistant.helpdesk.curated.all()]


@helpdesk_routes.post("/api/curated", summary="新建问答对（需管理令牌）", status_code=201)
def create_curated(body: CuratedRequest, assistant: AssistantDep) -> dict:
    return assistant.helpdesk.add_curated(body.draft()).as_json()


@helpdesk_routes.get("/api/curated/export", summary="导出问答对为 CSV 或 XLSX（需管理令牌）")
def export_curated(assistant: AssistantDep, format: Literal["csv", "xlsx"] = "csv") -> Response:
    answers = assistant.helpdesk.curated.all()
    if format == "xlsx":
        data, media = to_xlsx(answers), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, media = to_csv(answers), "text/csv; charset=utf-8"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="huiqi-qa-pairs.{format}"', "Cache-Control": "no-store",
    })


@helpdesk_routes.post("/api/curated/import", summary="从 CSV 或 XLSX 导入问答对（需管理令牌）")
async def import_curated(request: Request, assistant: AssistantDep) -> dict:
    try:
        async with request.form(max_files=1, max_fields=1) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(422, "invalid_request", "请求格式不正确：缺少文件（multipart/form-data 的 file 字段）。")
            name, data = upload.filename or "", await upload.read(MAX_IMPORT_BYTES + 1)
    except StarletteHTTPException:
        raise ApiError(400, "invalid_upload", "上传内容无法解析：请用 multipart/form-data 提交，文件放在 file 字段。") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise ApiError(413, "too_large", f"文件超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB，请分成几个文件导入。")
    report = await run_in_threadpool(assistant.helpdesk.import_file, name, data)
    return {
        "added": [a.as_json() for a in report.added],
        "rejected": [{"row": row, "reason": reason} for row, reason in report.rejected],
    }


@helpdesk_routes.get("/api/curated/{curated_id}", summary="一条问答对（需管理令牌）")
def get_curated(curated_id: int, assistant: AssistantDep) -> dict:
    return assistant.helpdesk.curated.get(curated_id).as_json()


@helpdesk_routes.put("/api/curated/{curated_id}", summary="修改问答对，立即生效（需管理令牌）")
def update_curated(curated_id: int, body: CuratedRequest, assistant: AssistantDep) -> dict:
    return assistant.helpdesk.update_curated(curated_id, body.draft()).as_json()


@helpdesk_routes.delete("/api/curated/{curated_id}", summary="撤回问答对，立即生效（需管理令牌）")
def delete_curated(curated_id: int, assistant: AssistantDep) -> dict:
    return {"withdrawn": assistant.helpdesk.curated.withdraw(curated_id).as_json()}


@helpdesk_routes.get("/api/stats", summary="服务数据：问题数、回答方式、诉求解决率等（需管理令牌）")
def get_stats(assistant: AssistantDep, days: int = Query(default=30, ge=1, le=366)) -> dict:
    return stats(assistant.conversations.engine, days).as_json()
