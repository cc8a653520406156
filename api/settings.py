"""One pydantic-settings `Settings` for the whole service (environment variables prefixed CHAINMATCH_)."""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_", env_file=".env", extra="ignore")

    store_backend: Literal["sqlite", "neo4j"] = "sqlite"
    sqlite_path: str = Field(default="var/chainmatch.db", description="SQLite 数据库文件")
    snapshot_dir: str = Field(default="var/snapshots", description="分析快照缓存目录")
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", validation_alias="NEO4J_USER")
    neo4j_password: str | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str | None = Field(default=None, validation_alias="NEO4J_DATABASE")
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = Field(default_factory=list,
                                    description='允许跨域的来源，JSON 数组，如 ["https://zhaoshang.example.gov.cn"]；空 = 不开放跨域')
    max_page_size: int = 500
    max_body_bytes: int = Field(default=20 * 1024 * 1024, description="请求体上限（字节），超过返回 413")
    log_format: Literal["json", "text"] = Field(default="json", description="日志格式：json（每行一个对象，含请求 ID）或 text")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    seed_scale: int = 3000
    seed_value: int = 42


@lru_cache
def get_settings() -> Settings:
    return Settings()
