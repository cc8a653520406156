"""Facts as people type them (incentives/facts.py): a share written as a percentage is checked like a decimal."""
from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.facts import FactsError, parse_facts
from incentives.rules import default_rules


@pytest.mark.parametrize("text", ["150%", "1500‰", "1.5"])
def test_a_share_above_one_is_refused_however_it_is_written(text):
    with pytest.raises(FactsError) as e:
        parse_facts(default_rules(), {"ipo_local_share": text})
    assert e.value.problems[0][0] == "ipo_local_share" and "0–1" in e.value.problems[0][1]


@pytest.mark.parametrize("text, want", [("75%", "0.75"), ("750‰", "0.75"), ("0.75", "0.75"), ("100%", "1")])
def test_a_share_up_to_one_is_read_in_any_form(text, want):
    assert parse_facts(default_rules(), {"ipo_local_share": text})["ipo_local_share"] == Decimal(want)
