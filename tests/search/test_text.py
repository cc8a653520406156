"""How 信息检索 reads names: normalising, the 字号 core (place, suffix, brackets and the seed's 示例 marker off),
pinyin and initials from pypinyin, bigrams."""
from __future__ import annotations

from search.text import bigrams, core, normalize, pinyin_forms, place_prefixes, query_cores, query_forms


def test_normalize_folds_width_case_and_blanks():
    assert normalize(" ＴＣＬ 科技（集团） ") == "tcl科技(集团)"


def test_core_strips_place_suffix_brackets_and_marker():
    places = place_prefixes(["浙江省", "衢州市", "北京市"])
    assert core(normalize("浙江衢州巨能新材料股份有限公司"), "Enterprise", places) == "巨能新材料"
    assert core(normalize("华芯国际微电子(上海)有限公司（合成）"), "Enterprise", places) == "华芯国际微电子"
    assert core(normalize("北京示例德科机械有限公司（合成）"), "Enterprise", places) == "德科机械"
    assert core(normalize("衢州智造新城"), "Park", places) == "智造新城"
    assert core("衢州", "Enterprise", places) == "衢州"  # never emptied


def test_pinyin_forms_take_pypinyins_reading_of_heteronyms():
    assert pinyin_forms("重庆长安") == ("chongqingchangan", "cqca")
    assert pinyin_forms("中芯国际") == ("zhongxinguoji", "zxgj")
    assert pinyin_forms("tcl科技") == ("tclkeji", "tclkj")
    assert pinyin_forms("abc") == ("abc", "abc")


def test_pinyin_initials_keep_a_latin_part_that_spells_the_same_letters():
    """A Latin run in a name stays whole even when it reads like the Chinese after it (long隆基, ke科达)."""
    assert pinyin_forms("long隆基") == ("longlongji", "longlj")
    assert pinyin_forms("ke科达") == ("kekeda", "kekd")
    assert pinyin_forms("a1b中c2") == ("a1bzhongc2", "a1bzc2")


def test_pinyin_forms_are_pypinyins_normal_and_first_letter_styles():
    from pypinyin import Style, lazy_pinyin

    for name in ("重庆长安汽车", "中国银行行长", "额尔古纳女装", "衢州巨化", "长沙乐器"):
        assert pinyin_forms(name) == ("".join(lazy_pinyin(name)), "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)))


def test_bigrams_of_names():
    assert bigrams(["巨能新"]) == "巨能 能新"


def test_normalize_drops_tone_marks_and_invisible_characters():
    assert normalize("hé fēng") == normalize("HÉ FĒNG") == "hefeng"
    assert normalize("lǜ sè") == "lvse"  # ü as pypinyin writes it
    assert pinyin_forms("绿色")[0] == "lvse"
    assert normalize("中\u200b芯") == normalize("\ufeff中芯\u2060") == normalize("中\u00ad芯") == "中芯"
    assert normalize("Ａ\u200d１") == "a1"


def test_query_cores_drop_the_word_for_the_kind():
    assert query_cores("中芯公司") == ["中芯"] and query_cores("巨化集团") == ["巨化"]
    assert query_cores("tcl集团") == ["tcl"] and query_cores("巨化集团有限公司") == ["巨化"]
    assert query_cores("集成电路产业链") == ["集成电路"] and query_cores("集成电路链") == ["集成电路"]
    assert query_cores("中芯国际") == [] and query_cores("公司") == [] and query_cores("电厂") == []


def test_a_core_cut_at_a_chain_word_is_marked_as_naming_a_chain():
    assert query_forms("集成电路产业链") == [("集成电路", True)] and query_forms("区块链") == [("区块", True)]
    assert query_forms("巨化集团") == [("巨化", False)]
    assert query_forms("区块链公司") == [("区块链", False), ("区块", True)]
    assert query_forms("新材料产业集团") == [("新材料产业", False), ("新材料", True)]
