"""The bulletin lists what was referred (移送) to 纪委监委 and 审计局: this month's, and earlier ones not yet signed for."""
from __future__ import annotations

from datetime import date

from services.escalation.bulletin.coordination import referrals_of
from services.escalation.bulletin.render_html import render_html
from services.escalation.bulletin.sections import sections, text

from .test_bulletin_figures import figures

NAMES = {"p1": "三墩污水处理厂扩建", "p2": "紫金港科创园二期"}


def referral(rid: str, project: str, body: str, on: date, signed: date | None = None) -> dict:
    return {"referral_id": rid, "project_id": project, "target_name": body, "referred_on": on, "acknowledged_on": signed,
            "pack": {"level_name": "超概算20%以上未批(移送纪检监察)", "figures": {"overrun_fen": "2500000000"}}}


ROWS = [referral("a", "p1", "区纪委监委", date(2026, 4, 30), date(2026, 5, 8)),  # signed in May: shown in April, not in June
        referral("b", "p1", "审计局", date(2026, 4, 30)),  # never signed: shown every month
        referral("c", "p2", "区纪委监委", date(2026, 6, 3), date(2026, 6, 5))]  # referred and signed in June


def test_this_months_referrals_and_the_ones_still_unsigned() -> None:
    june = referrals_of(ROWS, NAMES, "2026-06", date(2026, 7, 6))
    assert [(r.project_name, r.body, r.acknowledged_on) for r in june] == [
        ("三墩污水处理厂扩建", "审计局", None), ("紫金港科创园二期", "区纪委监委", date(2026, 6, 5))]
    april = referrals_of(ROWS, NAMES, "2026-04", date(2026, 5, 6))  # signed after April's end: still unsigned as of April
    assert [(r.body, r.acknowledged_on) for r in april] == [("区纪委监委", None), ("审计局", None)]
    assert referrals_of(ROWS, NAMES, "2026-03", date(2026, 4, 6)) == ()


def test_the_section_reads_in_chinese_with_the_amount_in_wan() -> None:
    base = figures()
    shown = type(base)(**{**{f: getattr(base, f) for f in base.__dataclass_fields__},
                          "referrals": referrals_of(ROWS, NAMES, "2026-06", date(2026, 7, 6))})
    [section] = [s for s in sections(shown) if s.title == "移送纪检监察、审计的事项"]
    assert [[text(c) for c in row] for row in section.rows][0] == [
        "三墩污水处理厂扩建", "超概算20%以上未批(移送纪检监察)", "审计局", "2,500.00", "2026-04-30", "尚未签收"]
    assert "不是处理决定" in section.note and "移送纪检监察、审计的事项" in render_html(shown)
