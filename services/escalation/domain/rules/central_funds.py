"""R3 central-budget funds (中央预算内) issued in year Y must start in year Y, and be paid out in step with time."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.escalation.domain import catalog
from services.escalation.domain.facts import CentralFundBatch, ProjectFacts
from services.escalation.domain.figures import points
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.periods import has_elapsed, period_end
from services.escalation.domain.policy import Policy
from services.escalation.domain.starts import approval_started, stats_started

RULE_ID = "R3.central_funds"


def started(facts: ProjectFacts, as_of: date) -> bool:
    """For this rule the statistics or approval start counts: stage/milestone 开工, or the 统计新开工 date."""
    return approval_started(facts, as_of) or stats_started(facts, as_of)


def _members(facts: ProjectFacts, policy: Policy, red: bool) -> tuple[Audience, ...]:
    return audience([
        ("department", policy.development_reform, "action"), ("department", policy.finance_bureau, "action"),
        ("department", facts.lead_department, "informed"), ("department", facts.responsible_unit, "informed"),
        ("leader", facts.leader if red else None, "informed"),
    ], Audience("office", policy.project_office, "action"))


def _start(facts: ProjectFacts, batch: CentralFundBatch, policy: Policy, as_of: date) -> Finding | None:
    if started(facts, as_of) or as_of <= batch.issued_on:
        return None
    year = batch.issued_on.year
    yellow_from = period_end(batch.issued_on, policy.central_start_yellow_months)
    evidence = {"batch_id": batch.batch_id, "issued_on": batch.issued_on.isoformat(), "amount_fen": str(batch.amount_fen),
                "yellow_period_end": yellow_from.isoformat(), "start_deadline": date(year, 12, 31).isoformat()}
    if as_of.year > year:
        level, colour, name = 2, "red", "当年未开工(资金调整收回风险)"
        what = f"{year}年下达的中央预算内资金至{year}年底仍未开工，存在调整收回风险"
    elif has_elapsed(batch.issued_on, policy.central_start_yellow_months, (), as_of):
        level, colour, name = 1, "yellow", f"下达满{policy.central_start_yellow_months}个月未开工"
        what = f"中央预算内资金{batch.issued_on.isoformat()}下达，满{policy.central_start_yellow_months}个月仍未开工"
    else:
        return None
    return catalog.finding(RULE_ID, policy, subject=f"central_fund:{batch.batch_id}", occurrence=batch.issued_on.isoformat(),
                           level=level, level_name=name, colour=colour, audience=_members(facts, policy, colour == "red"),
                           evidence=evidence, summary=f"{facts.display_name}：{what}（批次{batch.batch_id}），{name}")


def _payment(facts: ProjectFacts, batch: CentralFundBatch, policy: Policy, as_of: date) -> Finding | None:
    """Paid share against the time-proportional share of the payment window (days elapsed / days in it)."""
    if batch.paid_fen is None or batch.amount_fen <= 0 or as_of <= batch.issued_on:
        return None
    window_end = period_end(batch.issued_on, policy.central_pay_window_months)
    expected = min(Fraction(1), Fraction((as_of - batch.issued_on).days, (window_end - batch.issued_on).days))
    paid = Fraction(batch.paid_fen, batch.amount_fen)
    behind = expected - paid
    # Strictly more than the threshold, compared exactly (points = hundredths of the ratio).
    if behind * 100 <= Fraction(policy.central_pay_red_points):
        return None
    evidence = {"batch_id": batch.batch_id, "issued_on": batch.issued_on.isoformat(), "amount_fen": str(batch.amount_fen),
                "paid_fen": str(batch.paid_fen), "pay_window_end": window_end.isoformat(),
                "expected_percent": points(expected), "paid_percent": points(paid), "behind_points": points(behind)}
    name = "资金支付严重滞后序时进度"
    summary = (f"{facts.display_name}：中央预算内资金（批次{batch.batch_id}）支付{points(paid)}%，"
               f"序时应达{points(expected)}%，落后{points(behind)}个百分点，{name}")
    return catalog.finding(RULE_ID, policy, subject=f"central_fund_payment:{batch.batch_id}", occurrence=batch.issued_on.isoformat(),
                           level=1, level_name=name, colour="red", audience=_members(facts, policy, True), evidence=evidence,
                           summary=summary)


def evaluate(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Per batch: not started (yellow after N months, red from 1 January of the next year); payment far behind (red)."""
    found = []
    for batch in facts.central_funds:
        found += [f for f in (_start(facts, batch, policy, as_of), _payment(facts, batch, policy, as_of)) if f is not None]
    return found
