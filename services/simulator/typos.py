"""The typos county systems really send, each of which intake's validation must reject on its own."""
from __future__ import annotations

import copy
import random
from typing import Any

KINDS = ("bad_date", "bad_code", "negative_money", "unknown_stage")
# Stage spellings seen in county sheets: Chinese labels, misspellings, and a synonym not in the contract.
UNKNOWN_STAGES = ("开工", "startd", "under_construction", "在建")
MONEY_FIELDS = ("investment_month_fen", "total_investment_fen", "committed_cost_fen", "budget_fen", "annual_plan_fen")


def corrupt(item: dict[str, Any], kind: str, rng: random.Random) -> dict[str, Any]:
    """A copy of `item` with one typo of `kind`; the original is left alone."""
    broken = copy.deepcopy(item)
    year = broken["source_record_time"][:4]
    if kind == "bad_date":
        # 30 February, or a thirteenth month: a date that does not exist.
        broken["source_record_time"] = rng.choice((f"{year}-02-30T10:00:00+08:00", f"{year}-13-05T10:00:00+08:00"))
    elif kind == "bad_code":
        code = broken.get("project_code")
        # A 项目代码 with a dash lost, or a local-id project given a code with the letter O for a zero.
        broken["project_code"] = code.replace("-", "", 1) if code else "25O3-000000-04-01-000001"
    elif kind == "negative_money":
        present = [name for name in MONEY_FIELDS if isinstance(broken.get(name), int) and broken[name] > 0]
        name = rng.choice(present) if present else "investment_month_fen"
        broken[name] = -(broken.get(name) or rng.randint(1, 1000) * 1_000_000)
    elif kind == "unknown_stage":
        broken["stage"] = rng.choice(UNKNOWN_STAGES)
    else:
        raise ValueError(f"unknown typo kind {kind!r}; one of {KINDS}")
    return broken
