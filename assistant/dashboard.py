"""The help desk's figures over a period: questions by day and channel, how they were
met (answered, related, refused, curated), inquiries opened and resolved, the resolution
rate against the 97% the policies ask for, time to reply, topics, places and ratings.

Small talk (greetings, thanks, "你能做什么") is not an enterprise question and is left
out of every count.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.conversation import ConversationRow, FeedbackRow, TurnRow
from assistant.curated import LOCAL_TIME, aware
from assistant.errors import InvalidRequest
from assistant.inquiries import ANSWERED, CLOSED, InquiryRow
from assistant.questions import frame
from assistant.turns import outcome_of

RESOLUTION_TARGET = 0.97
OUTCOMES = ("answered", "related", "refused", "curated")
OUTCOME_NAMES = {"answered": "直接回答", "related": "相关条款", "refused": "拒答", "curated": "人工答复"}
MAX_DAYS = 366


@dataclass
class Stats:
    """一段时间内的服务数据。"""

    days: int
    questions: int = 0
    outcomes: Counter = field(default_factory=Counter)
    inquiries_opened: int = 0
    inquiries_resolved: int = 0
    median_reply_hours: float | None = None
    per_day: list[tuple[str, str, int]] = field(default_factory=list)
    """(日期, 渠道, 问题数)"""
    inquiries_per_day: list[tuple[str, str, int]] = field(default_factory=list)
    """(日期, 新增/办结, 件数)"""
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    top_regions: list[tuple[str, int]] = field(default_factory=list)
    ratings: Counter = field(default_factory=Counter)

    @property
    def resolution_rate(self) -> float | None:
        """Inquiries answered or closed ÷ inquiries opened in the period (None: none opened)."""
        return self.inquiries_resolved / self.inquiries_opened if self.inquiries_opened else None

    def as_json(self) -> dict:
        rate = self.resolution_rate
        return {
            "days": self.days, "questions": self.questions, **{k: self.outcomes.get(k, 0) for k in OUTCOMES},
            "inquiries_opened": self.inquiries_opened, "inquiries_resolved": self.inquiries_resolved,
            "resolution_rate": round(rate, 4) if rate is not None else None, "resolution_target": RESOLUTION_TARGET,
            "median_reply_hours": round(self.median_reply_hours, 2) if self.median_reply_hours is not None else None,
            "thumbs_up": self.ratings.get("up", 0), "thumbs_down": self.ratings.get("down", 0),
            "top_topics": [{"topic": t, "count": n} for t, n in self.top_topics],
            "top_regions": [{"region": r, "count": n} for r, n in self.top_regions],
        }


def stats(engine: Engine, days: int = 30, now: datetime | None = None) -> Stats:
    """The figures of the last `days` days (China's calendar days, today included)."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequest(f"统计天数应在 1 到 {MAX_DAYS} 之间。")
    now = now or datetime.now(UTC)
    first_day = now.astimezone(LOCAL_TIME).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), LOCAL_TIME).astimezone(UTC)
    result = Stats(days=days)
    per_day: Counter = Counter()
    topics: Counter = Counter()
    regions: Counter = Counter()
    with Session(engine) as db:
        turns = db.execute(
            select(TurnRow.id, TurnRow.created_at, TurnRow.refused, TurnRow.related, TurnRow.mode, TurnRow.region,
                   TurnRow.standalone_question, ConversationRow.channel)
            .join(ConversationRow, ConversationRow.session_id == TurnRow.session_id)
            .where(TurnRow.created_at >= since)
        ).all()
        counted = set()
        for turn_id, created, refused, related, mode, region, standalone, channel in turns:
            outcome = outcome_of(refused, bool(related), mode)
            if outcome == "guide":
                continue
            counted.add(turn_id)
            result.questions += 1
            result.outcomes[outcome] += 1
            per_day[(_day(created), channel)] += 1
            topics.update(frame(standalone or "").topics)
            if region:
                regions[region] += 1
        latest: dict[int, str] = {}
        for turn_id, rating in db.execute(
            select(FeedbackRow.turn_id, FeedbackRow.rating).where(FeedbackRow.created_at >= since).order_by(FeedbackRow.id)
        ):
            latest[turn_id] = rating
        result.ratings = Counter(rating for turn_id, rating in latest.items() if turn_id in counted)
        inquiries = db.execute(
            select(InquiryRow.first_asked, InquiryRow.status, InquiryRow.replied_at, InquiryRow.resolved_at)
            .where(InquiryRow.first_asked >= since)
        ).all()
        resolved_days: Counter = Counter()
        reply_hours = []
        for first_asked, status, replied_at, resolved_at in inquiries:
            result.inquiries_opened += 1
            resolved_days[(_day(first_asked), "新增")] += 1
            if status in (ANSWERED, CLOSED):
                result.inquiries_resolved += 1
                if resolved_at is not None:
                    resolved_days[(_day(resolved_at), "办结")] += 1
            if replied_at is not None:
                reply_hours.append((aware(replied_at) - aware(first_asked)).total_seconds() / 3600)
    result.median_reply_hours = statistics.median(reply_hours) if reply_hours else None
    result.per_day = sorted((d, c, n) for (d, c), n in per_day.items())
    result.inquiries_per_day = sorted((d, k, n) for (d, k), n in resolved_days.items())
    result.top_topics = topics.most_common(10)
    result.top_regions = regions.most_common(10)
    return result


def _day(moment: datetime) -> str:
    return aware(moment).astimezone(LOCAL_TIME).date().isoformat()
