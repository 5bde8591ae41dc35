"""Personal data in the conversation log: phone, ID-card and 统一社会信用代码 numbers are
masked before they are stored, and logs older than the retention setting are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from assistant.answer.base import Answer
from assistant.config import Settings
from assistant.conversation import ConversationStore
from assistant.exports import conversation_csv
from assistant.privacy import find_pii, mask_pii
from assistant.service import Assistant

MOBILE = "13812345678"
ID_CARD = "41010519900101123X"
CREDIT_CODE = "91410100MA44XXXX0Y"
LANDLINE = "0371-67180000"


@pytest.mark.parametrize(
    ("written", "value"),
    [
        (f"我的手机{MOBILE}", MOBILE),
        ("手机 +86 138-1234-5678 请回电", "+86 138-1234-5678"),
        (f"身份证号{ID_CARD}。", ID_CARD),
        ("老身份证410105900101123", "410105900101123"),
        (f"企业信用代码：{CREDIT_CODE}", CREDIT_CODE),
        (f"座机{LANDLINE}", LANDLINE),
        ("座机(0371)67180000", "(0371)67180000"),
    ],
)
def test_personal_numbers_are_found_and_masked(written, value):
    assert find_pii(written) == [value]
    masked = mask_pii(written)
    assert value not in masked and "*" in masked
    assert masked.replace("*", "").startswith(written[: written.index(value)])


@pytest.mark.parametrize(
    "policy_text",
    ["郑政〔2024〕12号", "奖励50万元，2023年12月31日前", "增长30%，预留40%以上", "20231231"],
)
def test_policy_figures_are_not_mistaken_for_personal_numbers(policy_text):
    assert find_pii(policy_text) == [] and mask_pii(policy_text) == policy_text


def test_the_log_keeps_no_personal_numbers_but_keeps_the_policy_hotline(bundled_kb, tmp_path):
    assistant = Assistant.open(Settings(data_dir=tmp_path), kb=bundled_kb)
    question = f"手机{MOBILE}，信用代码{CREDIT_CODE}，身份证{ID_CARD}。金华市中小企业政策的联系电话是多少？"
    answer = assistant.ask(question, session_id="privacy")
    assistant.conversations.add_feedback("privacy", answer.turn_id, "down", f"请打我电话{MOBILE}")

    logged = assistant.conversations.log()[0]
    exported = conversation_csv(assistant.conversations.log(limit=None))
    for secret in (MOBILE, CREDIT_CODE, ID_CARD):
        assert secret not in logged.question + logged.standalone_question + logged.answer + logged.comment
        assert secret not in exported
    assert "138******78" in logged.question and "138******78" in logged.comment
    assert "金华" in logged.question  # the rest of the question is kept for the help desk
    # The numbers did not stop the question being answered, and the public hotline the
    # answer quotes from policy text stays readable in the log.
    assert not answer.refused and "0579-82469726" in answer.text
    assert "0579-82469726" in logged.answer


def test_logs_older_than_the_retention_are_deleted(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    store = ConversationStore(url)
    store.open()
    for session, age_days in (("old", 200), ("recent", 10)):
        store.start(session)
        answer = Answer(text="……", citations=(), refused=False, mode="extractive", session_id=session,
                        question=f"{session} 问题", standalone_question=f"{session} 问题")
        turn = store.record(session, answer, 0.5)
        store.add_feedback(session, turn, "up")
        when = datetime.now(UTC) - timedelta(days=age_days)
        with store.engine.begin() as db:
            db.execute(text("UPDATE turns SET created_at = :when WHERE session_id = :s"), {"when": when, "s": session})
            db.execute(
                text("UPDATE conversations SET created_at = :when WHERE session_id = :s"), {"when": when, "s": session}
            )

    kept = ConversationStore(url, retention_days=180)
    kept.open()  # purges at start-up
    assert [t.session_id for t in kept.log()] == ["recent"]
    assert kept.log()[0].rating == "up"
    with kept.engine.connect() as db:
        assert db.execute(text("SELECT COUNT(*) FROM feedback")).scalar() == 1
        assert db.execute(text("SELECT session_id FROM conversations")).scalars().all() == ["recent"]


def test_retention_is_configurable_and_zero_keeps_everything(monkeypatch):
    monkeypatch.setenv("HUIQI_LOG_RETENTION_DAYS", "30")
    assert Settings().log_retention_days == 30
    monkeypatch.setenv("HUIQI_LOG_RETENTION_DAYS", "0")
    assert Settings().log_retention_days == 0
    monkeypatch.setenv("HUIQI_LOG_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError):
        Settings()
