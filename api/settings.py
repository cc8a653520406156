"""One pydantic-settings `Settings` for the whole service (environment variables prefixed CHAINMATCH_)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pipeline.projects import ImportLimits, PipelineRules


class LandSettings(BaseModel):
    """土地超市 tunables (land/): the soft score's default weights and constants, and reservation lengths.
    Environment: CHAINMATCH_LAND as a JSON object, e.g. CHAINMATCH_LAND='{"weight_price": 5, "distance_scale_km": 30}'."""

    weight_chain_park: float = Field(default=20, ge=0, le=1000, description="默认权重：园区主导产业契合")
    weight_cluster: float = Field(default=20, ge=0, le=1000, description="默认权重：上下游配套")
    weight_area: float = Field(default=15, ge=0, le=1000, description="默认权重：面积契合")
    weight_price: float = Field(default=10, ge=0, le=1000, description="默认权重：地价")
    weight_readiness: float = Field(default=10, ge=0, le=1000, description="默认权重：开发程度")
    weight_preferred: float = Field(default=15, ge=0, le=1000, description="默认权重：意向园区/行政区")
    weight_distance: float = Field(default=10, ge=0, le=1000, description="默认权重：距离")
    neutral: float = Field(default=0.5, ge=0, le=1, description="事实未知的分项按此分计（0–1）")
    cluster_scale: float = Field(default=5.0, gt=0, description="上下游配套：1 − exp(−n / 该值)")
    partner_weight: float = Field(default=2.0, ge=0, description="上下游配套：投资方供应商/客户每家按几家计")
    region_pref_score: float = Field(default=0.7, ge=0, le=1, description="意向区位：在拟落地行政区内（非意向园区）的分")
    distance_scale_km: float = Field(default=50.0, gt=0, description="距离：exp(−d / 该值公里)")
    reservation_ttl_hours: float = Field(default=168.0, gt=0, description="地块预留默认时长（小时）")
    reservation_max_ttl_hours: float = Field(default=2160.0, gt=0, le=2160.0,
                                             description="地块预留最长时长（小时；不超过接口文档中的上限 2160）")

    def default_weights(self) -> dict[str, float]:
        """The weights as the matcher names them (chain_park, cluster, …)."""
        return {k.removeprefix("weight_"): v for k, v in self.model_dump().items() if k.startswith("weight_")}

    def score_scales(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("neutral", "cluster_scale", "partner_weight", "region_pref_score",
                                              "distance_scale_km")}


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
    land: LandSettings = LandSettings()
    # 招商项目库: classification thresholds (总投资, 万元) and when a project counts as stalled
    project_key_wan: float = Field(default=10_000, gt=0, description="重点项目总投资下限（万元）")
    project_major_wan: float = Field(default=100_000, gt=0, description="重大项目总投资下限（万元）")
    project_stall_days: int = Field(default=30, ge=1, description="超过多少天无阶段变化且无跟踪记录视为停滞")
    # imports over the API (项目库 Excel): an .xlsx is a zip, so its unpacked size is bounded as well as its rows
    import_max_rows: int = Field(default=20_000, ge=1, description="一次导入的最多数据行数，超过返回 413")
    import_max_unpacked_bytes: int = Field(default=64 * 1024 * 1024, ge=1024,
                                           description="一次导入的 .xlsx 解压后最大字节数，超过返回 413")

    def import_limits(self) -> "ImportLimits":
        from pipeline.projects import ImportLimits

        return ImportLimits(self.import_max_rows, self.import_max_unpacked_bytes)

    def pipeline_rules(self, key_wan: float | None = None, major_wan: float | None = None,
                       stall_days: int | None = None) -> "PipelineRules":
        """The project library's rules: these settings, each overridable for one request or command."""
        from pipeline.projects import PipelineRules

        key = self.project_key_wan if key_wan is None else key_wan
        major = self.project_major_wan if major_wan is None else major_wan
        return PipelineRules(Decimal(str(key)), Decimal(str(major)),
                             self.project_stall_days if stall_days is None else stall_days)


@lru_cache
def get_settings() -> Settings:
    return Settings()
