"""统一社会信用代码 (USCC) validation: GB 32100-2015 check digit with the GB 11714 organisation code inside.

Layout of the 18 characters:
  1     登记管理部门代码 (registration authority)
  2     机构类别代码 (entity type)
  3-8   登记管理机关行政区划码 (GB/T 2260 division code, 6 digits)
  9-17  组织机构代码 (GB 11714: 8 body characters + its own check character)
  18    校验码 over characters 1-17 (GB 32100-2015)
"""
from __future__ import annotations

# GB 32100-2015 code set: digits and upper-case letters without I, O, S, V, Z.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class USCCError(ValueError):
    """The text is not a valid 统一社会信用代码; the message says which part is wrong."""


def uscc_check_char(first17: str) -> str:
    """The 18th character GB 32100-2015 prescribes for the first 17."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def _org_value(c: str) -> int:
    # GB 11714: digits are their value, letters A..Z are 10..35.
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_code_check_char(body8: str) -> str:
    """The 9th character of a GB 11714 organisation code for its first 8."""
    total = sum(_org_value(c) * w for c, w in zip(body8, _ORG_WEIGHTS))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def validate_uscc(value: str) -> str:
    """Return the normalised USCC (stripped, upper-case) or raise USCCError saying what is wrong."""
    if not isinstance(value, str):
        raise USCCError("统一社会信用代码必须是文本")
    code = value.strip().upper()
    if len(code) != 18:
        raise USCCError(f"统一社会信用代码应为18位，实际 {len(code)} 位: {value!r}")
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        raise USCCError(f"统一社会信用代码含非法字符 {''.join(sorted(set(bad)))!r}（不得含 I/O/S/V/Z 或小写以外字符）: {value!r}")
    if not code[2:8].isdigit():
        raise USCCError(f"统一社会信用代码第3-8位应为行政区划数字码: {value!r}")
    org = code[8:17]
    if org_code_check_char(org[:8]) != org[8]:
        raise USCCError(
            f"统一社会信用代码内含的组织机构代码 {org[:8]}-{org[8]} 校验位错误（应为 {org_code_check_char(org[:8])}）: {value!r}"
        )
    expected = uscc_check_char(code[:17])
    if expected != code[17]:
        raise USCCError(f"统一社会信用代码校验位错误：第18位应为 {expected}，实际 {code[17]}: {value!r}")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except USCCError:
        return False
    return True


def make_uscc(authority: str, kind: str, division: str, org_body8: str) -> str:
    """Build a valid USCC from its parts (used by the synthetic generator and tests)."""
    org = org_body8 + org_code_check_char(org_body8)
    first17 = authority + kind + division + org
    return first17 + uscc_check_char(first17)
