"""The LLM answerer: a LangChain chain over any OpenAI-compatible endpoint (vLLM,
Ollama, Xinference, DeepSeek, Qwen), with every answer verified before it is shown.

chain = pack clauses into a token budget (tiktoken) -> prompt (prompts/) -> ChatOpenAI,
streamed. Verification: at least one [n], every [n] names a provided clause, every
number appears in a cited clause, no piece of the system prompt is repeated. An answer
that fails — or an endpoint that fails — falls back to the extractive answer, and the
answer's `mode` says so.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

import prompts
from assistant.answer.base import Answerer, Draft, DraftStream, final_draft
from assistant.citations import Citation, citation_for, clause_region, sentences
from assistant.questions import QuestionFrame
from assistant.turns import Turn
from knowledge.models import ClauseHit
from knowledge.text import CITATION_MARK, count_tokens

FALLBACK_MODE = "llm-fallback"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ENUMERATOR = re.compile(r"^\s*(?:\d+[.、)）]|[（(]\d+[)）])", re.MULTILINE)
_LEAK_WINDOW = 16


@dataclass(frozen=True)
class Verdict:
    """核验结果：是否通过、原因、引用到的条款编号。"""

    ok: bool
    reason: str = ""
    cited: tuple[int, ...] = ()


def _attribute(value: str) -> str:
    """A value safe inside a quoted tag attribute (document metadata is data too)."""
    return value.replace('"', "＂").replace("<", "＜").replace(">", "＞")


class LLMAnswerer:
    """Answers through a chat model, then checks the answer against the clauses.

    Args:
        chat_model: any LangChain chat model (`ChatOpenAI` in production).
        contact: help-desk contact named when the clauses do not answer.
        token_budget: clause text sent to the model, in cl100k tokens.
        timeout_s: the whole answer must arrive within this; a model that trickles
            tokens slower is given up on like one that does not answer.
        fallback: the answerer whose answer is shown when the model's fails (the
            extractive one; the assistant binds it with `with_fallback`).

    Usage::

        answerer = LLMAnswerer(ChatOpenAI(base_url=..., model=...), contact="12345",
                               fallback=ExtractiveAnswerer(kb.tokenizer.tokenize, kb.term_weights))
        for chunk in answerer.stream(frame("温县政府采购预留比例？"), hits): ...
    """

    mode = "llm"

    def __init__(
        self, chat_model: BaseChatModel, contact: str, token_budget: int = 2500, timeout_s: float = 60.0,
        fallback: Answerer | None = None,
    ) -> None:
        if token_budget < 100:
            raise ValueError(f"token_budget must be >= 100, got {token_budget}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.chat_model = chat_model
        self.contact = contact
        self.token_budget = token_budget
        self.timeout_s = timeout_s
        self.fallback = fallback

    def with_fallback(self, fallback: Answerer) -> LLMAnswerer:
        """The same model and limits, falling back to `fallback`."""
        bound = copy.copy(self)
        bound.fallback = fallback
        return bound

    @classmethod
    def from_settings(cls, settings) -> LLMAnswerer:
        from langchain_openai import ChatOpenAI

        api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        model = ChatOpenAI(
            base_url=settings.llm_base_url, model=settings.llm_model, api_key=api_key,
            temperature=0, timeout=settings.llm_timeout_s, max_retries=0,
        )
        return cls(model, settings.helpdesk_contact, timeout_s=settings.llm_timeout_s)

    @cached_property
    def _system_prompt(self) -> str:
        return prompts.load("system").render(contact=self.contact)

    @cached_property
    def _answer_chain(self):
        prompt = ChatPromptTemplate.from_messages(
            [("system", "{system}"), ("human", prompts.load("answer").text)]
        )
        # No output parser at the end: closing a sequence that ends in one reads the model's
        # stream to its end, which would keep a timed-out user waiting for a slow model.
        return RunnableLambda(self._inputs) | prompt | self.chat_model

    @cached_property
    def _condense_chain(self):
        prompt = ChatPromptTemplate.from_messages([("human", prompts.load("condense").text)])
        return prompt | self.chat_model | StrOutputParser()

    # --- the chain -------------------------------------------------------------

    def condense(self, question: str, history: list[Turn]) -> str:
        """The follow-up as a standalone question, or "" when the model cannot be used."""
        lines = []
        for turn in history[-3:]:
            lines.append(f"用户：{turn.standalone_question}")
            lines.append(f"助手：{turn.answer[:200]}")
        try:
            condensed = self._condense_chain.invoke({"history": "\n".join(lines), "question": question})
        except Exception:  # noqa: BLE001 - any endpoint failure: the extractive rewrite takes over
            return ""
        condensed = condensed.strip().splitlines()[0].strip() if condensed.strip() else ""
        return condensed if 0 < len(condensed) <= 500 else ""

    def pack(self, hits: list[ClauseHit]) -> list[ClauseHit]:
        """The hits whose clauses fit in the token budget, best first (the first always,
        so the model is never asked with nothing)."""
        packed, used = [], 0
        for hit in hits:
            cost = count_tokens(hit.clause.text) + 40
            if packed and used + cost > self.token_budget:
                continue
            packed.append(hit)
            used += cost
        return packed

    def _inputs(self, values: dict) -> dict:
        blocks = []
        for n, hit in enumerate(values["hits"], 1):
            document = hit.document
            # Clause text is data: angle brackets are neutralized so it cannot close its block.
            text = hit.clause.text.replace("<", "＜").replace(">", "＞")
            attributes = f'编号="{n}" 地区="{_attribute(clause_region(hit))}" 文件="《{_attribute(document.title)}》"'
            if document.doc_number:
                attributes += f' 文号="{_attribute(document.doc_number)}"'
            attributes += f' 位置="{_attribute(hit.clause.clause_path.replace(" > ", " › "))}"'
            blocks.append(f"<条款 {attributes}>\n{text}\n</条款>")
        return {"system": self._system_prompt, "clauses": "\n\n".join(blocks), "question": values["question"]}

    def stream(
        self, question: QuestionFrame, hits: list[ClauseHit], history: Sequence[Turn] = (), by_region: bool = False
    ) -> DraftStream:
        """Stream the model's tokens; return the verified `Draft`, or the fallback's
        answer marked as such (its text then supersedes what was streamed)."""
        if not hits:
            raise ValueError("hits must not be empty; refuse before answering")
        if self.fallback is None:
            raise ValueError("LLMAnswerer needs a fallback answerer: pass fallback= or call with_fallback()")
        packed = self.pack(hits)
        pieces: list[str] = []
        deadline = time.monotonic() + self.timeout_s
        tokens = self._answer_chain.stream({"hits": packed, "question": question.text})
        try:
            for chunk in tokens:
                token = chunk.text
                if token:
                    pieces.append(token)
                    yield token
                if time.monotonic() > deadline:
                    raise TimeoutError
        except Exception as exc:  # noqa: BLE001 - the owner still gets the extractive answer
            tokens.close()  # drop the connection now rather than read out a slow model
            if isinstance(exc, (TimeoutError, httpx.TimeoutException, openai.APITimeoutError)):
                reason = f"模型服务超过 {self.timeout_s:g} 秒未完成回答"
            else:
                reason = f"模型服务暂不可用（{type(exc).__name__}）"
            return (yield from self._fall_back(question, hits, history, by_region, reason, streamed=bool(pieces)))
        text = "".join(pieces).strip()
        verdict = self.verify(text, packed)
        if not verdict.ok:
            return (yield from self._fall_back(question, hits, history, by_region, verdict.reason, streamed=True))
        citations = tuple(self._citation(n, packed[n - 1], text) for n in verdict.cited)
        return Draft(text, citations, self.mode)

    # --- verification ----------------------------------------------------------

    def verify(self, text: str, packed: list[ClauseHit]) -> Verdict:
        """Check an answer against the clauses it was given."""
        if not text:
            return Verdict(False, "模型没有给出回答")
        cited = tuple(dict.fromkeys(int(n) for n in CITATION_MARK.findall(text)))
        if not cited:
            return Verdict(False, "回答没有标注引用的条款")
        unknown = [n for n in cited if not 1 <= n <= len(packed)]
        if unknown:
            return Verdict(False, f"回答引用了不存在的条款 {unknown}")
        allowed = set()
        for n in cited:
            allowed.update(_NUMBER.findall(packed[n - 1].clause.text))
            allowed.update(_NUMBER.findall(packed[n - 1].clause.clause_path))
        # List numbering ("1. 郑州市：…") is layout, not a figure to check.
        stray = [x for x in _NUMBER.findall(_ENUMERATOR.sub("", CITATION_MARK.sub("", text))) if x not in allowed]
        if stray:
            return Verdict(False, f"回答中的数字 {stray[:3]} 在所引条款中找不到")
        if self._leaks_system_prompt(text):
            return Verdict(False, "回答复述了系统指令")
        return Verdict(True, cited=cited)

    def _leaks_system_prompt(self, text: str) -> bool:
        compact = "".join(text.split())
        rules = "".join(self._system_prompt.split())
        return any(
            rules[i : i + _LEAK_WINDOW] in compact for i in range(0, max(len(rules) - _LEAK_WINDOW, 0), 4)
        )

    def _fall_back(
        self, question: QuestionFrame, hits: list[ClauseHit], history: Sequence[Turn], by_region: bool, reason: str,
        streamed: bool,
    ) -> DraftStream:
        """The fallback's answer, marked with `reason`; streamed too when nothing of the
        model's was (otherwise the final Draft replaces what was shown)."""
        fallback = self.fallback.stream(question, hits, history, by_region)
        draft = final_draft(fallback) if streamed else (yield from fallback)
        notice = f"（{reason}，以下改为政策原文摘录。）"
        return Draft(draft.text, draft.citations, FALLBACK_MODE, notice)

    @staticmethod
    def _citation(n: int, hit: ClauseHit, answer: str) -> Citation:
        """The clause sentence closest to what the answer says next to [n]."""
        said = "".join(line for line in answer.splitlines() if f"[{n}]" in line) or answer
        said_grams = {said[i : i + 2] for i in range(len(said) - 1)}
        spans = sentences(hit.clause.text)
        best = max(
            spans, key=lambda s: len({s.text[i : i + 2] for i in range(len(s.text) - 1)} & said_grams), default=None
        )
        return citation_for(n, hit, best.text if best else hit.clause.text)
