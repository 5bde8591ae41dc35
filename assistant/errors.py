"""Errors of the answering side, worded for the person who sees them (in Chinese)."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of the assistant's errors; the message is shown to users as is."""


class QuestionRejected(AssistantError, ValueError):
    """The question cannot be asked as written (empty, too long, control characters).

    A `ValueError`, so the CLI exits with code 2 and the API answers 400/422.
    """


class SessionNotFound(AssistantError, LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"会话 {session_id} 不存在。不带会话编号提问即可开始新会话。")
        self.session_id = session_id


class ModelUnavailable(AssistantError):
    """The configured chat model endpoint cannot be reached or answered with an error."""
