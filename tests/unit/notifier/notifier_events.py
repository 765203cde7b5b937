"""Escalation events for the notifier unit tests (a plain module: conftest is not importable by name)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from shared.contracts.escalation import EscalationEscalated, EscalationRaised, EscalationResolved, Recipient


def raised(**overrides: Any) -> EscalationRaised:
    fields: dict[str, Any] = dict(
        event_id=UUID("11111111-1111-4111-8111-111111111111"),
        occurred_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        county_code="330106",
        correlation_id="330106:P-01",
        escalation_id=UUID("22222222-2222-4222-8222-222222222222"),
        project_id=UUID("33333333-3333-4333-8333-333333333333"),
        project_code="2403-330106-04-01-123456",
        project_name="西湖区云栖小镇智能制造产业园",
        subject="parcel:P-01",
        rule_id="R1.idle_land",
        rule_version=2,
        level=1,
        level_name="闲置土地（满一年）",
        as_of=date(2026, 3, 2),
        evidence={
            "parcel_id": "P-01",
            "agreed_start_date": "2025-03-01",
            "days_idle": "1",
            "land_price_fen": "5000000000",
            "idle_fee_fen": "1000000000",
            "custom_note": "现场无施工",
        },
        recipients=(Recipient(kind="department", name="自然资源局"),),
        summary="地块P-01约定动工满一年仍未动工开发，构成闲置土地",
    )
    fields.update(overrides)
    return EscalationRaised(**fields)


def escalated(**overrides: Any) -> EscalationEscalated:
    return EscalationEscalated(**{**raised().model_dump(exclude={"kind"}), "level": 2, "level_name": "闲置满两年", "previous_level": 1, **overrides})


def resolved(**overrides: Any) -> EscalationResolved:
    return EscalationResolved(**{**raised().model_dump(exclude={"kind"}), **overrides})
