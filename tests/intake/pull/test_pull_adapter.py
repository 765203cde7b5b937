"""Pull adapters end to end: a real fake county API over HTTP, a real nats-server, SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
from pathlib import Path

from intake_support import NOW, fresh_county
from pull_support import TOKEN, FakeCounty, Intake, record, stored_ids
from sqlalchemy import select

from services.intake import quarantine
from services.intake.pull import PullScheduler, PullSource, load_sources
from services.intake.tables import pull_cursors
from shared.clock import FixedClock

EXAMPLE = Path(__file__).parents[3] / "config" / "pull" / "example.toml"


def source(county: FakeCounty, county_code: str, page_size: int = 2, interval: float = 0.05) -> PullSource:
    return PullSource(
        county_code=county_code, source="ledger-api", source_system="区重点项目办月度台账", url=county.url,
        items_path="data.records", next_cursor_path="data.next", cursor_param="since", page_size=page_size,
        interval_seconds=interval, max_backoff_seconds=0.2, auth_header="X-Api-Key", auth_env="PULL_TEST_KEY",
        auth_prefix="Key ",
    )


def scheduler(intake: Intake) -> PullScheduler:
    return PullScheduler([], intake.sessions, intake.publisher.publish, FixedClock(NOW))


async def row(intake: Intake, county_code: str) -> tuple[str | None, str | None] | None:
    async with intake.sessions() as session:
        found = (await session.execute(select(pull_cursors.c.cursor, pull_cursors.c.last_error)
                                       .where(pull_cursors.c.county_code == county_code))).one_or_none()
    return None if found is None else (found.cursor, found.last_error)


async def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_pages_are_pulled_in_order_published_and_the_cursor_persisted(intake: Intake, fake_county: FakeCounty, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PULL_TEST_KEY", TOKEN)
    county = fresh_county()
    fake_county.records = [record(county, n) for n in range(1, 6)]
    pull = scheduler(intake)
    assert await pull.poll(source(fake_county, county)) is True
    await pull.stop()
    # Pages of 2: cursor none, 2, 4 (the last page is short, so the poll stops without an empty request).
    assert fake_county.requests == [None, "2", "4"]
    assert await stored_ids(intake.nats_url, county) == [f"TZ-{n:04d}" for n in range(1, 6)]
    assert await row(intake, county) == ("5", None)


async def test_a_restarted_scheduler_resumes_from_the_stored_cursor(intake: Intake, fake_county: FakeCounty, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PULL_TEST_KEY", TOKEN)
    county = fresh_county()
    fake_county.records = [record(county, n) for n in range(1, 4)]
    first = PullScheduler([source(fake_county, county)], intake.sessions, intake.publisher.publish, FixedClock(NOW))
    await first.start()
    await eventually(lambda: _cursor_is(intake, county, "3"))
    await first.stop()
    fake_county.records += [record(county, n) for n in range(4, 6)]
    fake_county.requests.clear()
    second = PullScheduler([source(fake_county, county)], intake.sessions, intake.publisher.publish, FixedClock(NOW))
    await second.start()
    await eventually(lambda: _cursor_is(intake, county, "5"))
    await second.stop()
    assert fake_county.requests[0] == "3"  # not from the beginning
    assert await stored_ids(intake.nats_url, county) == [f"TZ-{n:04d}" for n in range(1, 6)]


async def _cursor_is(intake: Intake, county: str, cursor: str) -> bool:
    found = await row(intake, county)
    return found is not None and found[0] == cursor


async def test_a_failing_api_keeps_the_cursor_records_the_error_and_is_retried(intake: Intake, fake_county: FakeCounty, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PULL_TEST_KEY", TOKEN)
    county = fresh_county()
    fake_county.records = [record(county, n) for n in range(1, 4)]
    pull = scheduler(intake)
    assert await pull.poll(source(fake_county, county)) is True  # cursor 2, then 3
    fake_county.records += [record(county, 4)]
    fake_county.failures = 2
    assert await pull.poll(source(fake_county, county)) is False
    cursor, error = await row(intake, county) or (None, None)
    assert cursor == "3" and error is not None and "500" in error
    await pull.stop()
    retrying = PullScheduler([source(fake_county, county)], intake.sessions, intake.publisher.publish, FixedClock(NOW))
    await retrying.start()  # fails once more, then succeeds on a later interval
    await eventually(lambda: _cursor_is(intake, county, "4"))
    await retrying.stop()
    assert await row(intake, county) == ("4", None)
    assert fake_county.requests[2:5] == ["3", "3", "3"]
    assert await stored_ids(intake.nats_url, county) == [f"TZ-{n:04d}" for n in range(1, 5)]


async def test_jetstream_away_keeps_the_cursor_so_the_page_is_pulled_again(intake: Intake, fake_county: FakeCounty, nats_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PULL_TEST_KEY", TOKEN)
    county = fresh_county()
    fake_county.records = [record(county, 1)]
    nats_server.stop()

    async def noticed() -> bool:
        return not intake.link.ready

    await eventually(noticed)
    pull = scheduler(intake)
    assert await pull.poll(source(fake_county, county)) is False
    await pull.stop()
    cursor, error = await row(intake, county) or (None, None)
    assert cursor is None and error is not None and "PublishFailed" in error


async def test_duplicates_across_pages_reach_jetstream_once_and_typos_are_quarantined(intake: Intake, fake_county: FakeCounty, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PULL_TEST_KEY", TOKEN)
    county = fresh_county()
    bad = record(county, 9, ledger_month="2025-13")
    fake_county.records = [record(county, 1), record(county, 2), record(county, 2), record(county, 3), bad, record(county, 1)]
    pull = scheduler(intake)
    assert await pull.poll(source(fake_county, county)) is True
    assert await pull.poll(source(fake_county, county)) is True  # nothing new: the same cursor, no duplicate
    await pull.stop()
    assert await stored_ids(intake.nats_url, county) == ["TZ-0001", "TZ-0002", "TZ-0003"]
    rejected = await quarantine.newest(intake.sessions, county)
    assert [(item.item["source_record_id"], item.errors[0].field) for item in rejected] == [("TZ-0009", "ledger_month")]
    assert await row(intake, county) == ("6", None)


async def test_a_missing_secret_is_an_error_not_a_crash(intake: Intake, fake_county: FakeCounty, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PULL_TEST_KEY", raising=False)
    county = fresh_county()
    pull = scheduler(intake)
    assert await pull.poll(source(fake_county, county)) is False
    await pull.stop()
    assert "PULL_TEST_KEY" in ((await row(intake, county)) or ("", ""))[1]
    assert fake_county.requests == []


def test_the_example_configuration_parses_and_is_disabled(tmp_path: Path) -> None:
    assert load_sources(EXAMPLE) == []
    assert load_sources(EXAMPLE.parent) == []
    assert load_sources(None) == [] and load_sources(tmp_path / "absent") == []
    enabled = tmp_path / "on.toml"
    enabled.write_text(EXAMPLE.read_text("utf-8").replace("enabled = false", "enabled = true"), "utf-8")
    (loaded,) = load_sources(enabled)
    assert (loaded.county_code, loaded.cursor_param, loaded.items_path, loaded.page_size) == ("330106", "since", "data.records", 200)
