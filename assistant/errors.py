"""Errors of the answering side, worded for the person who sees them (in Chinese)."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of the assistant's errors; the message is shown to users as is."""


class QuestionRejected(AssistantError, ValueError):
    """The question cannot be asked as written (empty, too long, control characters).

    A `ValueError`, so the CLI exits with code 2 and the API answers 400/422.
    """
