"""One pydantic-settings `Settings` for the whole service (environment variables prefixed CHAINMATCH_)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pipeline.projects import ImportLimits, PipelineRules


class AnalysisSettings(BaseModel):
    """产业链诊断: the defaults of chains.AnalysisConfig (docs/chain-analysis.md); a request may override the
    thresholds per query. Environment: CHAINMATCH_ANALYSIS='{"strong_lq": 1.5}'."""

    strong_lq: float = Field(default=1.25, gt=0, description="优势：区位熵下限")
    strong_min_count: int = Field(default=3, ge=1, description="优势：本地企业数下限")
    leader_strong: bool = Field(default=True, description="本地链主所在且区位熵 ≥ 1 的环节也算优势")
    gap_max_count: int = Field(default=0, ge=0, description="空白：本地企业数不超过此值")
    main_path_min_share: float = Field(default=0.2, ge=0, le=1, description="主干环节：SPC 路径占比下限")
    lq_basis: Literal["strength", "count"] = Field(default="strength", description="区位熵按规模加权强度或企业数")
    size_weights: tuple[float, float, float, float] = Field(default=(0.5, 1.0, 3.0, 9.0),
                                                            description="规模权重：微型、小型、中型、大型")
    unknown_size_weight: float = Field(default=1.0, ge=0, description="规模未知企业的权重")
    top_regions: int = Field(default=3, ge=0, le=20, description="全国分布：列出强度最高的同级地区数")


class TargetSettings(BaseModel):
    """招商目标推荐: the defaults of targets.TargetConfig (docs/targets.md). Environment:
    CHAINMATCH_TARGETS='{"min_positives": 50, "weights": {"need": 1.0}}'."""

    learn_weights: bool = Field(default=True, description="有足够已落地项目时学习权重，否则用默认权重")
    min_positives: int = Field(default=30, ge=2, description="学习权重所需的最少已签约（含以后阶段）项目数")
    negatives_per_project: int = Field(default=5, ge=0, le=100, description="每个项目随机抽取的同环节外地企业负样本数")
    C: float = Field(default=1.0, gt=0, description="LogisticRegression 正则强度的倒数")
    membership_model: bool = Field(default=True, description="用环节成员模型推断潜在成员（企业数不超过上限时）")
    membership_max_firms: int = Field(default=50_000, ge=0, description="拟合环节成员模型的企业数上限")
    membership_min_firms: int = Field(default=1000, ge=1, description="拟合环节成员模型所需的最少有环节归属企业数")
    predicted_per_segment: int = Field(default=20, ge=0, le=1000, description="每个环节纳入的模型推断潜在成员数")
    region_cache: int = Field(default=16, ge=1, le=256, description="缓存的地区状态数")
    random_state: int = 0
    weights: dict[str, float] = Field(default_factory=dict,
                                      description="覆盖默认特征权重（特征名 → 权重）；空 = 文档中的默认权重")
    max_k: int = Field(default=500, ge=1, le=500, description="一次推荐的最多条数（k 的上限，不超过接口上限 500）")


class RenderSettings(BaseModel):
    """PNG rendering of chain maps through headless Chromium (chains/render/png.py)."""

    png_timeout_s: float = Field(default=60.0, gt=0, description="Chromium 截图超时（秒）")
    png_default_width: int = Field(default=1200, ge=100, description="SVG 未注明尺寸时的 PNG 宽度（像素）")
    png_default_height: int = Field(default=800, ge=100, description="SVG 未注明尺寸时的 PNG 高度（像素）")


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
    # 招商项目库: classification thresholds (总投资, 万元) and when a project counts as stalled
    project_key_wan: float = Field(default=10_000, gt=0, description="重点项目总投资下限（万元）")
    project_major_wan: float = Field(default=100_000, gt=0, description="重大项目总投资下限（万元）")
    project_stall_days: int = Field(default=30, ge=1, description="超过多少天无阶段变化且无跟踪记录视为停滞")
    # imports over the API (项目库 Excel): an .xlsx is a zip, so its unpacked size is bounded as well as its rows
    import_max_rows: int = Field(default=20_000, ge=1, description="一次导入的最多数据行数，超过返回 413")
    import_max_unpacked_bytes: int = Field(default=64 * 1024 * 1024, ge=1024,
                                           description="一次导入的 .xlsx 解压后最大字节数，超过返回 413")
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings, description="产业链诊断阈值")
    targets: TargetSettings = Field(default_factory=TargetSettings, description="招商目标推荐参数")
    render: RenderSettings = Field(default_factory=RenderSettings, description="图谱 PNG 渲染")

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
