"""Inquiries (诉求): every question huiqi could not answer, kept until the help desk
replies or closes it.

A refused, related-only or 👎-rated turn opens an inquiry, or joins an open one of the
same region whose standalone question means the same (cosine of query embeddings). An
inquiry counts its asks and the sessions they came from; each ask may carry a phone
number left for a call back, shown whole only to staff.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import DateTime, Integer, String, Text, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.conversation import MAX_ROW_ID, Base, TurnRow
from assistant.curated import aware, checked_text, local_minute, signature, unit_vector
from assistant.errors import Conflict, InvalidRequest, NotFound
from assistant.privacy import mask_pii

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATUS_NAMES = {OPEN: "待处理", ANSWERED: "已答复", CLOSED: "已关闭"}
REASON_NAMES = {"refused": "拒答", "related": "仅找到相关条款", "down": "用户点踩", "callback": "请求回电"}
# Two standalone questions this close ask the same thing in other words ("小巨人奖励多少"
# / "小巨人企业能拿多少奖励"); unrelated policy questions sit in a band around 0.85.
SAME_QUESTION = 0.93
# Decoded question vectors of inquiries kept per process (1.5 KB each with the bundled
# 384-dimension model); an inquiry's vector never changes once it is opened, so a backlog is
# decoded once, not on every refusal.
VECTORS_KEPT = 50_000
_IDS_PER_READ = 500
MAX_REASON_CHARS = 500
# Mainland mobile numbers and landlines with an area code, separators allowed.
PHONE = re.compile(r"^(?:\+?86)?(?:1[3-9]\d{9}|0\d{2,3}\d{7,8})$")

Embed = Callable[[Sequence[str]], np.ndarray]
_Key = tuple[int, datetime]


_PACKED = "f32:"


def encode_vector(vector: np.ndarray) -> str:
    """A question vector as the row keeps it: its float32 bytes in base64, read back exactly
    and about ten times faster than a JSON list (a fresh worker reads every open one).

    Example:
        >>> decode_vector(encode_vector(np.array([0.6, 0.8], dtype=np.float32))).tolist()
        [0.6000000238418579, 0.800000011920929]
    """
    return _PACKED + base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str | None) -> np.ndarray:
    """The vector `encode_vector` wrote, or one kept as a JSON list by an earlier version;
    empty when the row holds neither (compared with nothing, rather than failing every
    refusal of its region).

    Example:
        >>> decode_vector("f32:AAAAAA"), decode_vector("[0.5, 0.25]").tolist()
        (array([], dtype=float32), [0.5, 0.25])
    """
    try:
        if text and text.startswith(_PACKED):
            return np.frombuffer(base64.b64decode(text[len(_PACKED):], validate=True), dtype="<f4").astype(np.float32)
        return np.asarray(json.loads(text or "[]"), dtype=np.float32)
    except (ValueError, binascii.Error):
        return np.zeros(0, dtype=np.float32)


class InquiryRow(Base):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    """The first ask's standalone question, personal numbers masked."""
    status: Mapped[str] = mapped_column(String(16), default=OPEN, index=True)
    region: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(16), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why it was closed."""
    reply: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(100), default="")
    clause_ids: Mapped[str] = mapped_column(Text, default="[]")
    curated_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vector: Mapped[str] = mapped_column(Text, default="[]")
    version: Mapped[int] = mapped_column(Integer, default=1)
    """Raised by every change, so a reply written against an older state is refused."""
    first_asked: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_asked: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    """When it was first answered or closed (what the resolution rate counts)."""


class InquiryAskRow(Base):
    __tablename__ = "inquiry_asks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    inquiry_id: Mapped[int] = mapped_column(Integer, index=True)
    turn_id: Mapped[int] = mapped_column(Integer, unique=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32), default="")
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class Ask:
    """诉求中的一次提问。"""

    turn_id: int
    session_id: str
    reason: str
    asked_at: datetime
    question: str
    answer: str
    phone: str = ""
    standalone: str = ""


@dataclass(frozen=True)
class Inquiry:
    """诉求：代表问题、状态、地区、渠道、次数、会话数、首次与最近提问、答复。"""

    id: int
    question: str
    status: str
    region: str
    channel: str
    asked: int
    sessions: int
    first_asked: datetime
    last_asked: datetime
    reason: str
    reply: str
    unit: str
    replied_at: datetime | None
    clause_ids: tuple[str, ...]
    curated_id: int | None
    version: int
    asks: tuple[Ask, ...] = field(default=(), repr=False)

    @property
    def status_name(self) -> str:
        if self.status == CLOSED and not self.reply:
            return "不予答复"
        return STATUS_NAMES[self.status]

    @property
    def questions(self) -> list[str]:
        """The distinct wordings asked, first asked first."""
        return list(dict.fromkeys(ask.question for ask in self.asks))

    @property
    def standalone_questions(self) -> list[str]:
        """What each ask meant (follow-ups completed), the inquiry's own question first."""
        return list(dict.fromkeys([self.question, *(ask.standalone or ask.question for ask in self.asks)]))

    def as_json(self, phones: bool = False) -> dict:
        """The API object; phone numbers masked unless `phones` (the detail view)."""
        body = {
            "id": self.id, "question": self.question, "status": self.status, "status_name": self.status_name,
            "asked": self.asked, "sessions": self.sessions, "region": self.region, "channel": self.channel,
            "first_asked": self.first_asked.isoformat(), "last_asked": self.last_asked.isoformat(),
            "reason": self.reason, "reply": self.reply, "unit": self.unit,
            "replied_at": self.replied_at.isoformat() if self.replied_at else None,
            "clause_ids": list(self.clause_ids), "curated_id": self.curated_id, "version": self.version,
            "callbacks": [ask.phone if phones else mask_pii(ask.phone) for ask in self.asks if ask.phone],
        }
        if phones:
            body["asks"] = [
                {"turn_id": a.turn_id, "question": a.question, "answer": a.answer, "reason": a.reason,
                 "asked_at": a.asked_at.isoformat(), "phone": a.phone}
                for a in self.asks
            ]
        return body


@dataclass(frozen=True)
class Reply:
    """帮办人员给某次提问的答复（会话恢复时显示）。"""

    text: str
    unit: str
    replied_at: datetime

    @property
    def label(self) -> str:
        return signature(self.unit, self.replied_at)

    def as_json(self) -> dict:
        return {"answer": self.text, "unit": self.unit, "replied_at": self.replied_at.isoformat(), "label": self.label}


class Inquiries:
    """The inquiry table: opening, grouping, replying and closing."""

    def __init__(self, engine: Engine, embed: Embed) -> None:
        self.engine = engine
        self.embed = embed
        # By (id, first asked): an id handed out again (a database restored or replaced) is
        # another inquiry.
        self._vectors: dict[_Key, np.ndarray] = {}
        Base.metadata.create_all(engine, tables=[InquiryRow.__table__, InquiryAskRow.__table__])

    def _writing(self) -> Session:
        return Session(self.engine.execution_options(write=True))

    def note(
        self, turn_id: int, session_id: str, question: str, region: str, channel: str, reason: str,
        vector: np.ndarray | None = None,
    ) -> int:
        """Open an inquiry for an unanswered turn, or add it to the open one that asks the
        same; the inquiry's id. A turn already noted (refused, then 👎) counts once.
        `vector`: the question's query embedding, when the caller has it already."""
        if vector is None:
            vector = np.asarray(self.embed([question]), dtype=np.float32)[0]
        vector = unit_vector(np.asarray(vector, dtype=np.float32))
        now = _now()
        with self._writing() as db, db.begin():
            noted = db.scalars(select(InquiryAskRow.inquiry_id).where(InquiryAskRow.turn_id == turn_id)).first()
            if noted is not None:
                return noted
            # Locked (PostgreSQL), so two workers noting the same question join one inquiry.
            open_rows = db.execute(
                select(InquiryRow.id, InquiryRow.first_asked)
                .where(InquiryRow.status == OPEN, InquiryRow.region == region).with_for_update()
            ).all()
            same = self._same_question(db, [(i, aware(first)) for i, first in open_rows], vector)
            if same is None:
                best = InquiryRow(
                    question=question, status=OPEN, region=region, channel=channel,
                    vector=encode_vector(vector), first_asked=now, last_asked=now,
                )
                db.add(best)
                db.flush()
                self._vectors[(best.id, aware(best.first_asked))] = vector
            else:
                best = db.get(InquiryRow, same)
                best.last_asked = now
                best.version = InquiryRow.version + 1
            db.add(InquiryAskRow(inquiry_id=best.id, turn_id=turn_id, session_id=session_id, reason=reason, asked_at=now))
            return best.id

    def _same_question(self, db: Session, open_rows: Sequence[_Key], vector: np.ndarray) -> int | None:
        """The id of the open inquiry among `open_rows` (id, first asked) asking what `vector`
        asks, the closest; None when none is close enough."""
        cache = self._vectors
        if len(cache) + len(open_rows) > VECTORS_KEPT:
            cache = self._vectors = {}  # forget closed inquiries' vectors, never mid-comparison
        # This call's own vectors: another thread clearing the cache does not drop any of them.
        vectors = {key: cache[key] for key in open_rows if key in cache}
        missing = {key[0]: key for key in open_rows if key not in vectors}
        ids = list(missing)
        for at in range(0, len(ids), _IDS_PER_READ):
            chunk = ids[at:at + _IDS_PER_READ]
            for inquiry_id, text in db.execute(select(InquiryRow.id, InquiryRow.vector).where(InquiryRow.id.in_(chunk))):
                key = missing[inquiry_id]
                vectors[key] = cache[key] = decode_vector(text)
        keys = [key for key in open_rows if key in vectors and vectors[key].shape == vector.shape]
        if not keys:
            return None
        similarities = np.stack([vectors[key] for key in keys]) @ vector
        best = int(np.argmax(similarities))
        return keys[best][0] if similarities[best] >= SAME_QUESTION else None

    def leave_phone(self, session_id: str, turn_id: int, phone: str) -> int:
        """Attach a phone number for a call back to the inquiry of the turn; its id."""
        digits = re.sub(r"[\s\-()（）]", "", phone or "")
        if not 0 < turn_id <= MAX_ROW_ID:
            raise NotFound("这条回答没有待处理的诉求，无需留电话；如需人工服务请拨打 12345。")
        if not PHONE.match(digits):
            raise InvalidRequest("请填写有效的手机号或带区号的固定电话，如 13812345678 或 0411-12345678。")
        with self._writing() as db, db.begin():
            ask = db.scalars(select(InquiryAskRow).where(InquiryAskRow.turn_id == turn_id)).first()
            if ask is None or ask.session_id != session_id:
                raise NotFound("这条回答没有待处理的诉求，无需留电话；如需人工服务请拨打 12345。")
            # Kept without the country code, in the form every list masks.
            ask.phone = re.sub(r"^\+?86(?=1|0)", "", digits)
            return ask.inquiry_id

    def list(self, status: str | None = None, limit: int = 500) -> list[Inquiry]:
        """Inquiries, the most recently asked first; `status` one of open/answered/closed."""
        if status is not None and status not in STATUS_NAMES:
            raise InvalidRequest("状态只能是 open（待处理）、answered（已答复）或 closed（已关闭）。")
        query = select(InquiryRow).order_by(InquiryRow.last_asked.desc(), InquiryRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(InquiryRow.status == status)
        with Session(self.engine) as db:
            rows = db.scalars(query).all()
            return self._inquiries(db, rows)

    def get(self, inquiry_id: int) -> Inquiry:
        with Session(self.engine) as db:
            row = db.get(InquiryRow, inquiry_id) if 0 < inquiry_id <= MAX_ROW_ID else None
            if row is None:
                raise NotFound("没有这条诉求。")
            return self._inquiries(db, [row])[0]

    def reply(
        self, inquiry_id: int, text: str, unit: str, clause_ids: Sequence[str] = (),
        curated_id: int | None = None, version: int | None = None,
    ) -> Inquiry:
        """Record the help desk's reply; the inquiry is answered. Refused (Conflict) when
        someone else changed it since `version`, or, without a version, answered it first."""
        now = _now()
        _check_ids(inquiry_id, version)
        with self._writing() as db, db.begin():
            guard = [InquiryRow.id == inquiry_id]
            guard.append(InquiryRow.version == version if version is not None else InquiryRow.status == OPEN)
            changed = db.execute(
                update(InquiryRow).where(*guard).values(
                    status=ANSWERED, reply=text, unit=unit, clause_ids=json.dumps(list(clause_ids), ensure_ascii=False),
                    curated_id=curated_id, replied_at=func.coalesce(InquiryRow.replied_at, now),
                    version=InquiryRow.version + 1,
                    resolved_at=func.coalesce(InquiryRow.resolved_at, now),
                )
            ).rowcount
        if not changed:
            self._overtaken(inquiry_id)
        return self.get(inquiry_id)

    def link_curated(self, inquiry_id: int, curated_id: int | None) -> Inquiry:
        """Record the curated answer a reply was published as."""
        with self._writing() as db, db.begin():
            db.execute(update(InquiryRow).where(InquiryRow.id == inquiry_id).values(curated_id=curated_id))
        return self.get(inquiry_id)

    def close(self, inquiry_id: int, reason: str, version: int | None = None) -> Inquiry:
        """Close an inquiry (不予答复 when it has no reply), with the reason."""
        reason = checked_text(reason, "关闭原因", MAX_REASON_CHARS)
        _check_ids(inquiry_id, version)
        with self._writing() as db, db.begin():
            guard = [InquiryRow.id == inquiry_id, InquiryRow.status != CLOSED]
            if version is not None:
                guard.append(InquiryRow.version == version)
            changed = db.execute(
                update(InquiryRow).where(*guard).values(
                    status=CLOSED, reason=reason, version=InquiryRow.version + 1,
                    resolved_at=func.coalesce(InquiryRow.resolved_at, _now()),
                )
            ).rowcount
        if not changed:
            self._overtaken(inquiry_id)
        return self.get(inquiry_id)

    def _overtaken(self, inquiry_id: int) -> None:
        current = self.get(inquiry_id)  # NotFound when there is none
        if current.status == ANSWERED:
            raise Conflict(f"这条诉求已于 {local_minute(current.replied_at)} 由{current.unit or '其他人员'}答复：“{current.reply[:200]}”。"
                           "您的答复没有提交，内容仍保留，可修改后再提交。")
        raise Conflict(f"这条诉求刚被其他人员处理过（现在：{current.status_name}），请查看最新内容后再提交。")

    def replies_for_turns(self, turn_ids: Sequence[int]) -> dict[int, Reply]:
        """The help desk's replies to these turns, by turn id."""
        if not turn_ids:
            return {}
        with Session(self.engine) as db:
            rows = db.execute(
                select(InquiryAskRow.turn_id, InquiryRow.reply, InquiryRow.unit, InquiryRow.replied_at)
                .join(InquiryRow, InquiryRow.id == InquiryAskRow.inquiry_id)
                .where(InquiryAskRow.turn_id.in_(list(turn_ids)), InquiryRow.reply != "", InquiryRow.replied_at.is_not(None))
            ).all()
        return {turn_id: Reply(text, unit, aware(at)) for turn_id, text, unit, at in rows}

    def purge(self, cutoff: datetime) -> None:
        """Forget asks (and the phone numbers left with them) older than `cutoff`."""
        with self._writing() as db, db.begin():
            db.execute(delete(InquiryAskRow).where(InquiryAskRow.asked_at < cutoff))

    def _inquiries(self, db: Session, rows: Sequence[InquiryRow]) -> list[Inquiry]:
        ids = [row.id for row in rows]
        asks: dict[int, list[Ask]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            for ask, question, standalone, answer in db.execute(
                select(InquiryAskRow, TurnRow.question, TurnRow.standalone_question, TurnRow.answer)
                .outerjoin(TurnRow, TurnRow.id == InquiryAskRow.turn_id)
                .where(InquiryAskRow.inquiry_id.in_(ids[start:start + 500]))
                .order_by(InquiryAskRow.id)
            ):
                asks[ask.inquiry_id].append(
                    Ask(ask.turn_id, ask.session_id, ask.reason, aware(ask.asked_at), question or "", answer or "", ask.phone,
                        standalone or "")
                )
        return [
            Inquiry(
                id=row.id, question=row.question, status=row.status, region=row.region, channel=row.channel,
                asked=len(asks[row.id]) or 1, sessions=len({a.session_id for a in asks[row.id]}) or 1,
                first_asked=aware(row.first_asked), last_asked=aware(row.last_asked), reason=row.reason,
                reply=row.reply, unit=row.unit, replied_at=aware(row.replied_at) if row.replied_at else None,
                clause_ids=tuple(json.loads(row.clause_ids or "[]")), curated_id=row.curated_id,
                version=row.version, asks=tuple(asks[row.id]),
            )
            for row in rows
        ]


def _check_ids(inquiry_id: int, version: int | None) -> None:
    if not 0 < inquiry_id <= MAX_ROW_ID:
        raise NotFound("没有这条诉求。")
    if version is not None and not 0 < version <= MAX_ROW_ID:
        raise InvalidRequest("version 应为查看诉求时得到的正整数。")


def _now() -> datetime:
    return datetime.now(UTC)


def retention_cutoff(days: int) -> datetime:
    return _now() - timedelta(days=days)
