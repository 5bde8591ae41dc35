"""What the help desk relies on behind the console: the document library (upload,
re-index, metadata edits, safe names), the conversation log with feedback and CSV
export, and escaping of everything shown."""

from __future__ import annotations

import csv
import io

import pytest

from assistant.citations import Citation
from assistant.config import Settings
from assistant.errors import InvalidRequest
from assistant.exports import conversation_csv
from assistant.library import DocumentLibrary, safe_file_name
from assistant.presentation import answer_markdown
from assistant.service import Assistant
from knowledge.errors import DocumentRejected

WX = "wenxian-2023-wanrenzhuwanqi-plan"
POLICY = "关于支持荥阳市企业上云的通知\n荥阳市工业和信息化局\n一、上云奖励\n对首次上云的中小企业，给予每家2万元奖励。\n"


@pytest.fixture
def library(kb_copy, tmp_path):
    return DocumentLibrary(kb_copy, kb_copy.config.data_dir)


@pytest.fixture
def assistant(kb_copy):
    settings = Settings(data_dir=kb_copy.config.data_dir)
    return Assistant.open(settings, kb=kb_copy)


def test_upload_keeps_the_file_for_reindexing(library):
    report = library.upload([("xingyang-cloud.txt", POLICY.encode())])
    assert [d for d, _, _ in report.added] == ["xingyang-cloud"]
    assert (library.folder / "xingyang-cloud.txt").read_bytes() == POLICY.encode()
    again = library.reindex("xingyang-cloud")
    assert [d for d, _, _ in again.updated] == ["xingyang-cloud"]
    assert library.kb.registry.clause_count() == sum(d.chunks for d in library.documents())


def test_upload_progress_is_told_file_by_file(library):
    second = POLICY.replace("荥阳市", "登封市") + "二、上云补贴\n对上云的中小企业，按费用的50%给予补贴。\n"
    steps = []
    library.upload([("a.txt", POLICY.encode()), ("broken.docx", b"not a word file"), ("b.txt", second.encode())],
                   on_file=steps.append)
    names = list(dict.fromkeys(step.name for step in steps))
    assert names == ["a.txt", "broken.docx", "b.txt"]
    last = {step.name: step for step in steps}
    assert (last["a.txt"].done, last["b.txt"].done) == (last["a.txt"].clauses, last["b.txt"].clauses)
    assert last["b.txt"].clauses > last["a.txt"].clauses > 0
    fractions = [step.fraction for step in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert last["b.txt"].describe() == f"第 3/3 个文件“b.txt”：已向量化 {last['b.txt'].clauses}/{last['b.txt'].clauses} 条"


def test_an_uploaded_sidecar_sets_the_metadata(library):
    sidecar = "title: 荥阳市企业上云奖励通知\ndate: 2024-05-06\n文号: x\n".replace("文号: x\n", "doc_number: 荥工信〔2024〕8号\n")
    library.upload([("cloud.meta.yaml", sidecar.encode()), ("cloud.txt", POLICY.encode())])
    document = library.kb.document("cloud")
    assert (document.title, document.date, document.doc_number) == ("荥阳市企业上云奖励通知", "2024-05-06", "荥工信〔2024〕8号")


def test_editing_metadata_of_a_bundled_document_reingests_it(library):
    text = library.metadata_text(WX)
    assert "title: 温县2023年深化“万人助万企”活动实施方案" in text
    report = library.save_metadata(WX, text.replace("doc_number: ''", "doc_number: 温政办〔2023〕9号"))
    assert [d for d, _, _ in report.updated] == [WX]
    assert library.kb.document(WX).doc_number == "温政办〔2023〕9号"
    assert library.reindex(WX).updated  # the edited sidecar is kept with a copy of the file
    assert library.kb.document(WX).doc_number == "温政办〔2023〕9号"


@pytest.mark.parametrize(
    ("text", "words"),
    [("title: [未闭合", "YAML"), ("doc_id: other-doc\n", "文件编号"), ("date: 某天\n", "日期"), ("colour: red\n", "未知字段")],
)
def test_bad_metadata_is_refused_and_nothing_changes(library, text, words):
    before = library.kb.document(WX)
    with pytest.raises(DocumentRejected, match=words):
        library.save_metadata(WX, text)
    assert library.kb.document(WX) == before


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\a\\政策.txt", "政策.txt"), ("a\x00b.txt", "ab.txt")],
)
def test_upload_names_lose_their_path(name, safe):
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("name", ["", "..", ".hidden.txt", "dir/"])
def test_unusable_upload_names_are_refused(name):
    with pytest.raises(DocumentRejected, match="文件名无效"):
        safe_file_name(name)


def test_a_traversal_name_is_stored_inside_the_library(library):
    library.upload([("../../escape.txt", POLICY.encode())])
    assert (library.folder / "escape.txt").exists()
    assert not (library.folder.parent.parent / "escape.txt").exists()


def test_log_shows_feedback_and_exports_csv(assistant):
    store = assistant.conversations
    good = assistant.ask("温县技术改造投资增长目标是多少？", channel="web")
    bad = assistant.ask("上海市研发补贴多少？", channel="widget")
    store.add_feedback(good.session_id, good.turn_id, "up")
    store.add_feedback(bad.session_id, bad.turn_id, "down", "没有上海的政策")
    log = store.log()
    assert [t.turn_id for t in log[:2]] == [bad.turn_id, good.turn_id]
    assert (log[0].rating, log[0].comment, log[0].channel, log[0].refused) == ("down", "没有上海的政策", "widget", True)
    assert [t.turn_id for t in store.log("技术改造")] == [good.turn_id]
    rows = list(csv.reader(io.StringIO(conversation_csv(store.log(limit=None)).lstrip("\ufeff"))))
    assert rows[0][:4] == ["时间", "会话", "渠道", "问题"]
    assert any(row[3] == "上海市研发补贴多少？" and row[-2:] == ["没用", "没有上海的政策"] for row in rows[1:])
    with pytest.raises(InvalidRequest):
        store.add_feedback(good.session_id, good.turn_id, "meh")


def test_answers_and_clauses_are_escaped_for_the_page():
    citation = Citation(
        n=1, doc_id="d", title="<script>alert(1)</script>通知", doc_number="", issuer="某局", date="2024-01-01",
        region="温县", clause_id="d:1", clause_path="一、*总则*", text="第一条 <img src=x onerror=alert(1)> 奖励 [链接](javascript:alert(1))",
        quote="奖励",
    )
    html = answer_markdown("奖励 **50万元**[1] 与 [2]", [citation], key="3")
    assert "<script>" not in html and "<img" not in html and "](javascript" not in html
    assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt;通知" in html
    assert '<a class="hq-ref" href="#hq-cite-3-1"' in html
    assert "\\[2\\]" in html  # a mark with no citation stays plain text
    assert '\\*\\*<strong class="hq-fact">50万元</strong>\\*\\*' in html  # the text's ** stays literal
