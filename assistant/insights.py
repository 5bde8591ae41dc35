"""What the knowledge base is missing: refused questions, 👎 answers and answers given on
weak evidence, grouped by similar question so the help desk sees counts, not a stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.conversation import ConversationStore
from assistant.turns import LoggedTurn

# Two questions this close (cosine of e5 query embeddings) ask the same thing in other
# words: "小巨人奖励多少" / "小巨人企业能拿多少奖励". Lower merges unrelated policy questions,
# which all sit in a narrow band around 0.85.
SAME_QUESTION = 0.93
# An answer whose best clause is this little above the refusal threshold is a guess.
WEAK_MARGIN = 0.25

REASONS = {"refused": "拒答", "down": "用户点踩", "weak": "依据较弱"}


@dataclass
class QuestionGroup:
    """一组相似的未解决问题：代表问题、次数、原因统计与原问题。"""

    question: str
    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    last_seen: str = ""

    @property
    def reason_text(self) -> str:
        return "，".join(f"{REASONS[k]} {v}" for k, v in sorted(self.reasons.items(), key=lambda kv: -kv[1]))


def unresolved_reason(turn: LoggedTurn, threshold: float) -> str | None:
    if turn.refused:
        return "refused"
    if turn.rating == "down":
        return "down"
    if turn.top_relevance < threshold + WEAK_MARGIN:
        return "weak"
    return None


def unanswered(
    store: ConversationStore,
    embed: Callable[[Sequence[str]], np.ndarray],
    threshold: float,
    limit: int = 2000,
) -> list[QuestionGroup]:
    """Unresolved questions of the last `limit` turns, grouped, most frequent first."""
    turns = [(t, r) for t in store.log(limit=limit) if (r := unresolved_reason(t, threshold))]
    if not turns:
        return []
    texts = [_normalized(t.standalone_question or t.question) for t, _ in turns]
    vectors = np.asarray(embed(texts), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-9)
    groups: list[QuestionGroup] = []
    centers: list[np.ndarray] = []
    for (turn, reason), vector in zip(turns, vectors):
        similarity = [float(vector @ c) for c in centers]
        best = int(np.argmax(similarity)) if similarity else -1
        if best >= 0 and similarity[best] >= SAME_QUESTION:
            group = groups[best]
        else:
            group = QuestionGroup(question=turn.question, last_seen=turn.created_at.isoformat(timespec="minutes"))
            groups.append(group)
            centers.append(vector)
        group.count += 1
        group.reasons[reason] = group.reasons.get(reason, 0) + 1
        if turn.question not in group.questions:
            group.questions.append(turn.question)
    # The log is newest first, so among equal counts the most recent group leads.
    return sorted(groups, key=lambda g: -g.count)


def _normalized(question: str) -> str:
    return re.sub(r"[\s？?！!。，,、]+", "", question)
