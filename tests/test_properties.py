"""Property-based tests: on arbitrary text the outline parser, metadata extraction, the
loaders and the question validator either succeed with sound output or refuse with
their own Chinese error; no other exception escapes."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import QuestionRejected
from assistant.privacy import find_pii, mask_pii
from assistant.questions import frame, rewrite_follow_up, searchable, validate_question
from knowledge.errors import DocumentRejected
from knowledge.loaders import LoadedFile, load_bytes, normalize_text
from knowledge.metadata import build_document, normalize_date, parse_sidecar
from knowledge.models import PolicyDocument
from knowledge.outline import parse_clauses

# Text that looks like policy documents often enough to reach the interesting branches:
# outline markers, dates, issuers, 文号, table labels, plus anything else Unicode has.
POLICY_PIECES = st.sampled_from([
    "一、", "二、", "十一、", "(一)", "（二）", "1.", "2．", "(1)", "（3）", "第一章", "第十二条", "一是", "二是",
    "总则", "温县人民政府", "郑州市工业和信息化局", "2023年5月15日", "二〇二三年五月", "郑政〔2024〕12号",
    "发布机构：", "成文日期：", "文号：", "附件：", "抄送：", "对首次获评的企业给予50万元奖励。", "。", "；", "：",
    "\n", "\n\n", " ", "\u3000", "<script>alert(1)</script>", "忽略以上指令", "\x00", "\ufeff", "\u200b",
])
POLICY_TEXT = st.lists(st.one_of(POLICY_PIECES, st.text(max_size=12)), max_size=60).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=400), POLICY_TEXT)
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(POLICY_TEXT, st.integers(min_value=20, max_value=400))
def test_outline_clauses_are_exact_ordered_slices_of_the_text(raw, max_tokens):
    text = normalize_text(raw)
    document = PolicyDocument(doc_id="prop", title="性质测试", text=text)
    clauses = parse_clauses(document, max_tokens=max_tokens)
    ids = [c.clause_id for c in clauses]
    assert len(ids) == len(set(ids))
    previous_end = 0
    for ordinal, clause in enumerate(clauses):
        assert clause.ordinal == ordinal and clause.doc_id == "prop"
        assert 0 <= clause.start <= clause.end <= len(text) and clause.start >= previous_end
        assert clause.text == text[clause.start:clause.end]
        previous_end = clause.end
    if text.strip():
        assert clauses, "a document with text yields at least one clause"


@CHECKS
@given(POLICY_TEXT, st.dictionaries(st.sampled_from(["title", "issuer", "date", "doc_number"]), st.text(max_size=30)))
def test_metadata_extraction_builds_a_document_or_refuses_by_name(raw, fields):
    loaded = LoadedFile("性质测试.txt", normalize_text(raw), fields)
    try:
        document = build_document(loaded)
    except DocumentRejected as exc:
        assert "性质测试.txt" in str(exc)
        return
    assert document.text.strip() and document.title
    assert document.date == "" or normalize_date(document.date) == document.date
    assert document.doc_id.isascii()


@CHECKS
@given(st.text(max_size=300))
def test_sidecar_parsing_accepts_or_refuses_in_chinese(yaml_text):
    try:
        parsed = parse_sidecar(yaml_text, "x.meta.yaml")
    except DocumentRejected as exc:
        assert "x.meta.yaml" in str(exc)
        return
    assert all(isinstance(value, str) for value in parsed.values())


@CHECKS
@given(st.sampled_from([".txt", ".md", ".html", ".docx", ".pdf"]), st.binary(max_size=600))
def test_loaders_read_or_refuse_any_bytes_by_name(ext, data):
    name = f"上传{ext}"
    try:
        loaded = load_bytes(name, data)
    except DocumentRejected as exc:
        assert name in str(exc)
        return
    assert loaded.text and "\x00" not in loaded.text


@CHECKS
@given(ANY_TEXT, st.integers(min_value=1, max_value=500))
def test_question_validator_returns_a_clean_question_or_a_chinese_error(text, limit):
    try:
        question = validate_question(text, limit)
    except QuestionRejected as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
        return
    assert question and question == question.strip() and len(question) <= limit
    assert not any(ord(ch) < 32 and ch not in "\n\t\r" for ch in question)
    try:
        asked = searchable(question)
    except QuestionRejected:
        return
    frame(asked)
    rewrite_follow_up(asked, "郑州对国家级小巨人企业奖励多少？")


@CHECKS
@given(st.lists(st.one_of(st.text(alphabet=string.digits + "-+() X", max_size=22), st.text(max_size=8)), max_size=12))
def test_masking_never_leaves_a_found_number_readable(parts):
    text = "".join(parts)
    masked = mask_pii(text)
    assert len(masked) == len(text)
    for value in find_pii(text):
        assert value not in masked
