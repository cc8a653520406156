"""Which policies a firm may be eligible for, from the 政策计算器 (incentives) on what the graph knows of it: the
items that apply with their amount, and the items its facts touch that need more information (which facts).
Nothing is guessed: a fact the graph does not hold stays a question for the visit."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import incentives
from dossier.models import Row, Section
from graph.snapshot import Snapshot


def policy_section(snap: Snapshot, key: str, as_of: dt.date) -> Section:
    book = incentives.default_rules()
    facts = incentives.subject_facts(snap, enterprise=key)
    calc = incentives.calculate(book, facts, on=as_of, names=incentives.value_names(snap))
    rows = []
    others = 0
    for r in calc.results:
        d = r.as_dict(book)
        if r.status == "applies":
            amount = f"{d['amount']} {d['currency']}" + ("（上限）" if r.item.amount_kind == "up_to" else "")
            rows.append(Row({"政策条款": d["name"], "文件": d["document"], "条款": d["article"], "判断": "符合条件",
                             "金额": amount, "说明": d["computation"] or "；".join(d["reasons"])}))
        elif r.status == "missing_facts" and r.touched:
            need = "、".join(m["label"] for m in d["missing"])
            rows.append(Row({"政策条款": d["name"], "文件": d["document"], "条款": d["article"], "判断": "可能适用",
                             "金额": "—", "说明": f"走访时核实：{need}"}))
        elif r.status == "missing_facts":
            others += 1
    link = "/pages/incentives?" + urlencode({"enterprise": key, "on": as_of.isoformat()})  # as measured here
    note = (f"按政策计算器（规则版本 {book.version}，{as_of.isoformat()}）对图谱已有信息的测算"
            + (f"；另有 {others} 条本地政策缺少判断所需信息，可在政策计算器中补充后测算" if others else ""))
    return Section("policies", "可享政策（政策计算器）", ["政策条款", "文件", "条款", "判断", "金额", "说明"], rows,
                   empty="按已知信息没有确定适用的政策条款", note=note, link=("在政策计算器中测算", link))
