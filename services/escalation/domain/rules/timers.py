"""R7 timers: an enterprise approval (核准) lapsing unstarted, SME payments overdue, statistics enrolment (入统) late."""
from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from services.escalation.domain import catalog
from services.escalation.domain.facts import ApprovalFact, ProjectFacts, SmePaymentFact
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.periods import has_elapsed, period_end
from services.escalation.domain.policy import SME_MAX_DAYS_BY_LAW, Policy
from services.escalation.domain.starts import approval_start_date, approval_started
from services.escalation.domain.workdays import add_days
from shared.wording import money

APPROVAL_RULE = "R7.approval_lapse"
SME_RULE = "R7.sme_payment"
STATS_RULE = "R7.stats_enrolment"
_DAY = timedelta(days=1)


def _fallback(policy: Policy) -> Audience:
    return Audience("office", policy.project_office, "action")


def _approval_end(approval: ApprovalFact, policy: Policy) -> tuple[date, dict[str, str]]:
    """The last day of the approval's validity: the extension counts only when it is at most the legal year."""
    original = period_end(approval.approved_on, policy.approval_lapse_months)
    evidence = {"approved_on": approval.approved_on.isoformat(), "original_period_end": original.isoformat()}
    extended = approval.extended_until
    if extended is None or extended <= original:
        return original, evidence
    limit = period_end(original, policy.approval_extension_max_months)
    evidence |= {"extended_until": extended.isoformat(), "extension_limit": limit.isoformat()}
    if extended > limit:
        evidence["extension_rejected"] = f"延期超过{policy.approval_extension_max_months}个月，不予采信"
        return original, evidence
    return extended, evidence


def evaluate_approval(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """核准 lapses if construction has not started within 2 years (one extension of at most 1 year); warn N months before."""
    approval = facts.approval
    if approval is None or approval.kind != "approved" or approval_started(facts, as_of):
        return []
    end, evidence = _approval_end(approval, policy)
    warn_after = end - relativedelta(months=policy.approval_warning_months)
    evidence |= {"period_end": end.isoformat(), "lapses_on": (end + _DAY).isoformat(), "warning_from": (warn_after + _DAY).isoformat()}
    if as_of > end:
        level, colour, name = 2, "red", "核准文件已过期失效"
        what = f"核准文件于{end.isoformat()}期满仍未开工，已自动失效"
        members = [("department", policy.development_reform, "action"), ("department", facts.responsible_unit, "informed"),
                   ("department", facts.lead_department, "informed")]
    elif as_of > warn_after:
        level, colour, name = 1, "yellow", "核准文件临近失效"
        what = f"核准文件将于{end.isoformat()}期满，尚未开工，请开工或依法申请延期"
        members = [("department", facts.responsible_unit, "action"), ("department", policy.development_reform, "informed"),
                   ("department", facts.lead_department, "informed")]
    else:
        return []
    return [catalog.finding(APPROVAL_RULE, policy, subject="approval", occurrence=approval.approved_on.isoformat(), level=level,
                            level_name=name, colour=colour, audience=audience(members, _fallback(policy)), evidence=evidence,
                            summary=f"{facts.display_name}：{what}，{name}")]


def _sme(facts: ProjectFacts, payment: SmePaymentFact, policy: Policy, as_of: date) -> Finding | None:
    if payment.paid_on is not None and payment.paid_on <= as_of:
        return None
    days = min(payment.agreed_days or policy.sme_payment_days, SME_MAX_DAYS_BY_LAW)
    due = add_days(payment.accepted_on, days)  # 民法典 Art. 203: a last day on a holiday moves to the next working day
    if as_of <= due.due:
        return None
    red_after = due.due + timedelta(days=policy.sme_red_after_days)
    evidence = {"payment_id": payment.payment_id, "supplier": payment.supplier or "", "amount_fen": str(payment.amount_fen),
                "accepted_on": payment.accepted_on.isoformat(), "payment_days": str(days), "due": due.due.isoformat(),
                "due_provisional": str(due.provisional).lower(), "days_overdue": str((as_of - due.due).days),
                "red_from": (red_after + _DAY).isoformat()}
    members = [("department", facts.responsible_unit, "action"), ("department", policy.sme_authority, "informed")]
    if as_of > red_after:
        level, colour, name = 2, "red", "拖欠中小企业款项(严重逾期)"
        members += [("department", policy.finance_bureau, "informed"), ("leader", facts.leader, "informed")]
    else:
        level, colour, name = 1, "yellow", "拖欠中小企业款项"
    supplier = f"应付{payment.supplier}" if payment.supplier else "应付中小企业"
    summary = (f"{facts.display_name}：{supplier}款项{money(payment.amount_fen)}，{payment.accepted_on.isoformat()}验收，"
               f"应于{due.due.isoformat()}前支付，已逾期{(as_of - due.due).days}天，{name}")
    return catalog.finding(SME_RULE, policy, subject=f"sme_payment:{payment.payment_id}", occurrence=payment.accepted_on.isoformat(),
                           level=level, level_name=name, colour=colour, audience=audience(members, _fallback(policy)),
                           evidence=evidence, summary=summary)


def evaluate_sme_payments(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Payments due within the agreed days (30 by default, at most 60) of acceptance, unpaid after: yellow, then red."""
    found = (_sme(facts, payment, policy, as_of) for payment in facts.sme_payments)
    return [f for f in found if f is not None]


def _physical_start(facts: ProjectFacts, as_of: date) -> tuple[date, str] | None:
    started = approval_start_date(facts, as_of)
    if started is not None:
        return started, "milestone"
    land = [p.actual_start_date for p in facts.parcels if p.actual_start_date is not None and p.actual_start_date <= as_of]
    return (min(land), "land") if land else None


def evaluate_stats_enrolment(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Started and not enrolled in the statistics (入统): yellow after 1 month, red after 2 (银川)."""
    if facts.stats_enrolled_on is not None and facts.stats_enrolled_on <= as_of:
        return []
    if facts.total_investment_fen is not None and facts.total_investment_fen < policy.stats_min_total_investment_fen:
        return []  # below the statistics' size threshold: never enrolled, nothing owed
    start = _physical_start(facts, as_of)
    if start is None:
        return []
    started, kind = start
    red, yellow = policy.stats_enrolment_red_months, policy.stats_enrolment_yellow_months
    if has_elapsed(started, red, (), as_of):
        level, colour, months = 2, "red", red
        members = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "action"),
                   ("department", policy.statistics_bureau, "informed"), ("leader", facts.leader, "informed")]
    elif has_elapsed(started, yellow, (), as_of):
        level, colour, months = 1, "yellow", yellow
        members = [("department", facts.responsible_unit, "action"), ("department", policy.statistics_bureau, "informed")]
    else:
        return []
    name = f"开工满{months}个月未入统"
    evidence = {"start_date": started.isoformat(), "start_kind": kind, "period_end": period_end(started, months).isoformat()}
    return [catalog.finding(STATS_RULE, policy, subject="stats_enrolment", occurrence=started.isoformat(), level=level,
                            level_name=name, colour=colour, audience=audience(members, _fallback(policy)), evidence=evidence,
                            summary=f"{facts.display_name}：{started.isoformat()}开工，至今未纳入固定资产投资统计，{name}")]
