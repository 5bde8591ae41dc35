"""Answerers: extractive (default, no model) and LLM (OpenAI-compatible endpoint)."""

from assistant.answer.base import OFFICIAL_NOTE, Answer, Draft

__all__ = ["OFFICIAL_NOTE", "Answer", "Draft"]
