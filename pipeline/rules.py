"""招商项目库 rules: the stages 线索 → 达产 and their legal transitions, the fields only the project library may
change, 一般/重点/重大 classification, the stall limit, the import limits, and the library's refusals.

Leadership and officers read the board through these rules; the thresholds are deployment settings
(api/settings.py `Settings.pipeline` / `Settings.imports`, plain numbers) turned into rules here with
`PipelineRules.from_settings` / `ImportLimits.from_settings`, so the settings import no domain code.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graph.schema import LABEL_CN, PROJECT_STAGES, Label
from kernel.errors import ChainMatchError, Conflict, Forbidden, Invalid, NotFound, TooLarge as _TooLarge

STAGES = PROJECT_STAGES
STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}
SIGNED = STAGE_INDEX["签约"]
# Allowed transitions: one step forward; before signing a project may also fall back one step (talks cool down),
# with a note saying why. After signing there is no way back: a signed project that fails is deleted or kept as is.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "线索": ("接洽",),
    "接洽": ("洽谈", "线索"),
    "洽谈": ("签约", "接洽"),
    "签约": ("注册",),
    "注册": ("开工",),
    "开工": ("投产",),
    "投产": ("达产",),
    "达产": (),
}
# What officers say for a stage. 落地 is the project company registered here (注册): in the common five-step count
# 在谈 → 签约 → 落地 → 开工 → 投产 it sits between signing and breaking ground, exactly where 注册 sits, and a
# project "lands" when it exists locally as a registered company. (The board's 签约及以后 count and 落地评价 start at
# 签约, when the land is tied to the project; that is a different question from the stage officers call 落地.)
STAGE_ALIASES: dict[str, str] = {"落地": "注册"}
# Changed only through the project library's commands (stage change, tracking); the generic PUT refuses them.
PROTECTED_FIELDS = ("stage", "stage_on", "stage_history", "signed_on", "tracking_log")
CLASSES = ("一般", "重点", "重大")


# ============================================================================================== errors
class PipelineError(ChainMatchError):
    """Any refusal of the project library (the kernel's kind says which)."""


class ProjectNotFound(PipelineError, NotFound):
    pass


class ProjectForbidden(PipelineError, Forbidden):
    pass


class IllegalTransition(PipelineError, Conflict):
    pass


class ProjectConflict(PipelineError, Conflict):
    pass


class InvalidRequest(PipelineError, Invalid):
    pass


class TooLarge(PipelineError, _TooLarge):
    pass


# ============================================================================================== limits and rules
@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (settings: CHAINMATCH_IMPORT_MAX_ROWS, CHAINMATCH_IMPORT_MAX_UNPACKED_BYTES). An
    .xlsx is a zip: a few MB can unpack to gigabytes of sheet XML, so the unpacked size is checked from the zip's
    directory before anything is parsed, and rows are counted while the sheet is streamed."""

    max_rows: int = 20_000
    max_unpacked_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_settings(cls, *, max_rows: int, max_unpacked_bytes: int) -> "ImportLimits":
        return cls(max_rows, max_unpacked_bytes)


@dataclass(frozen=True)
class PipelineRules:
    """Classification thresholds (总投资, 万元) and tracking limits; configurable per deployment.

    Defaults: 重大 ≥ 10 亿元, 重点 ≥ 1 亿元, 一般 below; a project without a tracking entry or stage change for
    more than 30 days is stalled (the documents ask for weekly tracking: 每周跟踪)."""

    key_wan: Decimal = Decimal(10_000)
    major_wan: Decimal = Decimal(100_000)
    stall_days: int = 30

    def __post_init__(self) -> None:
        if self.key_wan <= 0 or self.major_wan <= 0:
            raise InvalidRequest("分类阈值应为正数（万元）")
        if self.major_wan <= self.key_wan:
            raise InvalidRequest(f"重大项目阈值 {self.major_wan} 万元应高于重点项目阈值 {self.key_wan} 万元")
        if self.stall_days < 1:
            raise InvalidRequest("停滞天数应至少为 1 天")

    @classmethod
    def from_settings(cls, *, key_wan: float, major_wan: float, stall_days: int) -> "PipelineRules":
        """The rules from the deployment's plain numbers (floats as typed, compared exactly as decimals)."""
        return cls(Decimal(str(key_wan)), Decimal(str(major_wan)), int(stall_days))

    def as_dict(self) -> dict[str, Any]:
        return {"key_wan": float(self.key_wan), "major_wan": float(self.major_wan), "stall_days": self.stall_days,
                "text": f"重大：总投资 ≥ {self.major_wan:,} 万元；重点：≥ {self.key_wan:,} 万元；其余一般；"
                        f"超过 {self.stall_days} 天无阶段变化且无跟踪记录为停滞"}


def classify(total_investment_wan: float | None, rules: PipelineRules = PipelineRules()) -> str | None:
    """一般 / 重点 / 重大 by 总投资 (万元); None when the investment is not known."""
    if total_investment_wan is None:
        return None
    x = Decimal(str(total_investment_wan))
    return "重大" if x >= rules.major_wan else "重点" if x >= rules.key_wan else "一般"


def stage_of(text: str | None) -> str | None:
    """A stage as typed → the stage it means (落地 → 注册); unknown text is returned as typed, so the refusal names it."""
    if text is None:
        return None
    t = str(text).strip()
    return STAGE_ALIASES.get(t, t)


def stage_label(stage: str) -> str:
    """A stage with the word officers use for it, if any: 注册（落地）."""
    alias = [a for a, s in STAGE_ALIASES.items() if s == stage]
    return f"{stage}（{'、'.join(alias)}）" if alias else stage


def transition_error(frm: str, to: str) -> str | None:
    """Why frm → to is not allowed (None if it is)."""
    if to not in STAGE_INDEX:
        alias = "；".join(f"“{a}”即“{s}”" for a, s in STAGE_ALIASES.items())
        return f"未知阶段“{to}”；阶段依次为 {' → '.join(STAGES)}（{alias}）"
    if to == frm:
        return f"项目已处于“{frm}”阶段"
    if to in TRANSITIONS[frm]:
        return None
    allowed = "、".join(TRANSITIONS[frm]) or "无（已达产）"
    if STAGE_INDEX[to] > STAGE_INDEX[frm]:
        skipped = "、".join(STAGES[STAGE_INDEX[frm] + 1:STAGE_INDEX[to]])
        return f"不能从“{frm}”跳到“{to}”：须依次经过“{skipped}”；当前可转入：{allowed}"
    if STAGE_INDEX[frm] >= SIGNED:
        return f"已签约项目不能退回“{to}”；当前可转入：{allowed}"
    return f"不能从“{frm}”退回“{to}”（签约前只能退回上一阶段）；当前可转入：{allowed}"


def is_landed(stage: str | None) -> bool:
    """签约 or later: the project has landed (evaluated after landing; the recommender's positives)."""
    return STAGE_INDEX.get(stage or "线索", 0) >= SIGNED


def rules_info() -> dict[str, Any]:
    return {"stages": list(STAGES), "transitions": {k: list(v) for k, v in TRANSITIONS.items()},
            "aliases": dict(STAGE_ALIASES), "protected_fields": list(PROTECTED_FIELDS), "label": LABEL_CN[Label.Project]}
