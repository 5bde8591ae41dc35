"""`huiqi eval draft`: candidate gold questions from clauses that carry figures, for a
person to rewrite and review before anything enters the gold set."""

from __future__ import annotations

import re

from evals.facts import figures
from knowledge.index import KnowledgeBase
from knowledge.text import split_sentences

_FIGURE = re.compile(
    r"\d+(?:,\d{3})*(?:\.\d+)?\s*(?:万|亿)?\s*(?:余|多)?\s*(?:元|%|％|家|个|项|场|人次|人|名|套|次|份|座|亩|个工作日)"
    r"|〔\d{4}〕\d+号|\d{4}年\d{1,2}月\d{1,2}日"
)


def draft_questions(kb: KnowledgeBase, known: set[str] | None = None, limit: int = 50) -> list[dict]:
    """One candidate per figure-bearing sentence of clauses not yet in the gold set:
    the clause, the figure as the fact, the sentence, and a cloze to rewrite as a question."""
    known = known or set()
    candidates = []
    for document in kb.documents():
        for clause in kb.clauses(document.doc_id):
            if clause.clause_id in known:
                continue
            for sentence in split_sentences(re.sub(r"\s+", "", clause.text)):
                match = _FIGURE.search(sentence)
                if not match or not figures(match.group(0)) and "〔" not in match.group(0):
                    continue
                before = sentence[: match.start()][-28:]
                after = re.split(r"[,，。；;]", sentence[match.end():])[0][:16]
                candidates.append({
                    "id": f"draft-{clause.clause_id.replace(':', '-').replace('.', '-')}-{len(candidates)}",
                    # A cloze, not a question: a person turns it into how an owner would ask.
                    "question": f"（待改写）{document.region}：…{before}____{after}…",
                    "clauses": [clause.clause_id],
                    "facts": [match.group(0)],
                    "region": document.region,
                    "source_sentence": sentence,
                })
                if len(candidates) >= limit:
                    return candidates
    return candidates
