"""From tracker's snapshot (the contract) to the facts the rules read (plain dataclasses)."""
from __future__ import annotations

from dataclasses import replace

from services.escalation.domain.facts import (
    ApprovalFact,
    CentralFundBatch,
    Delay,
    LedgerEntry,
    MilestoneFact,
    Parcel,
    ProjectFacts,
    SmePaymentFact,
)
from shared.clock import beijing_date
from shared.contracts import LandParcel, ProjectSnapshot


def _parcel(parcel: LandParcel) -> Parcel:
    return Parcel(
        parcel_id=parcel.parcel_id,
        agreed_start_date=parcel.agreed_start_date,
        handover_date=parcel.handover_date,
        land_price_fen=parcel.land_price_fen,
        required_area_m2=parcel.required_area_m2,
        developed_area_m2=parcel.developed_area_m2,
        investment_excl_land_fen=parcel.investment_excl_land_fen,
        actual_start_date=parcel.actual_start_date,
        last_progress_date=parcel.last_progress_date,
        delays=tuple(Delay(d.start, d.end, d.cause.value, d.blocking_department) for d in parcel.government_delays or ()),
    )


def _ledger(snapshot: ProjectSnapshot) -> tuple[LedgerEntry, ...]:
    """Monthly entries by month; the flat "this month" figures fill that month's entry where it says nothing (tracker
    files them under their month itself now, and clears one its month's record left out; this is for older snapshots)."""
    months = {e.month: LedgerEntry(month=e.month, plan_fen=e.plan_fen, investment_fen=e.investment_fen, ytd_fen=e.ytd_fen,
                                   next_month_plan=e.next_month_plan, next_month_plan_fen=e.next_month_plan_fen)
              for e in snapshot.ledger or ()}
    if snapshot.ledger_month:
        known = months.get(snapshot.ledger_month, LedgerEntry(month=snapshot.ledger_month))
        months[snapshot.ledger_month] = replace(
            known,
            investment_fen=known.investment_fen if known.investment_fen is not None else snapshot.investment_month_fen,
            ytd_fen=known.ytd_fen if known.ytd_fen is not None else snapshot.investment_ytd_fen,
        )
    return tuple(months[m] for m in sorted(months))


def facts_of(snapshot: ProjectSnapshot, county_code: str) -> ProjectFacts:
    approval = snapshot.overrun_approval
    project_approval = snapshot.approval
    return ProjectFacts(
        project_id=str(snapshot.project_id),
        name=snapshot.name,
        project_code=snapshot.project_code,
        county_code=county_code,
        government_funded=snapshot.government_funded,
        leader=snapshot.leader,
        lead_department=snapshot.lead_department,
        responsible_unit=snapshot.responsible_unit,
        total_investment_fen=snapshot.total_investment_fen,
        budget_fen=snapshot.budget_fen,
        budget_adjustment_fen=snapshot.budget_adjustment_fen,
        committed_cost_fen=snapshot.committed_cost_fen,
        spent_cost_fen=snapshot.spent_cost_fen,
        overrun_approved=bool(approval and approval.approved),
        parcels=tuple(_parcel(p) for p in snapshot.land_parcels),
        stage=snapshot.stage.value if snapshot.stage else None,
        nature=snapshot.nature.value if snapshot.nature else None,
        township=snapshot.township,
        annual_plan_fen=snapshot.annual_plan_fen,
        annual_plans=tuple(sorted((plan.year, plan.plan_fen) for plan in snapshot.annual_plans)),
        ledger=_ledger(snapshot),
        milestones=tuple(MilestoneFact(name=m.name, planned=m.planned, actual=m.actual, baseline=m.baseline,
                                       blocking_department=m.blocking_department) for m in snapshot.milestones or ()),
        central_funds=tuple(CentralFundBatch(batch_id=f.batch_id, issued_on=f.issued_on, amount_fen=f.amount_fen, paid_fen=f.paid_fen)
                            for f in snapshot.central_funds or ()),
        sme_payments=tuple(SmePaymentFact(payment_id=p.payment_id, accepted_on=p.accepted_on, amount_fen=p.amount_fen,
                                          supplier=p.supplier, agreed_days=p.agreed_days, paid_on=p.paid_on)
                           for p in snapshot.sme_payments or ()),
        approval=ApprovalFact(kind=project_approval.kind.value, approved_on=project_approval.approved_on,
                              extended_until=project_approval.extended_until) if project_approval else None,
        stats_start_date=snapshot.stats_start_date,
        stats_enrolled_on=snapshot.stats_enrolled_on,
        self_reported_colour=snapshot.self_reported_colour.value if snapshot.self_reported_colour else None,
        last_reported_on=beijing_date(snapshot.last_source_record_time) if snapshot.last_source_record_time else None,
    )
