"""From tracker's snapshot (the contract) to the facts the rules read (plain dataclasses)."""
from __future__ import annotations

from services.escalation.domain.facts import Delay, Parcel, ProjectFacts
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


def facts_of(snapshot: ProjectSnapshot, county_code: str) -> ProjectFacts:
    approval = snapshot.overrun_approval
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
    )
