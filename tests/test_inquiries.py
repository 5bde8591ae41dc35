"""The help-desk loop behind the console and the API: unanswered questions open
inquiries grouped by meaning, staff reply and publish, curated answers are served to
later wordings in their region only, edits reach every worker at once, the asker sees
the reply, and the figures count it. Real assistant, real e5, SQLite files."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from importlib import resources

import pytest
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.curated import LOCAL_TIME, CuratedDraft
from assistant.dashboard import stats
from assistant.errors import Conflict, InvalidRequest, NotFound
from assistant.inquiries import OPEN, InquiryRow
from assistant.presentation import reply_markdown, restored_messages
from assistant.qa_files import to_csv, to_xlsx
from assistant.service import Assistant
from evals.curated import choose, figures, load

CANTEEN = "温县企业食堂卫生许可证怎么办理？"
CANTEEN_AGAIN = "温县企业食堂的卫生许可证在哪里办"
CANTEEN_SAME_ASK = "温县企业食堂的卫生许可证要怎么办"
REPLY = "请到温县政务服务中心一楼市场监管窗口办理，带营业执照和健康证明。"


@pytest.fixture
def assistant(kb_copy):
    return Assistant.open(Settings(data_dir=kb_copy.config.data_dir, helpdesk_unit="温县企业服务中心"), kb=kb_copy)


def open_inquiries(assistant) -> list:
    return assistant.helpdesk.inquiries.list("open")


def test_unanswered_questions_open_inquiries_grouped_by_meaning(assistant):
    first = assistant.ask("上海市研发补贴多少？")
    second = assistant.ask("上海市的研发补贴有多少？")
    assistant.ask("杭州市人才公寓怎么申请？")
    assistant.ask("你好")
    answered = assistant.ask("温县技术改造投资增长目标是多少？")
    assert first.refused and not answered.refused
    inquiries = {i.question: i for i in open_inquiries(assistant)}
    assert set(inquiries) == {"上海市研发补贴多少？", "杭州市人才公寓怎么申请？"}
    shanghai = inquiries["上海市研发补贴多少？"]
    assert (shanghai.asked, shanghai.sessions, shanghai.region) == (2, 2, "上海市")
    assert [a.reason for a in shanghai.asks] == ["refused", "refused"]
    assert shanghai.first_asked <= shanghai.last_asked

    # A 👎 opens one for an answer; a 👎 on a refusal already counted counts once.
    assistant.rate(answered.session_id, answered.turn_id, "down", "没说清楚")
    assistant.rate(second.session_id, second.turn_id, "down")
    after = {i.question: i for i in open_inquiries(assistant)}
    assert after["温县技术改造投资增长目标是多少？"].asks[0].reason == "down"
    assert after["上海市研发补贴多少？"].asked == 2


def test_a_question_asked_on_another_worker_joins_the_inquiry_already_open(assistant, kb_copy):
    other_worker = Assistant.open(Settings(data_dir=kb_copy.config.data_dir), kb=kb_copy)
    assistant.ask("上海市研发补贴多少？")
    other_worker.ask("上海市的研发补贴有多少？")
    other_worker.ask("杭州市人才公寓怎么申请？")
    assistant.ask("杭州人才公寓如何申请？")
    assert sorted((i.question, i.asked) for i in open_inquiries(assistant)) == [
        ("上海市研发补贴多少？", 2), ("杭州市人才公寓怎么申请？", 2)]
    # Once closed, the same question opens a new inquiry on either worker.
    shanghai = next(i for i in open_inquiries(assistant) if i.region == "上海市")
    assistant.helpdesk.inquiries.close(shanghai.id, "不属于本地政策")
    other_worker.ask("上海市研发补贴多少？")
    reopened = [i for i in open_inquiries(assistant) if i.region == "上海市"]
    assert len(reopened) == 1 and reopened[0].id != shanghai.id and reopened[0].asked == 1


def test_an_inquiry_stored_by_an_earlier_version_still_gathers_its_question(assistant):
    # Rows written before vectors were packed keep them as a JSON list.
    vector = assistant.kb.query_vector("上海市研发补贴多少？")
    now = datetime.now(UTC)
    with Session(assistant.helpdesk.inquiries.engine) as db, db.begin():
        db.add(InquiryRow(question="上海市研发补贴多少？", status=OPEN, region="上海市", channel="web",
                          vector=json.dumps([round(float(x), 5) for x in vector]), first_asked=now, last_asked=now))
    assistant.ask("上海市的研发补贴有多少？")
    assert [(i.question, i.asked) for i in open_inquiries(assistant)] == [("上海市研发补贴多少？", 1)]
    assistant.ask("杭州市人才公寓怎么申请？")  # a new one is packed, and read back by the next ask
    assistant.helpdesk.inquiries._vectors.clear()
    assistant.ask("杭州人才公寓如何申请？")
    assert sorted((i.question, i.asked) for i in open_inquiries(assistant)) == [
        ("上海市研发补贴多少？", 1), ("杭州市人才公寓怎么申请？", 2)]


def test_a_published_reply_answers_other_wordings_in_its_region_only(assistant):
    asked = assistant.ask(CANTEEN)
    assistant.ask(CANTEEN_AGAIN)
    assert asked.refused
    inquiry = open_inquiries(assistant)[0]
    assert inquiry.asked == 2
    clause = assistant.kb.clauses("wenxian-2023-wanrenzhuwanqi-plan")[3]
    done = assistant.helpdesk.reply(inquiry.id, REPLY, publish=True, clause_ids=[clause.clause_id])
    assert done.status == "answered" and done.curated_id is not None and done.unit == "温县企业服务中心"

    later = assistant.ask("在温县，企业食堂要办卫生许可证，去哪里")
    assert (later.mode, later.refused, later.related) == ("curated", False, False)
    today = datetime.now(UTC).astimezone(LOCAL_TIME).date().isoformat()
    assert later.text.startswith(REPLY) and f"人工答复 · 温县企业服务中心 · {today}" in later.text
    assert [c.clause_id for c in later.citations] == [clause.clause_id]
    assert later.as_json()["answer"] == later.text

    # Never outside its region, nor for a question that asks something else.
    elsewhere = assistant.ask("郑州市企业食堂卫生许可证怎么办理？")
    assert elsewhere.mode != "curated" and REPLY not in elsewhere.text
    other_ask = assistant.ask("温县企业食堂卫生许可证需要准备什么材料？")
    assert other_ask.mode != "curated"
    # A region-wide page (温县 selected) counts as asking about 温县.
    assert assistant.ask("企业食堂卫生许可在哪个窗口办？", region="温县").mode == "curated"


def test_the_asker_sees_the_reply_when_they_come_back(assistant):
    asked = assistant.ask(CANTEEN)
    inquiry = open_inquiries(assistant)[0]
    assistant.helpdesk.reply(inquiry.id, REPLY)
    turns = assistant.conversations.session_turns(asked.session_id)
    replies = assistant.helpdesk.replies([t.turn_id for t in turns])
    assert replies[asked.turn_id].text == REPLY
    messages, turn_ids = restored_messages(turns, replies)
    assert len(messages) == 3 and turn_ids == {1: asked.turn_id}
    assert "人工答复 · 温县企业服务中心" in messages[2]["content"] and "一楼市场监管窗口" in messages[2]["content"]
    # Not published: the next asker is not served it.
    assert assistant.ask(CANTEEN_AGAIN).mode != "curated"


def test_edits_and_withdrawals_reach_every_worker_at_once(assistant, kb_copy):
    other_worker = Assistant.open(Settings(data_dir=kb_copy.config.data_dir), kb=kb_copy)
    assert other_worker.helpdesk is not assistant.helpdesk
    published = assistant.helpdesk.add_curated(CuratedDraft(question=CANTEEN, answer=REPLY, region="温县"))
    assert other_worker.ask(CANTEEN_SAME_ASK).text.startswith(REPLY)
    assistant.helpdesk.update_curated(published.id, CuratedDraft(question=CANTEEN, answer="改到二楼窗口办理。", region="温县"))
    assert other_worker.ask(CANTEEN_SAME_ASK).text.startswith("改到二楼窗口办理。")
    assistant.helpdesk.curated.withdraw(published.id)
    assert other_worker.ask(CANTEEN_SAME_ASK).mode != "curated"
    with pytest.raises(NotFound):
        assistant.helpdesk.curated.withdraw(published.id)


def test_two_staff_replying_at_once_the_second_sees_the_first(assistant):
    assistant.ask(CANTEEN)
    inquiry = open_inquiries(assistant)[0]
    assistant.helpdesk.reply(inquiry.id, REPLY, version=inquiry.version)
    with pytest.raises(Conflict) as second:
        assistant.helpdesk.reply(inquiry.id, "另一位人员的答复", version=inquiry.version)
    assert "一楼市场监管窗口" in str(second.value) and "仍保留" in str(second.value)
    with pytest.raises(Conflict):
        assistant.helpdesk.reply(inquiry.id, "没有带版本号的第二次答复")  # without a version: only while open
    assert assistant.helpdesk.inquiries.get(inquiry.id).reply == REPLY


def test_correcting_a_published_reply_corrects_what_is_served(assistant):
    assistant.ask(CANTEEN)
    inquiry = open_inquiries(assistant)[0]
    first = assistant.helpdesk.reply(inquiry.id, REPLY, publish=True, version=inquiry.version)
    corrected = assistant.helpdesk.reply(inquiry.id, "更正：请到二楼市场监管窗口办理。", publish=True, version=first.version)
    assert corrected.curated_id == first.curated_id and corrected.replied_at == first.replied_at
    assert [a.answer for a in assistant.helpdesk.curated.all()] == ["更正：请到二楼市场监管窗口办理。"]
    assert assistant.ask(CANTEEN_SAME_ASK).text.startswith("更正：")
    private = assistant.helpdesk.reply(inquiry.id, "只答复这位企业。", publish=False, version=corrected.version)
    assert private.curated_id is None and assistant.helpdesk.curated.all() == []
    assert assistant.ask(CANTEEN_SAME_ASK).mode != "curated"


def test_bad_replies_are_refused_in_chinese_and_change_nothing(assistant):
    assistant.ask(CANTEEN)
    inquiry = open_inquiries(assistant)[0]
    bad = [
        ("", {}, "不能为空"), ("长" * 5001, {}, "最长 5000"), ("含\x00字符", {}, "无法识别的字符"),
        (REPLY, {"publish": True, "region": "上海市"}, "知识库没有“上海市”"),
        (REPLY, {"clause_ids": ["no-such-doc:1"]}, "没有这些条款"),
    ]
    for text, options, message in bad:
        with pytest.raises(InvalidRequest, match=message):
            assistant.helpdesk.reply(inquiry.id, text, **options)
    unchanged = assistant.helpdesk.inquiries.get(inquiry.id)
    assert (unchanged.status, unchanged.reply, assistant.helpdesk.curated.all()) == ("open", "", [])
    with pytest.raises(NotFound):
        assistant.helpdesk.reply(10**30, REPLY)

    # Markup in a reply is text wherever it is shown.
    hostile = '<img src=x onerror=alert(1)>请到<script>alert(1)</script>窗口'
    assistant.helpdesk.reply(inquiry.id, hostile, publish=True)
    served = assistant.ask(CANTEEN_SAME_ASK)
    assert served.text.startswith(hostile)  # stored and served as typed…
    shown = reply_markdown("人工答复", served.text)
    assert "<img" not in shown and "<script>" not in shown and "&lt;script&gt;" in shown  # …shown as text


def test_closing_needs_a_reason_and_counts_as_resolved(assistant):
    assistant.ask(CANTEEN)
    assistant.ask("郑州市企业员工社保断缴怎么补？")
    canteen, social = sorted(open_inquiries(assistant), key=lambda i: i.question != CANTEEN)
    with pytest.raises(InvalidRequest, match="关闭原因不能为空"):
        assistant.helpdesk.inquiries.close(social.id, " ")
    closed = assistant.helpdesk.inquiries.close(social.id, "属于人社部门职责，已转 12345 热线")
    assert (closed.status, closed.status_name) == ("closed", "不予答复")
    figures_now = stats(assistant.conversations.engine, days=30)
    assert (figures_now.inquiries_opened, figures_now.inquiries_resolved, figures_now.resolution_rate) == (2, 1, 0.5)
    assistant.helpdesk.reply(canteen.id, REPLY, publish=True)
    assistant.ask(CANTEEN_SAME_ASK)
    assistant.ask("谢谢")
    after = stats(assistant.conversations.engine, days=30).as_json()
    assert after["resolution_rate"] == 1.0 and after["curated"] == 1 and after["refused"] == 2
    assert after["questions"] == 3  # thanks is small talk, not a question
    assert after["median_reply_hours"] is not None and after["median_reply_hours"] < 1


def test_a_phone_left_for_a_call_back_is_staff_only_and_expires(assistant):
    asked = assistant.ask(CANTEEN)
    with pytest.raises(InvalidRequest, match="有效的手机号"):
        assistant.helpdesk.inquiries.leave_phone(asked.session_id, asked.turn_id, "12345")
    with pytest.raises(NotFound):
        assistant.helpdesk.inquiries.leave_phone("someone-else", asked.turn_id, "13812345678")
    with pytest.raises(NotFound):
        assistant.helpdesk.inquiries.leave_phone(asked.session_id, 10**20, "13812345678")
    assistant.helpdesk.inquiries.leave_phone(asked.session_id, asked.turn_id, "+86 138 1234 5678")
    inquiry = open_inquiries(assistant)[0]
    assert inquiry.as_json()["callbacks"] == ["138******78"]
    assert inquiry.as_json(phones=True)["callbacks"] == ["13812345678"]
    assistant.helpdesk.inquiries.leave_phone(asked.session_id, asked.turn_id, "86-0411-12345678")
    assert open_inquiries(assistant)[0].as_json()["callbacks"] == ["041*******78"]
    assistant.conversations.purge(older_than_days=0)
    assert assistant.helpdesk.inquiries.get(inquiry.id).as_json(phones=True)["callbacks"] == []


def test_qa_pairs_import_bad_rows_by_name_and_round_trip_through_csv_and_xlsx(assistant):
    clause = assistant.kb.clauses("wenxian-2023-wanrenzhuwanqi-plan")[2].clause_id
    rows = [
        "问题,其他问法,答复,地区,单位,条款编号",
        f"{CANTEEN},温县食堂许可在哪办｜食堂办证去哪,{REPLY},温县,温县企业服务中心,{clause}",
        "温县稳岗返还多久到账？,,,温县,,",
        "上海市研发补贴多少？,,请咨询上海市。,上海市,,",
        f"温县专精特新申报网址是什么？,,登录河南省中小企业公共服务平台申报。,温县,,{clause}x",
        "=HYPERLINK(\"http://127.0.0.1\"),,公式不会被执行。,,,",
    ]
    report = assistant.helpdesk.import_file("问答.csv", "\n".join(rows).encode("utf-8"))
    assert [row for row, _ in report.rejected] == [3, 4, 5]
    assert "答复内容不能为空" in report.rejected[0][1] and "上海市" in report.rejected[1][1]
    assert "没有这些条款" in report.rejected[2][1]
    assert [a.question for a in report.added] == [CANTEEN, '=HYPERLINK("http://127.0.0.1")']
    assert report.added[0].alternatives == ("温县食堂许可在哪办", "食堂办证去哪")
    assert assistant.ask("温县食堂办证去哪").mode == "curated"

    exported_csv = to_csv(assistant.helpdesk.curated.all()).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported_csv
    exported_xlsx = to_xlsx(assistant.helpdesk.curated.all())
    for answer in assistant.helpdesk.curated.all():
        assistant.helpdesk.curated.withdraw(answer.id)
    again = assistant.helpdesk.import_file("导出.xlsx", exported_xlsx)
    assert not again.rejected
    assert sorted(a.question for a in again.added) == sorted([CANTEEN, '=HYPERLINK("http://127.0.0.1")'])

    before = len(assistant.helpdesk.curated.all())
    for name, data, message in [
        ("坏.xlsx", b"PK\x03\x04 not really a workbook", "不是有效的 Excel"),
        ("坏.xlsx", _zip_with_broken_xml(), "不是有效的 Excel"),
        ("问答.csv", b"", "空文件"),
        ("问答.docx", b"x", "不是 .csv 或 .xlsx"),
        ("问答.csv", "标题,内容\n甲,乙\n".encode(), "缺少列：问题、答复"),
        ("问答.csv", "问题,答复\n温县补贴多少,\x00\n".encode("utf-16"), "不是"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            assistant.helpdesk.import_file(name, data)
    assert len(assistant.helpdesk.curated.all()) == before


def test_the_shipped_matcher_threshold_is_the_one_its_gold_questions_give(e5):
    entries, probes = load()
    result = figures(entries, probes, e5.embed_queries)
    shipped = json.loads(resources.files("assistant").joinpath("curated_calibration.json").read_text(encoding="utf-8"))
    assert choose(result["fit"]) == pytest.approx(shipped["threshold"], abs=0.0051)
    held_out = result["heldout"][shipped["threshold"]]
    assert held_out["precision"] >= 0.9 and held_out["recall"] >= 0.7


def _zip_with_broken_xml() -> bytes:
    """A real zip whose workbook parts are not XML: what a half-copied file looks like."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types><Override PartName=")
        archive.writestr("xl/workbook.xml", "<<not xml")
    return out.getvalue()
