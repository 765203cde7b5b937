"""Rendering of escalation messages and digests in Chinese."""
from __future__ import annotations

from notifier_events import escalated, raised, resolved

from services.notifier.messages import render_digest, render_event, rule_name
from shared.contracts.escalation import Recipient
from shared.wording import evidence_value, money

ACTION = Recipient(kind="department", name="自然资源局")
INFORMED = Recipient(kind="leader", name="陈立新", role="informed")


def test_raised_message_has_project_level_rule_and_evidence() -> None:
    message = render_event(raised(), ACTION)
    assert message.title == "【预警】西湖区云栖小镇智能制造产业园：闲置土地（满一年）"
    for text in (message.text_markdown, message.text_plain):
        for expected in (
            "西湖区云栖小镇智能制造产业园", "2403-330106-04-01-123456", "闲置土地（第2版）",
            "第1级 闲置土地（满一年）", "2026-03-02", "地块编号：P-01", "约定动工开发日期：2025-03-01",
            "已闲置天数：1天", "土地价款：5,000.00万元", "闲置费(估算)：1,000.00万元", "custom note：现场无施工",
        ):
            assert expected in text, expected
    assert "自然资源局" in message.text_plain and "请于5个工作日内核实情况" in message.text_plain
    assert "**" not in message.text_plain


def test_roles_and_kinds_change_what_is_asked() -> None:
    informed = render_event(raised(), INFORMED).text_plain
    assert "请知悉，并督促责任单位于5个工作日内落实" in informed
    with_deadline = render_event(raised(evidence={"deadline": "2026-04-01"}), ACTION).text_plain
    assert "请于2026-04-01前核实情况" in with_deadline
    up = render_event(escalated(), ACTION)
    assert up.title.startswith("【升级】") and "第1级 → 第2级 闲置满两年" in up.text_plain
    done = render_event(resolved(), ACTION)
    assert done.title.startswith("【已解除】") and "该事项已消除" in done.text_plain
    # A year's plan missed at the year's end: closed, and nobody is told it cleared.
    for role in (ACTION, INFORMED):
        ended = render_event(resolved(resolution="period_ended"), role)
        assert ended.title.startswith("【考核期结束】") and "问题未消除" in ended.text_plain and "已消除" not in ended.text_plain


def test_money_in_wanyuan_and_yiyuan_with_separators() -> None:
    assert money("123456789") == "123.46万元"
    assert money("1000000") == "1.00万元"
    assert money("150000") == "1,500.00元"  # under 1万元 in 元, so a small sum never reads 0.00万元
    assert money("20833333333") == "2.08亿元" and money("208333333333") == "20.83亿元"
    assert money("not-a-number") == "not-a-number"
    assert evidence_value("overrun_percent", "23.45") == "23.45%"
    assert evidence_value("developed_area_m2", "12000") == "12,000㎡"
    assert evidence_value("threshold.overrun_strictly_greater", "False") == "否"


def test_rules_are_named_never_shown_by_id() -> None:
    assert rule_name("R2.budget_overrun") == "超概算"
    assert rule_name("X9") == "其他规则"


def test_digest_folds_events_one_line_each() -> None:
    events = [raised(), escalated(), resolved(project_name=None, project_code=None)]
    digest = render_digest(events, "张建国")
    assert digest.title == "【汇总】重点项目预警3条"
    lines = [line for line in digest.text_plain.splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(lines) == 3
    assert lines[0].startswith("1. 预警｜西湖区云栖小镇智能制造产业园（2403-330106-04-01-123456）｜第1级")
    assert "升级" in lines[1] and "已解除｜（未登记名称的项目）" in lines[2]
    assert digest.text_plain.startswith("张建国：共有3条")
