"""The turns of a conversation as values: what the answerers read as history, and what
the console lists, groups and exports. Stored by `assistant.conversation`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Turn:
    """会话中的一轮：用户原问题、补全后的独立问题与回答。"""

    question: str
    standalone_question: str
    answer: str
    refused: bool
    cited: tuple[tuple[str, str], ...] = ()
    """(doc_id, clause_id) of each clause the answer cited, in order."""


@dataclass(frozen=True)
class LoggedTurn:
    """会话记录中的一轮，附最新的用户评价（控制台查看与导出用）。"""

    turn_id: int
    session_id: str
    channel: str
    created_at: datetime
    question: str
    standalone_question: str
    answer: str
    refused: bool
    mode: str
    top_relevance: float
    citations: list[dict]
    rating: str = ""
    """up / down / 空（未评价）"""
    comment: str = ""
    related: bool = False
    region: str = ""

    @property
    def outcome(self) -> str:
        return outcome_of(self.refused, self.related, self.mode)


def outcome_of(refused: bool, related: bool, mode: str) -> str:
    """answered / related / refused / curated / guide (small talk, asking which place):
    how a question was met."""
    if refused:
        return "refused"
    if related:
        return "related"
    if mode in ("curated", "guide", "clarify"):
        return "guide" if mode == "clarify" else mode
    return "answered"
