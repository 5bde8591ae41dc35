"""What every answerer does and returns, and the shape of an answer handed to users."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from assistant.citations import Citation
from assistant.layout import answer_blocks
from knowledge.models import ClauseHit

if TYPE_CHECKING:
    from assistant.questions import QuestionFrame

OFFICIAL_NOTE = "（以上摘自政策原文，具体以正式文件为准。）"


@dataclass(frozen=True)
class Draft:
    """答案草稿：正文（含 [n] 标注）与引用列表，由回答器产出。"""

    text: str
    citations: tuple[Citation, ...]
    mode: str
    """extractive / llm / llm-fallback（模型回答未通过核验，改用原文摘录）。"""
    notice: str = ""
    """给用户的附加说明，如回退原因。"""


DraftStream = Generator[str, None, Draft]
"""Text chunks as they are produced; the generator's return value is the final Draft."""


class Answerer(Protocol):
    """Turns relevant clauses into a cited answer. Implemented by the extractive
    answerer and by the LLM answerer (which falls back to the extractive one)."""

    mode: str

    def stream(
        self, question: QuestionFrame, hits: list[ClauseHit], history: Sequence = (), by_region: bool = False
    ) -> DraftStream:
        """Stream the answer to `question` from `hits` (relevant clauses, best first; never
        empty). With `by_region`, the answer is grouped by the region each clause
        applies to. When the final Draft's text differs from the chunks (an LLM answer
        that failed verification), the Draft is what counts."""
        ...


def final_draft(stream: DraftStream) -> Draft:
    """Run a draft stream to its end and return the Draft."""
    while True:
        try:
            next(stream)
        except StopIteration as done:
            return done.value


@dataclass(frozen=True)
class Answer:
    """回答：正文、引用、是否拒答、回答方式、会话与耗时。

    Example:
        >>> Answer(text="…", citations=(), refused=True, mode="extractive").as_json()["refused"]
        True
    """

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    mode: str
    session_id: str = ""
    question: str = ""
    standalone_question: str = ""
    """补全上下文后的独立问题（追问时与原问题不同）。"""
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    turn_id: int | None = None
    """会话记录中这一轮的编号，评价（👍/👎）时引用。"""
    related: bool = False
    """没有条款直接回答，引用的是可能相关的条款（不算拒答）。"""
    suggestions: tuple[str, ...] = ()
    """可接着问的 2–3 个问题（由知识库生成）。"""

    def as_json(self) -> dict:
        """The `huiqi ask --json` / `POST /api/chat` object."""
        return {
            "answer": self.text,
            "blocks": [b.as_json() for b in answer_blocks(self.text, self.standalone_question or self.question)],
            "refused": self.refused,
            "mode": self.mode,
            "citations": [c.as_json() for c in self.citations],
            "session_id": self.session_id,
            "question": self.question,
            "standalone_question": self.standalone_question,
            "notice": self.notice,
            "turn_id": self.turn_id,
            "related": self.related,
            "suggestions": list(self.suggestions),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
