"""Pure rules: deterministic event ids, field names of errors, triage of a batch."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import UUID, uuid5

import pytest

from services.intake.domain import Accepted, FieldError, Rejected, event_id_for, triage
from shared.contracts import ProjectUpdate

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def item(**fields: object) -> dict[str, object]:
    return {"local_id": "L-1", "source_system": "ledger", "source_record_id": "r-1",
            "source_record_time": "2026-03-01T09:00:00+08:00", **fields}


def test_the_same_record_always_gets_the_same_id_and_any_other_record_another() -> None:
    base = ProjectUpdate.model_validate(item(stage="signed", name="城西科创园（三期）"))
    same_instant_in_utc = ProjectUpdate.model_validate(item(source_record_time="2026-03-01T01:00:00Z", name="城西科创园（三期）", stage="signed"))
    assert event_id_for("330106", base) == event_id_for("330106", same_instant_in_utc)
    others = [
        ("330107", base),
        ("330106", ProjectUpdate.model_validate(item(source_system="other", stage="signed", name="城西科创园（三期）"))),
        ("330106", ProjectUpdate.model_validate(item(source_record_id="r-2", stage="signed", name="城西科创园（三期）"))),
        ("330106", ProjectUpdate.model_validate(item(source_record_time="2026-03-01T09:00:01+08:00", stage="signed", name="城西科创园（三期）"))),
        # A correction: the same record (system, id, time) saying something else.
        ("330106", ProjectUpdate.model_validate(item(stage="started", name="城西科创园（三期）"))),
        ("330106", ProjectUpdate.model_validate(item(stage="signed", name="城西科创园(三期)"))),
    ]
    ids = {event_id_for(county, update) for county, update in others}
    assert len(ids) == 6 and event_id_for("330106", base) not in ids


def test_a_known_record_keeps_its_id_across_releases() -> None:
    # Pinned: a changed namespace, key format or digest would re-publish every record as new.
    digest = hashlib.sha256(b'{"local_id":"L-1"}').hexdigest()  # what the record says, as compact sorted JSON
    expected = uuid5(UUID("6f1d3c2a-8e4b-5a7c-9d10-2b3c4d5e6f70"), f"330106|ledger|r-1|2026-03-01T01:00:00+00:00|{digest}")
    assert event_id_for("330106", ProjectUpdate.model_validate(item())) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (item(land_parcel={"parcel_id": "P-1", "agreed_start_date": "not a date"}), "land_parcel.agreed_start_date"),
        (item(milestones=[{"name": "开工", "planned": "2026-13-01"}]), "milestones.0.planned"),
        (item(total_investment_fen=-1), "total_investment_fen"),
        (item(colour="red"), "colour"),
        (item(source_record_time="2026-03-01T09:00:00"), "source_record_time"),
        ({"source_system": "ledger", "source_record_id": "r-1", "source_record_time": "2026-03-01T09:00:00Z"}, "item"),
        ("not an object", "item"),
    ],
)
def test_each_error_names_the_field_it_is_about(raw: object, expected: str) -> None:
    result = triage("330106", [raw], NOW)
    assert result.events == ()
    [(index, kept, rejected)] = result.rejected
    assert (index, kept) == (0, raw)
    assert [error.field for error in rejected.errors] == [expected]
    assert all(error.message for error in rejected.errors)


def test_triage_publishes_the_valid_items_and_reports_every_item_in_order() -> None:
    split = triage("330106", [item(source_record_id="a"), item(stage="flying"), item(source_record_id="b")], NOW)
    assert [index for index, _ in split.events] == [0, 2]
    event = split.events[0][1]
    assert (event.county_code, event.occurred_at, event.correlation_id) == ("330106", NOW, str(event.event_id))
    assert event.update.source_record_id == "a"
    results = split.results()
    assert [type(result) for result in results] == [Accepted, Rejected, Accepted]
    assert results[1] == Rejected(1, (FieldError("stage", results[1].errors[0].message),))


def test_rejections_name_the_field_in_chinese_and_say_what_is_expected_without_a_regex() -> None:
    bad = item(project_code="2403-33", total_investment_fen=-1, nmae="园区",
               land_parcel={"parcel_id": "P-1", "agreed_start_date": "2026-13-01"}, milestones=[{"name": "开工", "planned": "明年"}])
    (_, _, rejected), = triage("330106", [bad], NOW).rejected
    messages = {error.field: error.message for error in rejected.errors}
    assert messages["project_code"].startswith("项目代码：应为24位项目代码，格式 YYMM-RRRRRR-DD-TT-NNNNNN")
    assert messages["total_investment_fen"] == "总投资：不能小于 0 / total_investment_fen: must be at least 0"
    assert messages["land_parcel.agreed_start_date"].startswith("地块·约定动工日期：应为日期，格式 YYYY-MM-DD / ")
    assert messages["milestones.0.planned"].startswith("节点·第1项·计划日期：应为日期")
    assert messages["nmae"].startswith("nmae：不是可上报的字段")
    assert not any("^" in message or "\\d" in message for message in messages.values())
