"""Settings: environment, huiqi.toml, validation and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import Settings


def test_defaults_are_the_embedded_offline_setup(monkeypatch):
    monkeypatch.delenv("HUIQI_DATA_DIR")
    settings = Settings()
    assert settings.data_dir == Path(".huiqi")
    assert settings.embedder == "e5-small"
    assert settings.chroma_url is None and settings.llm_base_url is None and settings.admin_token is None


def test_environment_overrides_toml(tmp_path, monkeypatch):
    (tmp_path / "huiqi.toml").write_text('embedder = "sentence-transformers:/models/bge"\nmax_file_mb = 5\n', encoding="utf-8")
    monkeypatch.setenv("HUIQI_MAX_FILE_MB", "7")
    settings = Settings()
    assert settings.embedder == "sentence-transformers:/models/bge"
    assert settings.max_file_mb == 7
    assert settings.knowledge_config().max_file_bytes == 7 * 1024 * 1024


def test_blank_urls_mean_unset(monkeypatch):
    monkeypatch.setenv("HUIQI_CHROMA_URL", "  ")
    assert Settings().chroma_url is None


def test_settings_are_frozen_and_secrets_hidden(monkeypatch):
    monkeypatch.setenv("HUIQI_ADMIN_TOKEN", "s3cret-token")
    settings = Settings()
    assert "s3cret-token" not in repr(settings) and "s3cret-token" not in str(settings.model_dump())
    with pytest.raises(ValidationError):
        settings.embedder = "other"


def test_invalid_values_are_refused(monkeypatch):
    monkeypatch.setenv("HUIQI_MAX_CHUNK_TOKENS", "3")
    with pytest.raises(ValidationError, match="max_chunk_tokens"):
        Settings()
