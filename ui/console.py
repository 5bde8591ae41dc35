"""The help-desk console at `/console`: documents, retrieval test (命中测试), the
conversation log with CSV export, and the help-desk tabs of `ui.console_helpdesk`
(inquiries, curated answers, dashboard).

Only mounted when `HUIQI_ADMIN_TOKEN` is set, behind the login of `ui.console_access`.
Every callback checks the request's login cookie again on the server; nothing the
browser sends in a Gradio payload or session hash counts as logged in.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant.adminauth import AdminGate
from assistant.curated import local_minute
from assistant.errors import AssistantError
from assistant.exports import ExportFolder, conversation_csv
from assistant.jobs import FAILED, RUNNING, Job
from assistant.library import DocumentLibrary
from assistant.presentation import escape_text
from assistant.reports import report_from_json, report_lines
from assistant.service import Assistant
from assistant.upload_jobs import UploadJobs
from knowledge.errors import KnowledgeError
from knowledge.index import IngestReport
from knowledge.models import LEVELS
from ui.console_benefits import build_benefits_tab
from ui.console_helpdesk import build_helpdesk_tabs

UNKNOWN_REGION = "未识别地区"
"""Shown for a document whose place could not be read; staff set it in its metadata."""
DOC_HEADERS = ["编号", "标题", "文号", "发布机构", "日期", "地区", "层级", "条款数", "文件名"]
HIT_HEADERS = ["排名", "相关度", "稠密", "BM25", "融合", "文件", "条款", "条款原文"]
LOG_HEADERS = ["时间", "渠道", "地区", "问题", "理解为", "回答方式", "回答", "评价", "意见"]
MODE_NAMES = {
    "extractive": "摘录原文", "llm": "模型作答", "llm-fallback": "摘录原文（模型未通过核验）",
    "guide": "引导", "clarify": "追问地点", "curated": "人工答复",
}
JOB_POLL_S = 2.0
METADATA_FIELDS = ("title", "doc_number", "issuer", "date", "region", "level", "validity")
"""The order of the metadata form's fields."""


LOGOUT_FORM = (
    '<form method="post" action="logout" style="text-align:right">'
    '<button type="submit" id="hq-logout" class="lg secondary sm">退出登录</button></form>'
)


def build_console(
    assistant: Assistant, library: DocumentLibrary, gate: AdminGate, exports: ExportFolder, jobs: UploadJobs | None = None
) -> gr.Blocks:
    if not gate.enabled or gate.sessions is None:
        raise ValueError("the console needs HUIQI_ADMIN_TOKEN and a session store")

    def check(request: gr.Request | None) -> None:
        if request is None or not gate.logged_in(dict(request.cookies)):
            raise gr.Error("登录已失效，请刷新页面重新登录。", print_exception=False)

    def documents_table() -> list[list]:
        return [
            [d.doc_id, d.title, d.doc_number, d.issuer, d.date, d.region or UNKNOWN_REGION, d.level, d.chunks, d.source]
            for d in library.documents()
        ]

    def doc_choices() -> list[tuple[str, str]]:
        return [(f"{d.title}（{d.doc_id}）", d.doc_id) for d in library.documents()]

    # Gradio keeps every upload in its cache; these are dropped after an hour.
    with gr.Blocks(title="帮办控制台 · 惠企政策助手", analytics_enabled=False, delete_cache=(3600, 3600)) as console:
        with gr.Row(equal_height=True):
            gr.Markdown("## 帮办控制台\n管理政策文件、测试检索效果、查看企业提问与知识库缺口。", elem_id="hq-header")
            gr.HTML(LOGOUT_FORM)
        with gr.Tabs():
            with gr.Tab("文件管理", id="documents"):
                docs = gr.Dataframe(headers=DOC_HEADERS, interactive=False, wrap=True, elem_id="hq-docs")
                with gr.Row():
                    uploads = gr.File(
                        label="上传政策文件（可多选；.txt .md .html .docx .pdf，可附同名 .meta.yaml 元数据）",
                        file_count="multiple", type="filepath", elem_id="hq-upload",
                    )
                upload = gr.Button("上传并入库", variant="primary", elem_id="hq-upload-button")
                upload_note = gr.Markdown(elem_id="hq-upload-note")
                # A large upload runs as a background job; the timer follows it until it ends.
                job_id = gr.State(None)
                job_timer = gr.Timer(JOB_POLL_S, active=False)
                with gr.Row(equal_height=True):
                    chosen = gr.Dropdown(label="选择文件", choices=[], scale=4, elem_id="hq-doc-choice")
                    reindex = gr.Button("重新索引", scale=1)
                    remove = gr.Button("删除", variant="stop", scale=1, elem_id="hq-remove")
                with gr.Group(elem_id="hq-metadata"):
                    with gr.Row():
                        meta_title = gr.Textbox(label="标题", scale=3)
                        meta_number = gr.Textbox(label="文号", placeholder="如 郑政〔2023〕12号", scale=2)
                    with gr.Row():
                        meta_issuer = gr.Textbox(label="发文机关", scale=3)
                        meta_date = gr.Textbox(label="发文日期", placeholder="YYYY-MM-DD", scale=1)
                    with gr.Row():
                        meta_region = gr.Textbox(label="地区", placeholder="规范名称，如 大连市、甘井子区", scale=2)
                        meta_level = gr.Dropdown(label="层级", choices=["", *LEVELS], value="", scale=1)
                        meta_validity = gr.Textbox(label="有效期", placeholder="如 自2024年1月1日起施行", scale=2)
                metadata = [meta_title, meta_number, meta_issuer, meta_date, meta_region, meta_level, meta_validity]
                save_metadata = gr.Button("保存元数据并重新入库", elem_id="hq-save-metadata")
                doc_note = gr.Markdown(elem_id="hq-doc-note")
            with gr.Tab("命中测试", id="retrieval"):
                probe = gr.Textbox(label="测试问题", placeholder="如：温县政府采购预留比例", elem_id="hq-probe")
                with gr.Row():
                    probe_region = gr.Dropdown(label="地区", choices=["全部"], value="全部")
                    probe_k = gr.Slider(1, 20, value=8, step=1, label="返回条数")
                run_probe = gr.Button("检索", variant="primary", elem_id="hq-run-probe")
                probe_note = gr.Markdown()
                hits = gr.Dataframe(headers=HIT_HEADERS, interactive=False, wrap=True, elem_id="hq-hits")
            with gr.Tab("会话记录", id="log"):
                with gr.Row(equal_height=True):
                    search = gr.Textbox(label="搜索问题或回答", scale=4)
                    run_search = gr.Button("搜索", scale=1)
                    export = gr.Button("导出 CSV", scale=1)
                export_link = gr.HTML(elem_id="hq-export")
                # Fixed shares of the width, text wrapped: every column is on screen without scrolling.
                log = gr.Dataframe(
                    headers=LOG_HEADERS, interactive=False, wrap=True, elem_id="hq-log",
                    column_widths=["9%", "6%", "7%", "15%", "13%", "9%", "29%", "5%", "7%"],
                )
            helpdesk_opening, helpdesk_outputs = build_helpdesk_tabs(assistant, library, exports, check, describe)
            build_benefits_tab(assistant, check)

        def on_open(request: gr.Request):
            check(request)
            regions = ["全部", *assistant.covered_regions()]
            return documents_table(), gr.Dropdown(choices=doc_choices(), value=None), gr.Dropdown(choices=regions, value="全部")

        def refreshed(note: str, keep: str | None = None):
            """The table and the file list afresh; `keep` stays chosen (with what was typed)."""
            return documents_table(), gr.Dropdown(choices=doc_choices(), value=keep), note

        def on_upload(paths: list[str] | None, request: gr.Request, progress=gr.Progress()):
            check(request)
            idle = (None, gr.Timer(active=False))
            if not paths:
                return *refreshed("请先选择要上传的文件。"), None, *idle
            files = [(Path(p).name, Path(p).read_bytes()) for p in paths]
            if jobs is not None and jobs.is_large(files):
                job = jobs.submit(files)
                return *refreshed(describe_job(job)), None, job.job_id, gr.Timer(active=True)
            progress(0, desc="正在解析与向量化…")
            report = library.upload(files, on_file=lambda step: progress(step.fraction, desc=step.describe()))
            return *refreshed(describe(report)), None, *idle

        def on_job_tick(current: str | None, request: gr.Request):
            check(request)
            job = jobs.get(current) if jobs is not None and current else None
            if job is None:
                return *refreshed("找不到这个入库任务，请刷新页面查看文件列表。"), None, gr.Timer(active=False)
            if not job.finished:
                return gr.skip(), gr.skip(), describe_job(job), current, gr.Timer(active=True)
            return *refreshed(describe_job(job)), None, gr.Timer(active=False)

        def on_choose(doc_id: str | None, request: gr.Request):
            check(request)
            empty = [""] * len(METADATA_FIELDS)
            if not doc_id:
                return *empty, ""
            try:
                fields = library.metadata_fields(doc_id)
            except KnowledgeError as exc:
                return *empty, f"⚠️ {escape_text(str(exc))}"
            return *(fields.get(key, "") for key in METADATA_FIELDS), ""

        def on_remove(doc_id: str | None, request: gr.Request):
            check(request)
            cleared = [""] * len(METADATA_FIELDS)
            if not doc_id:
                return *refreshed("请先选择文件。"), *cleared
            try:
                removed = library.remove(doc_id)
            except KnowledgeError as exc:
                return *refreshed(f"⚠️ {escape_text(str(exc))}"), *cleared
            return *refreshed(f"已删除《{removed.title}》（{removed.chunks} 条）。"), *cleared

        def on_reindex(doc_id: str | None, request: gr.Request, progress=gr.Progress()):
            check(request)
            if not doc_id:
                return refreshed("请先选择文件。")
            try:
                report = library.reindex(doc_id, on_progress=lambda d, t: progress(d / t if t else 1, desc="正在重新索引…"))
            except KnowledgeError as exc:
                return refreshed(f"⚠️ {escape_text(str(exc))}")
            return refreshed(describe(report))

        def on_save_metadata(
            doc_id: str | None, title: str, doc_number: str, issuer: str, date: str, region: str, level: str,
            validity: str, request: gr.Request, progress=gr.Progress(),
        ):
            check(request)
            values = (title, doc_number, issuer, date, region, level, validity)
            if not doc_id:
                return refreshed("请先选择文件。")
            fields = dict(zip(METADATA_FIELDS, (v if isinstance(v, str) else "" for v in values)))
            try:
                report = library.save_metadata_fields(
                    doc_id, fields, on_progress=lambda d, t: progress(d / t if t else 1)
                )
            except KnowledgeError as exc:
                # The edit is refused: the file stays chosen and the form keeps what was typed.
                return refreshed(f"⚠️ {escape_text(str(exc))}", keep=doc_id)
            return refreshed(describe(report) or "元数据没有变化。", keep=doc_id)

        def on_probe(text: str, region: str, k: float, request: gr.Request):
            check(request)
            try:
                retrieval = assistant.search(text, region=None if region == "全部" else region, k=int(k))
            except (AssistantError, KnowledgeError) as exc:
                return f"⚠️ {escape_text(str(exc))}", []
            threshold = assistant.relevance.threshold
            note = f"拒答阈值：相关度 < {threshold:.3f}。"
            if retrieval.uncovered_regions:
                note += f" 知识库未收录：{'、'.join(retrieval.uncovered_regions)}。"
            rows = [
                [
                    rank, _fmt(hit.scores.get("relevance")),
                    _fmt(hit.scores.get("dense", hit.scores.get("dense_exact"))), _fmt(hit.scores.get("bm25")),
                    _fmt(hit.scores.get("fused"), 4), hit.document.title,
                    f"{hit.clause.clause_id}\n{hit.clause.clause_path}", hit.clause.text,
                ]
                for rank, hit in enumerate(retrieval.hits, 1)
            ]
            return note, rows

        def on_search(text: str, request: gr.Request):
            check(request)
            return [
                [
                    local_minute(t.created_at), t.channel, t.region, t.question,
                    t.standalone_question if t.standalone_question != t.question else "",
                    "拒答" if t.refused else ("相关条款" if t.related else MODE_NAMES.get(t.mode, t.mode)), t.answer,
                    {"up": "👍", "down": "👎"}.get(t.rating, ""), t.comment,
                ]
                for t in assistant.conversations.log(text or "")
            ]

        def on_export(text: str, request: gr.Request):
            check(request)
            name = exports.write(conversation_csv(assistant.conversations.log(text or "", limit=None)))
            # Served by the console's own route to a logged-in browser, never through Gradio's cache.
            return f'<a href="exports/{name}" download="huiqi-conversations.csv">下载导出的会话记录（CSV，1 小时内有效）</a>'

        doc_outputs = [docs, chosen, doc_note]
        console.load(on_open, None, [docs, chosen, probe_region])
        console.load(helpdesk_opening, None, helpdesk_outputs)
        upload.click(on_upload, uploads, [docs, chosen, upload_note, uploads, job_id, job_timer])
        job_timer.tick(on_job_tick, job_id, [docs, chosen, upload_note, job_id, job_timer])
        chosen.change(on_choose, chosen, [*metadata, doc_note])
        remove.click(on_remove, chosen, [*doc_outputs, *metadata])
        reindex.click(on_reindex, chosen, doc_outputs)
        save_metadata.click(on_save_metadata, [chosen, *metadata], doc_outputs)
        run_probe.click(on_probe, [probe, probe_region, probe_k], [probe_note, hits])
        probe.submit(on_probe, [probe, probe_region, probe_k], [probe_note, hits])
        run_search.click(on_search, search, log)
        search.submit(on_search, search, log)
        export.click(on_export, search, export_link)
    return console


def describe(report: IngestReport) -> str:
    """An ingest report as the help desk reads it: one Markdown paragraph per file."""
    return "\n\n".join(escape_text(line) for line in report_lines(report))


def describe_job(job: Job) -> str:
    """A background upload as the help desk follows it."""
    names = "、".join(f"“{escape_text(name)}”" for name in job.files[:5]) + ("等" if len(job.files) > 5 else "")
    if job.finished and job.result is not None:  # a failure with a result: every file was refused, each named
        return describe(report_from_json(job.result)) or f"{names} 没有需要入库的内容。"
    if job.status == FAILED:
        return f"⚠️ {names} 入库失败：{escape_text(job.error or '')}"
    if job.status == RUNNING and job.total:
        return f"⏳ {names} 正在后台入库：已处理 {job.done} / {job.total} 条（{job.done * 100 // job.total}%）。可以离开本页，稍后回来查看。"
    return f"⏳ {names} 较大，已转入后台入库（任务 {job.job_id[:8]}…），完成后会显示结果。"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"
