"""Curated answers (问答对): replies the help desk wrote and published, served to later
questions that ask the same thing in the same region.

A question matches a curated answer when its query embedding is close enough to the
curated question or one of its other wordings (the threshold is fitted by
`python -m evals.curated` on gold questions and kept in curated_calibration.json). The
answers live in the conversation database, so a reply published, edited or withdrawn
through one worker is what every worker serves from its next question on.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import DateTime, Integer, String, Text, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.conversation import MAX_ROW_ID, Base
from assistant.errors import InvalidRequest, NotFound

MAX_REPLY_CHARS = 5000
MAX_QUESTION_CHARS = 500
MAX_WORDINGS = 20
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
"""The help desk's dates are China's calendar days."""
DEFAULT_UNIT = "企业服务中心"

Embed = Callable[[Sequence[str]], np.ndarray]

# What a help-desk question asks for. Embeddings place "食堂许可证去哪办" and "食堂许可证
#要什么材料" side by side (cosine 0.98); two questions that both say what they ask, and
# ask different things, are never the same question.
ASKS: dict[str, re.Pattern[str]] = {
    "where": re.compile(r"哪里|哪儿|哪个窗口|去哪|在哪|到哪|什么地方|地点|地址|网址|网站|入口|链接|平台|哪个部门|什么部门|"
                        r"哪个单位|归哪|找哪|哪家|哪些银行|什么银行|账户|在[^，。？?]{1,10}(?:办|报|申请|申报|交)吗"),
    "materials": re.compile(r"材料|资料|提交什么|提交哪些|提供什么|准备什么|准备啥|准备哪些|带什么|清单|要交什么|交啥|盖.{0,3}章"),
    "process": re.compile(r"怎么(?!样)|如何|流程|手续|步骤|程序|怎样"),
    "time": re.compile(r"什么时候|何时|啥时候|多久|多长时间|几天|几年|多少年|截止|期限|哪天|到账|一次|分期|几次|按年"),
    "amount": re.compile(r"多少钱|多少万|[补给奖贷拿领]多少|(?:奖励|补贴|补助|奖金)多少|标准|金额|比例|额度|利息|费率"),
    "contact": re.compile(r"电话|联系|找谁|热线|号码"),
    "who": re.compile(r"谁|什么人|哪位"),
    "condition": re.compile(r"条件|资格|符合|满足|什么样的|能不能评|认定标准"),
    "benefit": re.compile(r"有没有|有什么优惠|优惠|奖励吗|补贴吗|奖励不|补贴不|给奖励|有奖励|有补贴|有什么(?:奖励|补贴|政策)"),
    "whether": re.compile(r"(?:需要|要|是否|可以|能|用)[^，。？?]{0,8}[吗不]$|是否|可不可以|能不能|要不要|需不需要|吗[？?]?$"),
}


def asks_of(question: str) -> frozenset[str]:
    """What `question` asks for (where, materials, process, time, amount, contact…).

    Example:
        >>> sorted(asks_of("食堂许可证去哪里办")), sorted(asks_of("食堂许可证要什么材料"))
        (['where'], ['materials'])
    """
    return frozenset(kind for kind, pattern in ASKS.items() if pattern.search(question))


def same_ask(question: frozenset[str], wording: frozenset[str]) -> bool:
    """Whether two questions can ask the same thing: one says nothing of what it asks,
    or they share an ask."""
    return not question or not wording or bool(question & wording)


class CuratedRow(Base):
    __tablename__ = "curated_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    alternatives: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of other wordings of the question."""
    answer: Mapped[str] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(64), default="")
    """The region it applies to; empty: every region of the knowledge base."""
    unit: Mapped[str] = mapped_column(String(100), default=DEFAULT_UNIT)
    clause_ids: Mapped[str] = mapped_column(Text, default="[]")
    inquiry_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    vectors: Mapped[str] = mapped_column(Text, default="[]")
    """JSON: the query embeddings of the question and its other wordings."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class CuratedAnswer:
    """问答对：标准问题、其他问法、答复、适用地区、答复单位、引用条款。"""

    id: int
    question: str
    alternatives: tuple[str, ...]
    answer: str
    region: str
    unit: str
    clause_ids: tuple[str, ...]
    inquiry_id: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def label(self) -> str:
        """How the reply is signed: 人工答复 · 单位 · 日期."""
        return signature(self.unit, self.updated_at)

    def as_json(self) -> dict:
        return {
            "id": self.id, "question": self.question, "alternatives": list(self.alternatives), "answer": self.answer,
            "region": self.region, "unit": self.unit, "clause_ids": list(self.clause_ids),
            "inquiry_id": self.inquiry_id, "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(), "label": self.label,
        }


@dataclass(frozen=True)
class CuratedDraft:
    """问答对的内容（新建或修改时由调用方校验地区与条款）。"""

    question: str
    answer: str
    region: str = ""
    unit: str = DEFAULT_UNIT
    alternatives: tuple[str, ...] = ()
    clause_ids: tuple[str, ...] = ()
    inquiry_id: int | None = None

    def checked(self) -> CuratedDraft:
        """The same draft with its texts cleaned; raises InvalidRequest naming the field."""
        question = checked_text(self.question, "问题", MAX_QUESTION_CHARS)
        alternatives = []
        for wording in self.alternatives:
            wording = checked_text(wording, "其他问法", MAX_QUESTION_CHARS, allow_empty=True)
            if wording and wording != question and wording not in alternatives:
                alternatives.append(wording)
        if len(alternatives) > MAX_WORDINGS:
            raise InvalidRequest(f"其他问法最多 {MAX_WORDINGS} 条。")
        unit = checked_text(self.unit or DEFAULT_UNIT, "答复单位", 100).replace("\n", " ")
        return CuratedDraft(
            question=question, answer=checked_text(self.answer, "答复内容", MAX_REPLY_CHARS),
            region=(self.region or "").strip(), unit=unit, alternatives=tuple(alternatives),
            clause_ids=tuple(dict.fromkeys(c.strip() for c in self.clause_ids if c and c.strip())),
            inquiry_id=self.inquiry_id,
        )


def checked_text(value: str | None, what: str, max_chars: int, allow_empty: bool = False) -> str:
    """Plain text a person typed, trimmed; raises InvalidRequest (in Chinese) when it is
    empty, too long, or holds characters a database cannot store as text.

    Example:
        >>> checked_text("  到区政务服务中心3号窗口办理。 ", "答复内容", 5000)
        '到区政务服务中心3号窗口办理。'
    """
    text = "".join(ch for ch in (value or "") if unicodedata.category(ch) != "Cf").strip()
    for ch in text:
        # PostgreSQL refuses NUL, and a lone surrogate is not UTF-8; line breaks are fine.
        if ch not in "\n\t\r" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise InvalidRequest(f"{what}中含有无法识别的字符（U+{ord(ch):04X}），请删除后再提交。")
    if not text and not allow_empty:
        raise InvalidRequest(f"{what}不能为空。")
    if len(text) > max_chars:
        raise InvalidRequest(f"{what}最长 {max_chars} 个字，现在有 {len(text)} 个字，请精简后再提交。")
    return text


@dataclass(frozen=True)
class CuratedMatch:
    answer: CuratedAnswer
    similarity: float
    wording: str
    """The curated wording the question came closest to."""


class CuratedAnswers:
    """The curated answers and the matcher that serves them."""

    def __init__(self, engine: Engine, embed: Embed, threshold: float | None = None) -> None:
        self.engine = engine
        self.embed = embed
        self.threshold = threshold if threshold is not None else load_threshold()
        Base.metadata.create_all(engine, tables=[CuratedRow.__table__])
        self._lock = threading.Lock()
        self._cached: tuple[tuple, list[tuple[CuratedAnswer, np.ndarray, tuple[str, ...]]]] | None = None

    # --- writing ----------------------------------------------------------------

    def add(self, draft: CuratedDraft) -> CuratedAnswer:
        return self.add_many([draft])[0]

    def add_many(self, drafts: Sequence[CuratedDraft]) -> list[CuratedAnswer]:
        """Store every draft in one transaction (all or none)."""
        drafts = [d.checked() for d in drafts]
        vectors = self._vectors([[d.question, *d.alternatives] for d in drafts])
        now = _now()
        with Session(self.engine.execution_options(write=True)) as db, db.begin():
            rows = [
                CuratedRow(
                    question=d.question, alternatives=_dumps(d.alternatives), answer=d.answer, region=d.region,
                    unit=d.unit, clause_ids=_dumps(d.clause_ids), inquiry_id=d.inquiry_id, vectors=v,
                    created_at=now, updated_at=now,
                )
                for d, v in zip(drafts, vectors)
            ]
            db.add_all(rows)
            db.flush()
            return [_answer(row) for row in rows]

    def update(self, curated_id: int, draft: CuratedDraft) -> CuratedAnswer:
        draft = draft.checked()
        vectors = self._vectors([[draft.question, *draft.alternatives]])[0]
        with Session(self.engine.execution_options(write=True)) as db, db.begin():
            row = db.get(CuratedRow, curated_id) if 0 < curated_id <= MAX_ROW_ID else None
            if row is None:
                raise NotFound("没有这条问答，可能已被撤回。")
            row.question, row.alternatives, row.answer = draft.question, _dumps(draft.alternatives), draft.answer
            row.region, row.unit, row.clause_ids, row.vectors = draft.region, draft.unit, _dumps(draft.clause_ids), vectors
            row.updated_at = _now()
            db.flush()
            return _answer(row)

    def withdraw(self, curated_id: int) -> CuratedAnswer:
        """Delete a curated answer; no question is answered with it from now on."""
        with Session(self.engine.execution_options(write=True)) as db, db.begin():
            row = db.get(CuratedRow, curated_id) if 0 < curated_id <= MAX_ROW_ID else None
            if row is None:
                raise NotFound("没有这条问答，可能已被撤回。")
            answer = _answer(row)
            db.execute(delete(CuratedRow).where(CuratedRow.id == curated_id))
        return answer

    # --- reading ----------------------------------------------------------------

    def all(self) -> list[CuratedAnswer]:
        with Session(self.engine) as db:
            return [_answer(row) for row in db.scalars(select(CuratedRow).order_by(CuratedRow.id.desc()))]

    def get(self, curated_id: int) -> CuratedAnswer:
        with Session(self.engine) as db:
            row = db.get(CuratedRow, curated_id) if 0 < curated_id <= MAX_ROW_ID else None
            if row is None:
                raise NotFound("没有这条问答，可能已被撤回。")
            return _answer(row)

    def match(self, question: str, question_vector: np.ndarray, applies: Callable[[str], bool]) -> CuratedMatch | None:
        """The curated answer closest to the question among those whose region `applies`,
        when one of its wordings is close enough and asks for the same kind of thing."""
        return best_match(question, question_vector, self._entries(), applies, self.threshold)

    def _entries(self) -> list[tuple[CuratedAnswer, np.ndarray, tuple[str, ...]]]:
        # One small query per question tells whether any worker changed the answers; plain
        # SQL, since building the statement object cost more than running it.
        with self.engine.connect() as conn:
            signature = tuple(conn.exec_driver_sql(_SIGNATURE).one())
        with self._lock:
            if self._cached is not None and self._cached[0] == signature:
                return self._cached[1]
        with Session(self.engine) as db:
            rows = db.scalars(select(CuratedRow)).all()
            entries = [
                (_answer(row), _matrix(row.vectors), (row.question, *json.loads(row.alternatives or "[]")))
                for row in rows
            ]
        with self._lock:
            self._cached = (signature, entries)
        return entries

    def _vectors(self, wordings: list[list[str]]) -> list[str]:
        flat = [w for group in wordings for w in group]
        if not flat:
            return []
        vectors = np.asarray(self.embed(flat), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
        out, at = [], 0
        for group in wordings:
            out.append(json.dumps(np.round(vectors[at:at + len(group)], 5).tolist()))
            at += len(group)
        return out


_SIGNATURE = f"SELECT count(id), max(id), max(updated_at) FROM {CuratedRow.__tablename__}"


def best_match(
    question: str, question_vector: np.ndarray, entries, applies: Callable[[str], bool], threshold: float,
) -> CuratedMatch | None:
    """The matching rule, on (answer, wording vectors, wordings) entries."""
    best: CuratedMatch | None = None
    vector = unit_vector(np.asarray(question_vector, dtype=np.float32))
    asked = asks_of(question)
    for answer, matrix, wordings in entries:
        if not len(matrix) or not applies(answer.region):
            continue
        similarities = matrix @ vector
        for at in np.argsort(-similarities):
            if similarities[at] < threshold:
                break
            if same_ask(asked, asks_of(wordings[at])):
                if best is None or similarities[at] > best.similarity:
                    best = CuratedMatch(answer, float(similarities[at]), wordings[at])
                break
    return best


def load_threshold() -> float:
    data = json.loads(resources.files("assistant").joinpath("curated_calibration.json").read_text(encoding="utf-8"))
    return float(data["threshold"])


def _matrix(stored: str | None) -> np.ndarray:
    vectors = json.loads(stored or "[]")
    return np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, 1), dtype=np.float32)


def signature(unit: str, moment: datetime) -> str:
    """How a help-desk reply is signed: 人工答复 · 单位 · 日期 (China's calendar day)."""
    return f"人工答复 · {unit} · {moment.astimezone(LOCAL_TIME).date().isoformat()}"


def local_minute(moment: datetime | None) -> str:
    """A stored moment as the help desk reads it: China's local time, to the minute."""
    return aware(moment).astimezone(LOCAL_TIME).strftime("%Y-%m-%d %H:%M") if moment else ""


def unit_vector(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def _answer(row: CuratedRow) -> CuratedAnswer:
    return CuratedAnswer(
        id=row.id, question=row.question, alternatives=tuple(json.loads(row.alternatives or "[]")), answer=row.answer,
        region=row.region or "", unit=row.unit, clause_ids=tuple(json.loads(row.clause_ids or "[]")),
        inquiry_id=row.inquiry_id, created_at=aware(row.created_at), updated_at=aware(row.updated_at),
    )


def aware(moment: datetime) -> datetime:
    """A stored UTC moment with its time zone (SQLite hands back naive datetimes)."""
    # SQLite hands back naive datetimes for what was stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dumps(values) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _now() -> datetime:
    return datetime.now(UTC)
