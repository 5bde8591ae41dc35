"""The console's 政策条目 tab: the benefit items read from each document, the documents
that granted nothing the rules could read, and corrections by the help desk (they hold
while the clause's words stay the same, also through a re-ingest)."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from assistant.direct import amount_text
from assistant.presentation import escape_text
from assistant.service import Assistant
from knowledge.benefits import BenefitItem, BenefitRecord, terms

ITEM_HEADERS = ["序号", "条款", "类型", "金额 / 比例", "对象", "条件", "原文", "来源"]
BENEFIT_KINDS = ["奖励", "补贴", "贴息", "减免", "服务券", "用地", "人才待遇", "融资支持", "其他"]


def build_benefits_tab(assistant: Assistant, check: Callable[[gr.Request | None], None]) -> tuple[Callable, list]:
    """Add the tab to the open `gr.Tabs`; returns its load handler and what it fills."""
    kb = assistant.kb

    def records_of(doc_id: str | None) -> list[BenefitRecord]:
        return [r for r in kb.benefits() if r.item.doc_id == doc_id]

    def rows(doc_id: str | None) -> list[list]:
        return [
            [index + 1, r.clause.clause_path, r.item.benefit, amount_text(r.item), "、".join(r.item.who) or "不限",
             "、".join(r.item.conditions), r.item.quote, "人工更正" if r.item.corrected else "自动提取"]
            for index, r in enumerate(records_of(doc_id))
        ]

    def summary() -> str:
        records = kb.benefits()
        with_items = {r.item.doc_id for r in records}
        documents = kb.documents()
        empty = [d.title for d in documents if d.doc_id not in with_items]
        text = f"共 {len(documents)} 份文件，提取出 {len(records)} 个扶持条目。"
        if empty:
            text += "\n\n没有可提取条目的文件（多为工作方案、答复或程序性文件）：" + "；".join(
                f"《{escape_text(title)}》" for title in empty
            )
        return text

    def choices() -> list[tuple[str, str]]:
        counts: dict[str, int] = {}
        for record in kb.benefits():
            counts[record.item.doc_id] = counts.get(record.item.doc_id, 0) + 1
        return [(f"{d.title}（{counts.get(d.doc_id, 0)} 条）", d.doc_id) for d in kb.documents()]

    with gr.Tab("政策条目", id="benefits") as tab:
        overview = gr.Markdown(elem_id="hq-benefit-summary")
        document = gr.Dropdown(label="选择文件", choices=[], elem_id="hq-benefit-doc")
        table = gr.Dataframe(headers=ITEM_HEADERS, interactive=False, wrap=True, elem_id="hq-benefits",
                             column_widths=["5%", "15%", "7%", "12%", "10%", "9%", "34%", "8%"])
        with gr.Group(elem_id="hq-benefit-edit"):
            with gr.Row():
                position = gr.Number(label="更正第几条", precision=0, minimum=1, scale=1, elem_id="hq-benefit-n")
                kind = gr.Dropdown(label="类型", choices=BENEFIT_KINDS, scale=1)
                amount = gr.Number(label="金额（万元）", scale=1)
                rate = gr.Number(label="比例（%）", scale=1)
                cap = gr.Number(label="上限（万元）", scale=1)
            who = gr.Textbox(label="对象（多个用顿号分隔，如 专精特新、规上企业）")
            with gr.Row():
                save = gr.Button("保存更正", variant="primary", elem_id="hq-benefit-save")
                strike = gr.Button("删除这一条", variant="stop", elem_id="hq-benefit-strike")
        note = gr.Markdown(elem_id="hq-benefit-note")

    def on_open(request: gr.Request):
        check(request)
        return summary(), gr.Dropdown(choices=choices(), value=None), []

    def on_choose(doc_id: str | None, request: gr.Request):
        check(request)
        return rows(doc_id), ""

    def on_position(doc_id: str | None, number: float | None, request: gr.Request):
        check(request)
        record = _record_at(records_of(doc_id), number)
        if record is None:
            return (None, None, None, None, "")
        item = record.item
        return (item.benefit, item.amount_yuan / 10_000 if item.amount_yuan else None,
                item.rate * 100 if item.rate is not None else None, item.cap_yuan / 10_000 if item.cap_yuan else None,
                "、".join(item.who))

    def on_save(doc_id, number, benefit, amount_wan, rate_percent, cap_wan, who_text, request: gr.Request):
        check(request)
        found = records_of(doc_id)
        record = _record_at(found, number)
        if record is None:
            return rows(doc_id), f"⚠️ 请先选择文件，并填写 1–{len(found) or 1} 之间的序号。"
        try:
            item = _edited(record.item, benefit, amount_wan, rate_percent, cap_wan, who_text)
        except ValueError as exc:
            return rows(doc_id), f"⚠️ {escape_text(str(exc))}"
        kb.correct_benefit(record.clause, record.item, item)
        return rows(doc_id), f"已保存第 {int(number)} 条的更正；这条条款的文字不变时，重新入库也会保留。"

    def on_strike(doc_id, number, request: gr.Request):
        check(request)
        found = records_of(doc_id)
        record = _record_at(found, number)
        if record is None:
            return rows(doc_id), f"⚠️ 请先选择文件，并填写 1–{len(found) or 1} 之间的序号。", *(gr.skip(),) * 5
        kb.correct_benefit(record.clause, record.item, None)
        # The form now shows the item that took this number, so a next edit starts from it.
        return (rows(doc_id), f"已删除第 {int(number)} 条（这条条款不再提供该条目）。",
                *on_position(doc_id, number, request))

    document.change(on_choose, document, [table, note])
    position.change(on_position, [document, position], [kind, amount, rate, cap, who])
    save.click(on_save, [document, position, kind, amount, rate, cap, who], [table, note])
    strike.click(on_strike, [document, position], [table, note, kind, amount, rate, cap, who])
    tab.select(on_open, None, [overview, document, table])
    return on_open, [overview, document, table]


def _record_at(records: list[BenefitRecord], number: float | None) -> BenefitRecord | None:
    if number is None or not 1 <= int(number) <= len(records):
        return None
    return records[int(number) - 1]


def _edited(item: BenefitItem, benefit, amount_wan, rate_percent, cap_wan, who_text) -> BenefitItem:
    """The item as the help desk corrected it; figures checked, never guessed."""
    values = {}
    for name, value, scale, top in (("amount_yuan", amount_wan, 10_000, 1_000_000),
                                    ("cap_yuan", cap_wan, 10_000, 1_000_000)):
        if value is not None and not 0 < value <= top:
            raise ValueError("金额须大于 0 万元、不超过 100 亿元。")
        values[name] = round(value * scale) if value else None
    if rate_percent is not None and not 0 < rate_percent <= 300:
        raise ValueError("比例须在 0% 到 300% 之间。")
    values["rate"] = round(rate_percent / 100, 6) if rate_percent else None
    who = tuple(w.strip() for w in (who_text or "").replace(",", "、").replace("，", "、").split("、") if w.strip())
    if any(len(w) > 20 for w in who):
        raise ValueError("每个对象不超过 20 个字。")
    canonical = tuple(dict.fromkeys(next(iter(terms().who_in(w)), w) for w in who))
    if benefit not in BENEFIT_KINDS:
        raise ValueError("请选择条目类型。")
    figures_changed = any(values[k] != getattr(item, k) for k in ("amount_yuan", "rate", "cap_yuan"))
    # Unchanged figures keep what only the rules read (tiers, a per-unit amount, unread text).
    kept = {} if not figures_changed else {"tiers": (), "per_unit": "", "amount_text": ""}
    return BenefitItem(**{**item.__dict__, **values, **kept, "benefit": benefit, "who": canonical,
                          "in_kind": not any(values.values()), "corrected": True})
