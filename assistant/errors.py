"""Errors of the answering side, worded for the person who sees them (in Chinese).

Each carries the HTTP status and machine-readable code the API answers with, so every
entry point reports the same failure the same way.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base of the assistant's errors; the message is shown to users as is."""

    status = 500
    code = "internal_error"
    retry_after: int | None = None
    """Seconds after which asking again may succeed, when the error knows."""

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the API's answer carries besides the status."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class InvalidRequest(AssistantError, ValueError):
    """A request that cannot be served as written (bad field values).

    A `ValueError`, so the CLI exits with code 2 and the API answers 4xx.
    """

    status = 400
    code = "invalid_request"


class QuestionRejected(InvalidRequest):
    """The question cannot be asked as written (empty, too long, control characters)."""

    code = "invalid_question"


class NotFound(AssistantError, LookupError):
    """What the request names does not exist (a document, an answer)."""

    status = 404
    code = "not_found"


class Conflict(AssistantError):
    """The request was overtaken by another one (two staff answering one inquiry)."""

    status = 409
    code = "conflict"
