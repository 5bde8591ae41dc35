"""The only fake in the suite: a chat model with a queue of replies and a call log,
for the LLM answerer's verification and fallback logic. End-to-end tests use the real
`ChatOpenAI` against `tests/openai_server.py`."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class FakeChatModel(BaseChatModel):
    """Replies with the queued texts in order (an Exception in the queue is raised);
    every call's messages are kept in `calls`. Streams a reply two characters at a time."""

    replies: list = Field(default_factory=list)
    calls: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "huiqi-fake"

    def _next(self, messages: list[BaseMessage]) -> str:
        self.calls.append(list(messages))
        if not self.replies:
            raise AssertionError("FakeChatModel: no reply queued")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._next(messages)))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        if not text:  # an endpoint that answers with nothing still sends one chunk
            yield ChatGenerationChunk(message=AIMessageChunk(content=""))
        for i in range(0, len(text), 2):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[i : i + 2]))
