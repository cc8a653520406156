"""One pydantic-settings `Settings` for the whole service (environment variables prefixed CHAINMATCH_)."""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PipelineSettings(BaseSettings):
    """招商项目库: classification thresholds (总投资, 万元) and when a project counts as stalled. Read from
    CHAINMATCH_PROJECT_KEY_WAN / _MAJOR_WAN / _STALL_DAYS (this model's own prefix, the documented names) or the
    nested form CHAINMATCH_PIPELINE__KEY_WAN …; pipeline.PipelineRules.from_settings turns them into rules.

    A nested BaseSettings with its own prefix (not a plain BaseModel): pydantic-settings reads a nested plain
    model only through the parent's delimiter form, and a nested model's field aliases are not looked up in the
    environment, so the documented flat names need the model to read them itself (env_file included)."""

    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_PROJECT_", env_file=".env", extra="ignore")

    key_wan: float = Field(default=10_000, gt=0, description="重点项目总投资下限（万元）")
    major_wan: float = Field(default=100_000, gt=0, description="重大项目总投资下限（万元）")
    stall_days: int = Field(default=30, ge=1, description="超过多少天无阶段变化且无跟踪记录视为停滞")


class ImportSettings(BaseSettings):
    """Imports over the API (项目库 Excel): an .xlsx is a zip, so its unpacked size is bounded as well as its rows.
    CHAINMATCH_IMPORT_MAX_ROWS / CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES, or CHAINMATCH_IMPORTS__MAX_ROWS …"""

    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_IMPORT_", env_file=".env", extra="ignore")

    max_rows: int = Field(default=20_000, ge=1, description="一次导入的最多数据行数，超过返回 413")
    max_unpacked_bytes: int = Field(default=64 * 1024 * 1024, ge=1024,
                                    description="一次导入的 .xlsx 解压后最大字节数，超过返回 413")


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
    """Headless Chromium renders: PNG of chain maps (chains/render/png.py) and the 企业尽调 PDF (dossier/pdf.py)."""

    png_timeout_s: float = Field(default=60.0, gt=0, description="Chromium 截图/生成 PDF 超时（秒）")
    chromium_concurrency: int = Field(default=2, ge=1, le=32,
                                      description="同时运行的无头 Chromium 上限（PDF 与 PNG 共用）；已满时 PDF 请求答 503 并附 Retry-After")
    png_default_width: int = Field(default=1200, ge=100, description="SVG 未注明尺寸时的 PNG 宽度（像素）")
    png_default_height: int = Field(default=800, ge=100, description="SVG 未注明尺寸时的 PNG 高度（像素）")


class AlertSettings(BaseModel):
    """内容订阅 (alerts/): the event processor, its rules and webhook delivery (docs/alerts.md). Environment:
    CHAINMATCH_ALERTS='{"overdue_days": 45, "webhook_max_attempts": 8}'."""

    worker: bool = Field(default=True, description="在服务内运行后台处理器与 webhook 投递线程")
    poll_seconds: float = Field(default=2.0, gt=0, le=3600, description="检查存储版本（有无新写入）的间隔（秒）")
    tick_seconds: float = Field(default=600.0, gt=0, description="无写入时也做一次处理（项目逾期等按时间的事件）的间隔（秒）")
    overdue_days: int = Field(default=60, ge=1, le=3650, description="项目在同一阶段超过多少天记为逾期")
    target_min_score: float = Field(default=80, ge=0, le=100, description="订阅未设阈值时，新招商目标的最低分（0–100）")
    target_k: int = Field(default=200, ge=1, le=500, description="每个订阅范围比较的招商目标条数")
    home_region: str = Field(default="330800", description="产业链/环节订阅未指定行政区时，招商目标按此行政区计算")
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60, description="一次 webhook 请求的超时（秒）")
    webhook_max_attempts: int = Field(default=6, ge=1, le=30, description="webhook 最多尝试次数，之后标记为失败")
    webhook_backoff_s: float = Field(default=30.0, ge=0, description="第一次重试前等待（秒），之后每次加倍")
    webhook_backoff_max_s: float = Field(default=3600.0, ge=0, description="重试等待上限（秒）")
    webhook_allow_hosts: list[str] = Field(
        default_factory=list, description="允许解析到本机/内网地址的 webhook 主机名（如内网接收服务）；其余一律只允许公网地址")


class SearchSettings(BaseModel):
    """信息检索 (search/, docs/search.md): how many candidates each stage of a query may bring, and up to how many
    changed nodes the index follows the store's change log before it rebuilds; whether the service builds it at start-up,
and how long a search waits for a running build. Environment:
    CHAINMATCH_SEARCH='{"candidates": 600}'."""

    candidates: int = Field(default=400, ge=20, le=5000, description="精确、前缀、包含各阶段最多取的候选数")
    fuzzy_candidates: int = Field(default=200, ge=0, le=2000, description="同音与错字阶段最多取的候选数")
    max_changes: int = Field(default=50_000, ge=1, description="按变更日志增量更新索引的最多变更数，超过则重建")
    warm_on_start: bool = Field(default=True, description="服务启动时即在后台建立或更新检索索引（百万企业首次建立需几分钟）")
    wait_seconds: float = Field(default=10.0, ge=0, le=600,
                                description="索引正在建立或更新时，一次检索最多等待的秒数；之后用已有的旧索引回答，"
                                            "尚无索引则答 503（检索索引正在建立，见 Retry-After）")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAINMATCH_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

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
    # 招商项目库: classification thresholds and stall limit; imports over the API (read by their own prefixes too)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings, description="招商项目库分类与停滞规则")
    imports: ImportSettings = Field(default_factory=ImportSettings, description="项目库 Excel 导入上限")
    land: LandSettings = Field(default_factory=LandSettings, description="土地超市评分权重与预留时长")
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings, description="产业链诊断阈值")
    targets: TargetSettings = Field(default_factory=TargetSettings, description="招商目标推荐参数")
    render: RenderSettings = Field(default_factory=RenderSettings, description="图谱 PNG 渲染")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="内容订阅：事件处理与 webhook 投递")
    search: SearchSettings = Field(default_factory=SearchSettings, description="信息检索候选数与索引增量更新")


@lru_cache
def get_settings() -> Settings:
    return Settings()
