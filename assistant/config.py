"""One frozen settings object, read once at start-up from `HUIQI_*` environment
variables and an optional `huiqi.toml` (environment wins). Nothing is read at import."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assistant.ratelimit import parse_limit
from knowledge.index import KnowledgeConfig


ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")


class Settings(BaseSettings):
    """huiqi 配置。

    Example:
        >>> Settings(data_dir=Path("/tmp/huiqi")).embedder
        'e5-small'
    """

    model_config = SettingsConfigDict(
        env_prefix="HUIQI_", frozen=True, extra="ignore", toml_file="huiqi.toml"
    )

    data_dir: Path = Field(default=Path(".huiqi"), description="索引与数据库所在目录")
    embedder: str = Field(default="e5-small", description="e5-small 或 sentence-transformers:<路径>")
    chroma_url: str | None = Field(default=None, description="Chroma 服务地址；为空时用内嵌 Chroma")
    database_url: str | None = Field(default=None, description="SQLAlchemy 地址；默认数据目录下的 SQLite")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    admin_token: SecretStr | None = None
    max_file_mb: float = Field(default=20.0, gt=0, description="单个上传文件的大小上限（MB）")
    max_chunk_tokens: int = Field(default=400, ge=20, description="条款块的 token 上限（cl100k）")
    max_question_chars: int = Field(default=500, gt=0)
    helpdesk_contact: str = Field(default="请联系当地企业服务热线 12345", description="拒答时给出的人工咨询方式")
    helpdesk_unit: str = Field(default="企业服务中心", description="人工答复默认署名的单位，如“甘井子区企业服务中心”")
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="允许嵌入挂件、跨域调用接口的网站来源，逗号分隔，如 https://www.huiji.gov.cn"
    )
    site_title: str = Field(default="惠企政策助手", description="页面标题")
    rate_limit: str = Field(
        default="20/minute", description="每个访客（IP + 会话）的提问频率上限，如 20/minute；off 表示不限"
    )
    rate_limit_per_ip: str = Field(
        default="120/minute", description="每个 IP 的提问频率上限（同一出口的多个会话合计）；off 表示不限"
    )
    log_retention_days: int = Field(
        default=180, ge=0, description="会话记录保留天数，更早的自动删除；0 表示永久保留"
    )
    job_threshold_kb: int = Field(
        default=256, ge=0, description="一次上传的文件合计超过此大小（KB）时在后台入库，立即返回任务编号；0 表示总在后台"
    )
    llm_timeout_s: float = Field(default=30.0, gt=0, description="大模型接口的超时时间（秒），超时改用摘录式回答")

    @field_validator("rate_limit", "rate_limit_per_ip")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_limit(value)
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s,]+", value) if part]
        origins = []
        for origin in value or ():
            origin = str(origin).strip().rstrip("/")
            if not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"HUIQI_ALLOWED_ORIGINS 中的“{origin}”不是网站来源，应写成 https://域名[:端口]（不带路径，不能用 *）"
                )
            origins.append(origin)
        return tuple(origins)

    @field_validator("chroma_url", "database_url", "llm_base_url", "llm_model", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("HUIQI_CONFIG", "huiqi.toml")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))

    def knowledge_config(self) -> KnowledgeConfig:
        return KnowledgeConfig(
            data_dir=self.data_dir,
            embedder=self.embedder,
            chroma_url=self.chroma_url,
            database_url=self.database_url,
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_chunk_tokens=self.max_chunk_tokens,
        )
