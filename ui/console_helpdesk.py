"""The console's help-desk tabs: 诉求处理 (inquiries: read, reply, publish, close),
问答库 (curated answers: edit, withdraw, import, export) and 数据看板 (the figures and
charts of `assistant.dashboard`).

Built inside the console's `gr.Tabs`; every callback checks the login first (`check`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr
import pandas as pd

from assistant.curated import CuratedDraft, local_minute
from assistant.dashboard import OUTCOME_NAMES, OUTCOMES, RESOLUTION_TARGET, stats
from assistant.errors import AssistantError
from assistant.exports import ExportFolder
from assistant.inquiries import REASON_NAMES, Inquiry
from assistant.library import DocumentLibrary
from assistant.presentation import escape_text
from assistant.qa_files import to_csv, to_xlsx
from assistant.service import Assistant
from knowledge.errors import KnowledgeError
from knowledge.regions import gazetteer

ANY_REGION = "不限地区"
INQUIRY_HEADERS = ["编号", "状态", "问题", "地区", "渠道", "次数", "会话数", "首次提问", "最近提问"]
CURATED_HEADERS = ["编号", "问题", "其他问法", "答复", "地区", "单位", "引用条款", "更新时间"]
STATUS_CHOICES = [("待处理", "open"), ("已答复", "answered"), ("已关闭", "closed"), ("全部", "all")]
CHANNEL_NAMES = {"web": "网页", "widget": "网站挂件", "api": "接口", "cli": "命令行"}
PERIODS = [("近 7 天", 7), ("近 30 天", 30), ("近 90 天", 90)]


def build_helpdesk_tabs(
    assistant: Assistant, library: DocumentLibrary, exports: ExportFolder, check: Callable[[gr.Request | None], None],
    describe_upload: Callable,
) -> tuple[Callable, list]:
    """Add the three tabs to the open `gr.Tabs`; returns the console's load handler for
    them and the components it fills."""
    helpdesk = assistant.helpdesk

    def region_choices() -> list[str]:
        return [ANY_REGION, *assistant.covered_regions()]

    def inquiry_rows(status: str) -> list[list]:
        return [
            [i.id, i.status_name, i.question, i.region or "—", CHANNEL_NAMES.get(i.channel, i.channel), i.asked,
             i.sessions, local_minute(i.first_asked), local_minute(i.last_asked)]
            for i in helpdesk.inquiries.list(None if status == "all" else status)
        ]

    def inquiry_choices(status: str) -> list[tuple[str, int]]:
        return [(f"#{i.id} {i.question[:40]}（{i.status_name}）", i.id)
                for i in helpdesk.inquiries.list(None if status == "all" else status)]

    def curated_rows() -> list[list]:
        return [
            [a.id, a.question, "\n".join(a.alternatives), a.answer, a.region or ANY_REGION, a.unit,
             "\n".join(a.clause_ids), local_minute(a.updated_at)]
            for a in helpdesk.curated.all()
        ]

    def curated_choices() -> list[tuple[str, int]]:
        return [(f"#{a.id} {a.question[:40]}", a.id) for a in helpdesk.curated.all()]

    with gr.Tab("诉求处理", id="inquiries") as inquiries_tab:
        gr.Markdown(
            "拒答、只找到相关条款和被点踩的问题会自动形成诉求，相同意思的问题归为一条。答复后提问的企业刷新页面即可看到；"
            "发布为问答对后，以后同样的问题会直接得到这条答复。"
        )
        with gr.Row(equal_height=True):
            status_filter = gr.Dropdown(label="状态", choices=STATUS_CHOICES, value="open", scale=2, elem_id="hq-inquiry-status")
            refresh_inquiries = gr.Button("刷新", scale=1, elem_id="hq-inquiry-refresh")
        inquiry_table = gr.Dataframe(
            headers=INQUIRY_HEADERS, interactive=False, wrap=True, elem_id="hq-inquiries",
            column_widths=["6%", "8%", "34%", "10%", "8%", "6%", "7%", "10%", "11%"],
        )
        inquiry = gr.Dropdown(label="选择诉求", choices=[], elem_id="hq-inquiry-choice")
        inquiry_detail = gr.Markdown(elem_id="hq-inquiry-detail")
        inquiry_version = gr.State(None)
        with gr.Group(elem_id="hq-reply-form"):
            reply_text = gr.Textbox(label="答复内容（纯文本，最长 5000 字）", lines=5, max_lines=12, elem_id="hq-reply-text")
            reply_clauses = gr.Dropdown(
                label="引用条款（可多选，候选来自该问题的检索结果）", choices=[], multiselect=True, elem_id="hq-reply-clauses",
            )
            with gr.Row():
                reply_unit = gr.Textbox(label="答复单位", value=assistant.settings.helpdesk_unit, scale=2, elem_id="hq-reply-unit")
                reply_region = gr.Dropdown(label="问答适用地区", choices=[ANY_REGION], value=ANY_REGION, scale=2,
                                           elem_id="hq-reply-region")
                publish = gr.Checkbox(label="发布为问答对", value=True, scale=2, elem_id="hq-reply-publish")
            attachments = gr.File(label="附上政策文件（可选，与文件管理中的上传一样入库）", file_count="multiple",
                                  type="filepath", height=150, elem_id="hq-reply-files")
            submit_reply = gr.Button("提交答复", variant="primary", elem_id="hq-reply-submit")
        with gr.Row(equal_height=True):
            close_reason = gr.Textbox(label="不予答复或关闭的原因", scale=4, elem_id="hq-close-reason")
            close_inquiry = gr.Button("关闭诉求", variant="stop", scale=1, elem_id="hq-close")
        inquiry_note = gr.Markdown(elem_id="hq-inquiry-note")

    with gr.Tab("问答库", id="curated") as curated_tab:
        gr.Markdown("已发布的人工答复。修改或撤回立即生效；可导入、导出 CSV / XLSX（列：问题、其他问法、答复、地区、单位、条款编号）。")
        curated_table = gr.Dataframe(
            headers=CURATED_HEADERS, interactive=False, wrap=True, elem_id="hq-curated",
            column_widths=["6%", "18%", "16%", "28%", "8%", "10%", "8%", "6%"],
        )
        curated = gr.Dropdown(label="选择问答（不选则新建）", choices=[], elem_id="hq-curated-choice")
        with gr.Group():
            qa_question = gr.Textbox(label="问题", elem_id="hq-qa-question")
            qa_alternatives = gr.Textbox(label="其他问法（每行一个）", lines=3, elem_id="hq-qa-alternatives")
            qa_answer = gr.Textbox(label="答复", lines=4, elem_id="hq-qa-answer")
            with gr.Row():
                qa_region = gr.Dropdown(label="适用地区", choices=[ANY_REGION], value=ANY_REGION, scale=1, elem_id="hq-qa-region")
                qa_unit = gr.Textbox(label="答复单位", value=assistant.settings.helpdesk_unit, scale=1)
                qa_clauses = gr.Textbox(label="引用条款编号（空格分隔）", scale=2)
        with gr.Row():
            save_qa = gr.Button("保存", variant="primary", elem_id="hq-qa-save")
            withdraw_qa = gr.Button("撤回", variant="stop", elem_id="hq-qa-withdraw")
        with gr.Row(equal_height=True):
            qa_file = gr.File(label="导入问答（.csv 或 .xlsx）", file_types=[".csv", ".xlsx"], type="filepath", scale=3,
                              height=140, elem_id="hq-qa-file")
            with gr.Column(scale=1):
                import_qa = gr.Button("导入", elem_id="hq-qa-import")
                export_csv = gr.Button("导出 CSV", elem_id="hq-qa-export-csv")
                export_xlsx = gr.Button("导出 XLSX", elem_id="hq-qa-export-xlsx")
        qa_link = gr.HTML(elem_id="hq-qa-export")
        qa_note = gr.Markdown(elem_id="hq-qa-note")

    with gr.Tab("数据看板", id="dashboard") as dashboard_tab:
        with gr.Row(equal_height=True):
            period = gr.Radio(label="统计期间", choices=PERIODS, value=30, scale=3, elem_id="hq-period")
            refresh_dashboard = gr.Button("刷新", scale=1, elem_id="hq-dashboard-refresh")
        headline = gr.Markdown(elem_id="hq-headline")
        with gr.Row():
            per_day_plot = gr.BarPlot(x="日期", y="问题数", color="渠道", title="每日提问（按渠道）", elem_id="hq-plot-days",
                                      height=280)
            outcome_plot = gr.BarPlot(x="回答方式", y="问题数", title="回答方式", elem_id="hq-plot-outcomes", height=280,
                                      sort=[OUTCOME_NAMES[k] for k in OUTCOMES])
        with gr.Row():
            inquiry_plot = gr.BarPlot(x="日期", y="件数", title="诉求新增与办结（每日件数）",
                                      elem_id="hq-plot-inquiries", height=280)
            with gr.Column():
                top_topics = gr.Dataframe(headers=["热门话题", "次数"], interactive=False, elem_id="hq-top-topics")
                top_regions = gr.Dataframe(headers=["地区", "次数"], interactive=False, elem_id="hq-top-regions")

    # --- inquiries ----------------------------------------------------------------

    def on_inquiries(status: str, request: gr.Request):
        check(request)
        return inquiry_rows(status), gr.Dropdown(choices=inquiry_choices(status), value=None)

    def on_inquiry(inquiry_id: int | None, request: gr.Request):
        check(request)
        blank = ("", None, gr.Dropdown(choices=[], value=[]), gr.Dropdown(choices=region_choices(), value=ANY_REGION), "",
                 True)
        if not inquiry_id:
            return blank
        try:
            item = helpdesk.inquiries.get(int(inquiry_id))
        except AssistantError as exc:
            return (f"⚠️ {escape_text(str(exc))}", *blank[1:])
        candidates = _clause_candidates(assistant, item)
        regions = region_choices()
        # The most specific place of the inquiry's chain that has documents; never a silent
        # 不限地区 for a local question (publishing is then left off for staff to decide).
        chain = gazetteer().chain(item.region) if item.region else []
        region = next((r for r in chain if r in regions), None)
        return (inquiry_markdown(item), item.version,
                gr.Dropdown(choices=candidates, value=list(item.clause_ids)),
                gr.Dropdown(choices=regions, value=region or ANY_REGION), item.reply,
                region is not None or not item.region)

    def on_reply(
        inquiry_id: int | None, version: int | None, text: str, clauses: list[str] | None, unit: str, region: str,
        publish_it: bool, files: list[str] | None, status: str, request: gr.Request,
    ):
        check(request)
        if not inquiry_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), text, None, "请先选择诉求。"
        notes = []
        if files:
            report = library.upload([(Path(p).name, Path(p).read_bytes()) for p in files])
            notes.append(describe_upload(report))
        try:
            item = helpdesk.reply(
                int(inquiry_id), text or "", publish=bool(publish_it), region="" if region == ANY_REGION else region,
                unit=unit, clause_ids=clauses or [], version=version,
            )
        except (AssistantError, KnowledgeError) as exc:
            # The reply is kept in the form, so nothing typed is lost.
            latest = _latest(int(inquiry_id))
            return (*refreshed_inquiries(status, inquiry_id), latest[0], latest[1], text, files,
                    "\n\n".join([*notes, f"⚠️ {escape_text(str(exc))}"]))
        done = "已答复并发布为问答对。" if item.curated_id else "已答复。"
        return (*refreshed_inquiries(status, inquiry_id), inquiry_markdown(item), item.version, item.reply, None,
                "\n\n".join([*notes, f"✅ {done}提问的企业刷新页面即可看到。"]))

    def on_close(inquiry_id: int | None, version: int | None, reason: str, status: str, request: gr.Request):
        check(request)
        if not inquiry_id:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), reason, "请先选择诉求。"
        try:
            item = helpdesk.inquiries.close(int(inquiry_id), reason or "", version=version)
        except AssistantError as exc:
            latest = _latest(int(inquiry_id))
            return (*refreshed_inquiries(status, inquiry_id), latest[0], latest[1], reason, f"⚠️ {escape_text(str(exc))}")
        return (*refreshed_inquiries(status, inquiry_id), inquiry_markdown(item), item.version, "", f"✅ 已关闭（{item.status_name}）。")

    def refreshed_inquiries(status: str, keep: int | None):
        return inquiry_rows(status), gr.Dropdown(choices=inquiry_choices("all" if keep else status), value=keep)

    def _latest(inquiry_id: int):
        try:
            item = helpdesk.inquiries.get(inquiry_id)
        except AssistantError:
            return "", None
        return inquiry_markdown(item), item.version

    # --- curated answers -------------------------------------------------------------

    def curated_view(note: str = "", keep: int | None = None):
        return curated_rows(), gr.Dropdown(choices=curated_choices(), value=keep), note

    def on_curated(curated_id: int | None, request: gr.Request):
        check(request)
        regions = region_choices()
        if not curated_id:
            return "", "", "", gr.Dropdown(choices=regions, value=ANY_REGION), assistant.settings.helpdesk_unit, ""
        try:
            answer = helpdesk.curated.get(int(curated_id))
        except AssistantError as exc:
            gr.Warning(str(exc))
            return "", "", "", gr.Dropdown(choices=regions, value=ANY_REGION), assistant.settings.helpdesk_unit, ""
        return (answer.question, "\n".join(answer.alternatives), answer.answer,
                gr.Dropdown(choices=regions, value=answer.region or ANY_REGION), answer.unit, " ".join(answer.clause_ids))

    def on_save_curated(
        curated_id: int | None, question: str, alternatives: str, answer: str, region: str, unit: str, clauses: str,
        request: gr.Request,
    ):
        check(request)
        draft = CuratedDraft(
            question=question or "", answer=answer or "", region="" if region == ANY_REGION else (region or ""),
            unit=unit or "", alternatives=tuple((alternatives or "").splitlines()), clause_ids=tuple((clauses or "").split()),
        )
        try:
            saved = helpdesk.update_curated(int(curated_id), draft) if curated_id else helpdesk.add_curated(draft)
        except (AssistantError, KnowledgeError) as exc:
            return curated_view(f"⚠️ {escape_text(str(exc))}", curated_id)
        return curated_view(f"✅ 已保存问答 #{saved.id}，立即生效。", saved.id)

    def on_withdraw(curated_id: int | None, request: gr.Request):
        check(request)
        if not curated_id:
            return curated_view("请先选择要撤回的问答。")
        try:
            gone = helpdesk.curated.withdraw(int(curated_id))
        except AssistantError as exc:
            return curated_view(f"⚠️ {escape_text(str(exc))}")
        return curated_view(f"已撤回问答 #{gone.id}“{escape_text(gone.question[:40])}”，不再用于回答。")

    def on_import(path: str | None, request: gr.Request):
        check(request)
        if not path:
            return (*curated_view("请先选择 .csv 或 .xlsx 文件。"), None)
        try:
            report = helpdesk.import_file(Path(path).name, Path(path).read_bytes())
        except (AssistantError, KnowledgeError) as exc:
            return (*curated_view(f"⚠️ {escape_text(str(exc))}"), None)
        return (*curated_view("\n\n".join(escape_text(line) for line in report.summary().splitlines())), None)

    def on_export(kind: str, request: gr.Request) -> str:
        check(request)
        answers = helpdesk.curated.all()
        data = to_xlsx(answers) if kind == "xlsx" else to_csv(answers)
        name = exports.write_bytes(data, kind)
        return (f'<a href="exports/{name}?of=qa-pairs" download="huiqi-qa-pairs.{kind}">'
                f"下载导出的问答（{kind.upper()}，{len(answers)} 条，1 小时内有效）</a>")

    # --- dashboard ------------------------------------------------------------------

    def on_dashboard(days: int, request: gr.Request):
        check(request)
        figures = stats(assistant.conversations.engine, int(days or 30))
        per_day = pd.DataFrame(
            [(day, CHANNEL_NAMES.get(channel, channel), n) for day, channel, n in figures.per_day],
            columns=["日期", "渠道", "问题数"],
        )
        outcomes = pd.DataFrame(
            [(OUTCOME_NAMES[k], figures.outcomes.get(k, 0)) for k in OUTCOMES], columns=["回答方式", "问题数"],
        )
        # One bar per day and kind, side by side ("12-02 新增", "12-02 办结"): stacked, they would add up to nothing.
        inquiries = pd.DataFrame(
            [(f"{day[5:]} {kind}", kind, n) for day, kind, n in figures.inquiries_per_day], columns=["日期", "类型", "件数"],
        )
        return (
            headline_markdown(figures), per_day, outcomes, inquiries,
            [[t, n] for t, n in figures.top_topics] or [["—", 0]],
            [[r, n] for r, n in figures.top_regions] or [["—", 0]],
        )

    inquiry_outputs = [inquiry_table, inquiry]
    refresh_inquiries.click(on_inquiries, status_filter, inquiry_outputs)
    status_filter.change(on_inquiries, status_filter, inquiry_outputs)
    inquiry.change(on_inquiry, inquiry, [inquiry_detail, inquiry_version, reply_clauses, reply_region, reply_text, publish])
    submit_reply.click(
        on_reply,
        [inquiry, inquiry_version, reply_text, reply_clauses, reply_unit, reply_region, publish, attachments, status_filter],
        [inquiry_table, inquiry, inquiry_detail, inquiry_version, reply_text, attachments, inquiry_note],
    )
    close_inquiry.click(
        on_close, [inquiry, inquiry_version, close_reason, status_filter],
        [inquiry_table, inquiry, inquiry_detail, inquiry_version, close_reason, inquiry_note],
    )
    curated_outputs = [curated_table, curated, qa_note]
    curated.change(on_curated, curated, [qa_question, qa_alternatives, qa_answer, qa_region, qa_unit, qa_clauses])
    save_qa.click(on_save_curated, [curated, qa_question, qa_alternatives, qa_answer, qa_region, qa_unit, qa_clauses],
                  curated_outputs)
    withdraw_qa.click(on_withdraw, curated, curated_outputs)
    import_qa.click(on_import, qa_file, [*curated_outputs, qa_file])

    def on_export_csv(request: gr.Request) -> str:
        return on_export("csv", request)

    def on_export_xlsx(request: gr.Request) -> str:
        return on_export("xlsx", request)

    export_csv.click(on_export_csv, None, qa_link)
    export_xlsx.click(on_export_xlsx, None, qa_link)
    dashboard_outputs = [headline, per_day_plot, outcome_plot, inquiry_plot, top_topics, top_regions]
    refresh_dashboard.click(on_dashboard, period, dashboard_outputs)
    period.change(on_dashboard, period, dashboard_outputs)

    def on_curated_tab(request: gr.Request):
        check(request)
        return curated_view()

    # Opening a tab shows it afresh: a reply published a moment ago is in 问答库 and the figures.
    def on_inquiries_tab(status: str, request: gr.Request):
        check(request)
        return inquiry_rows(status)  # the chosen inquiry and a reply being written stay as they are

    inquiries_tab.select(on_inquiries_tab, status_filter, inquiry_table)
    curated_tab.select(on_curated_tab, None, curated_outputs)
    dashboard_tab.select(on_dashboard, period, dashboard_outputs)

    def opening(request: gr.Request):
        return (
            *on_inquiries("open", request),
            *curated_view(),
            gr.Dropdown(choices=region_choices(), value=ANY_REGION),
            gr.Dropdown(choices=region_choices(), value=ANY_REGION),
            *on_dashboard(30, request),
        )

    return opening, [*inquiry_outputs, *curated_outputs, reply_region, qa_region, *dashboard_outputs]


def inquiry_markdown(item: Inquiry) -> str:
    """One inquiry as staff read it: what was asked, what huiqi said, numbers to call back."""
    e = escape_text
    reasons = "、".join(dict.fromkeys(REASON_NAMES.get(a.reason, a.reason) for a in item.asks)) or "—"
    lines = [
        f"#### #{item.id} {e(item.question)}",
        f"状态：**{item.status_name}** · 地区：{e(item.region or '未指明')} · "
        f"渠道：{e(CHANNEL_NAMES.get(item.channel, item.channel))} · 提问 {item.asked} 次（{item.sessions} 个会话） · "
        f"原因：{e(reasons)}  ",
        f"首次提问：{local_minute(item.first_asked)} · 最近提问：{local_minute(item.last_asked)}",
        "",
        "**企业的提问与助手的回答**",
        "",
    ]
    for ask in item.asks[-10:]:
        said = ask.answer.splitlines()[0] if ask.answer else ""
        lines.append(f"- {local_minute(ask.asked_at)} {e(ask.question)}  \n  助手：{e(said[:160])}")
    phones = [a.phone for a in item.asks if a.phone]
    if phones:
        lines += ["", f"**请求回电**：{e('、'.join(dict.fromkeys(phones)))}"]
    if item.reply:
        lines += ["", f"**已答复**（{e(item.unit)}，{local_minute(item.replied_at)}）：{e(item.reply)}"]
    if item.reason:
        lines += ["", f"**关闭原因**：{e(item.reason)}"]
    return "\n".join(lines)


def headline_markdown(figures) -> str:
    rate = figures.resolution_rate
    rate_text = "—（期间没有新诉求）" if rate is None else f"{rate:.1%}"
    mark = "" if rate is None else ("✅ 达标" if rate >= RESOLUTION_TARGET else "⚠️ 未达标")
    hours = "—" if figures.median_reply_hours is None else f"{figures.median_reply_hours:.1f} 小时"
    up, down = figures.ratings.get("up", 0), figures.ratings.get("down", 0)
    ratio = f"{up / (up + down):.0%} 好评" if up + down else "暂无评价"
    return (
        f"### 诉求解决率 {rate_text}（目标 ≥ {RESOLUTION_TARGET:.0%}）{mark}\n"
        f"新增诉求 {figures.inquiries_opened} 件，已办结 {figures.inquiries_resolved} 件 · 答复用时中位数 {hours} · "
        f"企业提问 {figures.questions} 个 · 👍 {up} / 👎 {down}（{ratio}）"
    )


def _clause_candidates(assistant: Assistant, item: Inquiry) -> list[tuple[str, str]]:
    """Clauses to cite: the retrieval results for the inquiry's question in its region,
    plus any it already cites."""
    try:
        region = item.region if item.region in assistant.covered_regions() else None
        hits = assistant.retrieve(item.question, region=region, k=10).hits
    except (AssistantError, KnowledgeError):
        hits = []
    choices = [(f"{h.clause.clause_path} · 《{h.document.title}》", h.clause.clause_id) for h in hits]
    known = {value for _, value in choices}
    choices += [(clause_id, clause_id) for clause_id in item.clause_ids if clause_id not in known]
    return choices

