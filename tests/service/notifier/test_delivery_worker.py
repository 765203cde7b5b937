"""notifier's planning and delivery worker against a real database and real HTTP receivers on 127.0.0.1.

No NATS: escalation events go straight into `plan`, and the test drives `DeliveryWorker.deliver_due()`
with a clock of its own, so retries and backoff are checked to the second without waiting.
"""
from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from standardwebhooks import Webhook

from services.notifier import delivery as delivery_module
from services.notifier.adapters.channels import build_channels
from services.notifier.delivery import MAX_BACKOFF_SECONDS, DeliveryWorker, backoff
from services.notifier.domain import Routing
from services.notifier.routing_file import parse_routing
from services.notifier.service import Planned, plan
from services.notifier.tables import deliveries, delivery_events, outbox
from shared.contracts.escalation import EscalationRaised, Recipient
from shared.db import make_engine, migrate, session_factory
from shared.tls import client_tls

ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = ROOT / "services" / "notifier" / "migrations"
COUNTY = "330106"
SECRET = "whsec_" + base64.b64encode(b"tuijin-service-test-webhook-secret-32").decode()
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


# ---------------------------------------------------------------- a local receiver with scripted answers


@dataclass
class Receiver:
    base_url: str
    scripts: dict[str, list[int]] = field(default_factory=dict)  # hook name → statuses to answer, then 200
    hooks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    robots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic  # what the robot stamps each request with


def build_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/hook/{name}")
    async def hook(name: str, request: Request) -> Response:
        body = await request.body()
        payload = Webhook(SECRET).verify(body, dict(request.headers))  # raises (→ 500) on a bad signature
        script = receiver.scripts.get(name, [])
        status = script.pop(0) if script else 200
        receiver.hooks.setdefault(name, []).append({"payload": payload, "headers": dict(request.headers), "status": status})
        return JSONResponse({"ok": status == 200}, status_code=status)

    @app.post("/robot/send")
    async def robot(request: Request) -> Response:
        payload = await request.json()
        token = request.query_params["access_token"]
        receiver.robots.setdefault(token, []).append({"payload": payload, "at": receiver.clock()})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    return app


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    found = Receiver(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    server = uvicorn.Server(uvicorn.Config(build_app(found), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield found
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


# ---------------------------------------------------------------- the notifier's parts


class Clock:
    """The worker's `now`: moved by the test only."""

    def __init__(self, start: datetime = T0) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def advance(self, delta: timedelta) -> None:
        self.value += delta


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=client_tls()) as shared:
        yield shared


def routing(tmp_path: Path, land_bureau: dict[str, Any]) -> Routing:
    """西湖区 with the office writing to a file and the land bureau's one person on `land_bureau`."""
    return parse_routing({
        "county_code": COUNTY, "county_name": "杭州市西湖区", "project_office": "区重点项目办",
        "people": {
            "孙海燕": {"title": "区重点项目办 综合协调科科长", "channels": [{"channel": "file", "address": str(tmp_path / "office" / "孙海燕.jsonl")}]},
            "张建国": {"title": "自然资源局 土地利用管理科科长", "channels": [land_bureau]},
        },
        "departments": {
            "区重点项目办": {"people": ["孙海燕"], "aliases": ["县重点项目办"]},
            "自然资源局": {"people": ["张建国"]},
        },
    }, "test routing", env={})


def worker_for(sessions: async_sessionmaker, client: httpx.AsyncClient, routed: Routing, clock: Clock, tmp_path: Path,
               robot_per_minute: int = 20) -> DeliveryWorker:
    channels = build_channels("smtp://127.0.0.1:1", client, "推进 <tuijin@example.gov.cn>")
    return DeliveryWorker(sessions, channels, lambda county: routed, clock, CollectorRegistry(), tmp_path, robot_per_minute)


def event(n: int = 1, recipients: tuple[Recipient, ...] = (Recipient(kind="department", name="自然资源局"),)) -> EscalationRaised:
    project = uuid.uuid5(uuid.NAMESPACE_URL, f"project-{n}")
    return EscalationRaised(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"raised-{n}"), occurred_at=T0, county_code=COUNTY, correlation_id=f"{COUNTY}:{n}",
        escalation_id=uuid.uuid5(uuid.NAMESPACE_URL, f"escalation-{n}"), project_id=project, project_code="2403-330106-04-01-123456",
        project_name=f"城西智能制造产业园{n}期", subject="parcel:XH2025-017", rule_id="R1.idle_land", rule_version=1, level=3,
        level_name="闲置土地(征收闲置费)", as_of=date(2026, 3, 2),
        evidence={"idle_since": "2026-03-02", "land_price_fen": "8600000000"}, recipients=recipients,
        summary=f"城西智能制造产业园{n}期 地块XH2025-017：自约定动工开发日期2025-03-01起满12个月未动工开发，闲置土地(征收闲置费)",
    )


async def rows(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [dict(r) for r in (await session.execute(select(deliveries).order_by(deliveries.c.created_at, deliveries.c.delivery_key))).mappings()]


async def sent_events(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    async with sessions() as session:
        payloads = (await session.execute(select(outbox.c.payload).order_by(outbox.c.seq))).scalars().all()
    return [json.loads(bytes(p)) for p in payloads]


def utc(value: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes: compare them as aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hook(receiver: Receiver, statuses: list[int]) -> tuple[str, dict[str, Any]]:
    name = uuid.uuid4().hex
    receiver.scripts[name] = list(statuses)
    return name, {"channel": "webhook", "address": f"{receiver.base_url}/hook/{name}", "secret": SECRET}


# ---------------------------------------------------------------- retries and permanent failures


async def test_a_flaky_webhook_is_retried_with_growing_backoff_and_sent_exactly_once(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    name, endpoint = hook(receiver, [503, 503])
    routed, clock = routing(tmp_path, endpoint), Clock()
    assert await plan(sessions, [event()], lambda county: routed, clock()) == [Planned(deliveries=1, routing_gaps=0)]
    worker = worker_for(sessions, client, routed, clock, tmp_path)

    delays = []
    for attempt in (1, 2):
        assert await worker.deliver_due() is True
        [row] = await rows(sessions)
        assert (row["status"], row["attempts"]) == ("pending", attempt)
        assert "503" in row["last_error"]
        delays.append(utc(row["next_attempt_at"]) - clock())
        assert delays[-1] == backoff(attempt)
        # Not due yet: nothing is attempted a second early.
        clock.advance(delays[-1] - timedelta(seconds=1))
        assert await worker.deliver_due() is False
        assert len(receiver.hooks[name]) == attempt
        clock.advance(timedelta(seconds=1))
    assert delays[1] > delays[0]

    assert await worker.deliver_due() is True
    [row] = await rows(sessions)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)
    assert utc(row["sent_at"]) == clock()

    # Later rounds send nothing more; the receiver saw one delivery key on every try.
    clock.advance(timedelta(hours=1))
    assert await worker.deliver_due() is False
    seen = receiver.hooks[name]
    assert [s["status"] for s in seen] == [503, 503, 200]
    assert {s["headers"]["webhook-id"] for s in seen} == {row["delivery_key"]}
    assert seen[-1]["payload"]["delivery_key"] == row["delivery_key"]
    assert "城西智能制造产业园1期" in seen[-1]["payload"]["title"]
    [sent] = await sent_events(sessions)
    assert (sent["delivery_key"], sent["channel"], sent["person"]) == (row["delivery_key"], "webhook", "张建国")


async def test_backoff_doubles_up_to_its_cap_while_a_webhook_stays_down(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    _, endpoint = hook(receiver, [503] * 12)
    routed, clock = routing(tmp_path, endpoint), Clock()
    await plan(sessions, [event()], lambda county: routed, clock())
    worker = worker_for(sessions, client, routed, clock, tmp_path)
    delays = []
    for _ in range(10):
        assert await worker.deliver_due() is True
        [row] = await rows(sessions)
        delay = utc(row["next_attempt_at"]) - clock()
        delays.append(int(delay.total_seconds()))
        clock.advance(delay)
    assert delays == [2, 4, 8, 16, 32, 64, 128, 256, MAX_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS]
    assert row["status"] == "pending" and row["attempts"] == 10
    assert await sent_events(sessions) == []


async def test_a_400_fails_the_delivery_for_good(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    name, endpoint = hook(receiver, [400])
    routed, clock = routing(tmp_path, endpoint), Clock()
    await plan(sessions, [event()], lambda county: routed, clock())
    worker = worker_for(sessions, client, routed, clock, tmp_path)
    assert await worker.deliver_due() is True
    [row] = await rows(sessions)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "400" in row["last_error"]
    clock.advance(timedelta(days=1))
    assert await worker.deliver_due() is False
    assert len(receiver.hooks[name]) == 1
    assert await sent_events(sessions) == []


# ---------------------------------------------------------------- idempotency and routing gaps


async def test_a_redelivered_escalation_event_is_neither_planned_nor_sent_twice(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    name, endpoint = hook(receiver, [])
    routed, clock = routing(tmp_path, endpoint), Clock()
    routing_for = lambda county: routed  # noqa: E731
    worker = worker_for(sessions, client, routed, clock, tmp_path)
    # Twice in one batch (JetStream redelivered before the ack) and once more after the send.
    assert await plan(sessions, [event(), event()], routing_for, clock()) == [Planned(1, 0), Planned(0, 0)]
    assert await plan(sessions, [event()], routing_for, clock()) == [Planned(0, 0)]
    assert await worker.deliver_due() is True
    clock.advance(timedelta(minutes=5))
    assert await plan(sessions, [event()], routing_for, clock()) == [Planned(0, 0)]
    assert await worker.deliver_due() is False
    [row] = await rows(sessions)
    assert row["status"] == "sent"
    assert len(receiver.hooks[name]) == 1
    assert len(await sent_events(sessions)) == 1


async def test_an_events_body_is_stored_once_for_all_its_recipients_and_rows_planned_before_still_go_out(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    name, endpoint = hook(receiver, [])
    routed, clock = routing(tmp_path, endpoint), Clock()
    both = (Recipient(kind="department", name="自然资源局"), Recipient(kind="department", name="区重点项目办"))
    assert await plan(sessions, [event(1, both)], lambda county: routed, clock()) == [Planned(2, 0)]
    async with sessions() as session, session.begin():
        assert (await session.execute(select(func.count()).select_from(delivery_events))).scalar_one() == 1
        # A row planned before the bodies had a table of their own carries its event itself.
        by_hook = next(row for row in await rows(sessions) if row["channel"] == "webhook")
        legacy = {**by_hook, "delivery_key": "planned-before", "escalation_event_id": str(event(2).event_id),
                  "event": event(2).model_dump(mode="json")}
        await session.execute(deliveries.insert(), [legacy])
    assert [row["event"] for row in await rows(sessions)].count(None) == 2
    assert await worker_for(sessions, client, routed, clock, tmp_path).deliver_due() is True
    assert [row["status"] for row in await rows(sessions)] == ["sent"] * 3
    titles = sorted(hook["payload"]["title"] for hook in receiver.hooks[name])
    assert len(titles) == 2 and "城西智能制造产业园1期" in titles[0] and "城西智能制造产业园2期" in titles[1]
    office = (tmp_path / "office" / "孙海燕.jsonl").read_text(encoding="utf-8")
    assert "城西智能制造产业园1期" in office


async def test_an_unrouted_department_falls_back_to_the_project_office_and_counts_as_a_gap(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    name, endpoint = hook(receiver, [])
    routed, clock = routing(tmp_path, endpoint), Clock()
    recipients = (Recipient(kind="department", name="自然资源局"), Recipient(kind="department", name="审计局"))
    assert await plan(sessions, [event(recipients=recipients)], lambda county: routed, clock()) == [Planned(deliveries=2, routing_gaps=1)]
    by_person = {r["person"]: r for r in await rows(sessions)}
    assert set(by_person) == {"张建国", "孙海燕"}
    assert (by_person["张建国"]["fallback"], by_person["张建国"]["recipient"]["name"]) == (0, "自然资源局")
    assert (by_person["孙海燕"]["fallback"], by_person["孙海燕"]["recipient"]["name"]) == (1, "审计局")

    worker = worker_for(sessions, client, routed, clock, tmp_path)
    assert await worker.deliver_due() is True
    assert {r["status"] for r in await rows(sessions)} == {"sent"}
    [line] = [json.loads(x) for x in (tmp_path / "office" / "孙海燕.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["person"] == "孙海燕" and "城西智能制造产业园1期" in line["title"]
    assert "审计局" in line["text"]  # the office learns whose case it stands in for
    assert len(receiver.hooks[name]) == 1


# ---------------------------------------------------------------- rows planned for this replica, handed over in memory


@dataclass
class TwoReplicas:
    """Two notifier replicas on one delivery log, routing 自然资源局 to a webhook of their own."""

    hook: str
    routed: Routing
    clock: Clock
    mine: DeliveryWorker  # the replica that plans
    other: DeliveryWorker

    def routing_for(self, _county: str) -> Routing:
        return self.routed


def two_replicas(sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path) -> TwoReplicas:
    name, endpoint = hook(receiver, [])
    routed, clock = routing(tmp_path, endpoint), Clock()
    mine, other = (worker_for(sessions, client, routed, clock, tmp_path) for _ in range(2))
    return TwoReplicas(name, routed, clock, mine, other)


async def test_rows_planned_for_a_worker_are_its_alone_and_it_sends_them_once_without_claiming_them(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    r = two_replicas(sessions, client, receiver, tmp_path)
    assert await plan(sessions, [event()], r.routing_for, r.clock(), r.mine) == [Planned(1, 0)]
    [row] = await rows(sessions)
    assert row["claimed_by"] == r.mine.replica_id  # claimed as it was written: no other replica takes it meanwhile
    assert await r.other.deliver_due() is False
    assert await r.mine.deliver_due() is True  # from what it was handed: its own claim does not make the row due
    [row] = await rows(sessions)
    assert (row["status"], row["claimed_by"]) == ("sent", None)
    r.clock.advance(timedelta(hours=1))
    assert (await r.mine.deliver_due(), await r.other.deliver_due()) == (False, False)
    assert len(receiver.hooks[r.hook]) == 1
    assert [sent["delivery_key"] for sent in await sent_events(sessions)] == [row["delivery_key"]]


async def test_a_handed_row_whose_claim_lapsed_is_sent_by_whoever_claims_it_and_not_again_from_the_hand(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    r = two_replicas(sessions, client, receiver, tmp_path)
    await plan(sessions, [event()], r.routing_for, r.clock(), r.mine)
    r.clock.advance(timedelta(seconds=delivery_module.CLAIM_SECONDS + 1))  # the replica stalled past its claim
    assert await r.other.deliver_due() is True
    assert await r.mine.deliver_due() is False
    assert len(receiver.hooks[r.hook]) == 1
    assert len(await sent_events(sessions)) == 1


async def test_a_round_sent_while_the_database_went_away_is_recorded_when_it_is_back_and_not_sent_again(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    """The delivery log is gone for a second right after the send (its table renamed: every statement on it fails, on
    either database). Recording fails, then succeeds once it is back, while the round's claims still hold: the
    message went out once, and it is recorded once, with its NotificationSent. Before, the round stayed claimed and
    unrecorded, and two minutes later every message of it went out again."""
    r = two_replicas(sessions, client, receiver, tmp_path)
    outage: list[asyncio.Task[None]] = []

    async def rename(old: str, new: str) -> None:
        async with sessions() as session, session.begin():
            await session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    async def back_in_a_second() -> None:
        await asyncio.sleep(1.0)
        await rename("deliveries_away", "deliveries")

    class SentThenDatabaseAway:
        name = "webhook"

        def __init__(self, channel: Any) -> None:
            self.channel = channel

        async def send(self, *args: Any, **kwargs: Any) -> None:
            await self.channel.send(*args, **kwargs)
            await rename("deliveries", "deliveries_away")
            outage.append(asyncio.create_task(back_in_a_second()))

    r.mine._channels["webhook"] = SentThenDatabaseAway(r.mine._channels["webhook"])
    await plan(sessions, [event()], r.routing_for, r.clock(), r.mine)
    assert await r.mine.deliver_due() is True
    await outage[0]
    assert len(receiver.hooks[r.hook]) == 1
    [row] = await rows(sessions)
    assert (row["status"], row["attempts"], row["claimed_by"]) == ("sent", 1, None)
    assert len(await sent_events(sessions)) == 1
    r.clock.advance(timedelta(seconds=delivery_module.CLAIM_SECONDS + 1))
    assert (await r.mine.deliver_due(), await r.other.deliver_due()) == (False, False)
    assert len(receiver.hooks[r.hook]) == 1


async def test_a_handed_row_claimed_again_by_its_own_worker_is_sent_and_recorded_once(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    """Its claim ended in the log while the row waited in hand (cleared by hand, as the chaos suite does for a dead
    replica's rows): the worker's claim finds it due again, and one round holds it twice. Sent twice, the round's
    record failed on the second NotificationSent, leaving the whole round claimed, to be sent again two minutes later."""
    r = two_replicas(sessions, client, receiver, tmp_path)
    await plan(sessions, [event()], r.routing_for, r.clock(), r.mine)
    async with sessions() as session, session.begin():
        await session.execute(update(deliveries).values(claimed_until=r.clock() - timedelta(seconds=1)))
    assert await r.mine.deliver_due() is True
    assert len(receiver.hooks[r.hook]) == 1
    [row] = await rows(sessions)
    assert (row["status"], row["attempts"], row["claimed_by"]) == ("sent", 1, None)
    assert len(await sent_events(sessions)) == 1


async def test_a_stopping_worker_releases_what_it_was_handed_so_another_replica_sends_it_at_once(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    r = two_replicas(sessions, client, receiver, tmp_path)
    await plan(sessions, [event()], r.routing_for, r.clock(), r.mine)
    await r.mine.stop()
    assert await r.other.deliver_due() is True  # at the same instant: not two minutes later, when the claim ends
    assert len(receiver.hooks[r.hook]) == 1
    assert [r["status"] for r in await rows(sessions)] == ["sent"]


async def test_a_worker_with_a_round_in_hand_plans_further_rows_unclaimed_for_any_replica(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    r = two_replicas(sessions, client, receiver, tmp_path)
    await plan(sessions, [event(n) for n in range(delivery_module.ROUND_LIMIT)], r.routing_for, r.clock(), r.mine)
    await plan(sessions, [event(delivery_module.ROUND_LIMIT + 1)], r.routing_for, r.clock(), r.mine)
    unclaimed = [r["delivery_key"] for r in await rows(sessions) if r["claimed_by"] is None]
    assert len(unclaimed) == 1  # what it holds stays bounded: the rest waits in the log, due for anyone
    assert await r.other.deliver_due() is True
    assert [r["delivery_key"] for r in await rows(sessions) if r["status"] == "sent"] == unclaimed


async def test_a_burst_larger_than_a_round_is_claimed_only_a_round_deep_and_other_replicas_share_the_rest(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path,
) -> None:
    r = two_replicas(sessions, client, receiver, tmp_path)
    burst = delivery_module.ROUND_LIMIT + 5
    await plan(sessions, [event(n) for n in range(burst)], r.routing_for, r.clock(), r.mine)
    claimed = [r["claimed_by"] for r in await rows(sessions)]
    assert claimed.count(r.mine.replica_id) == delivery_module.ROUND_LIMIT and claimed.count(None) == 5
    assert await r.other.deliver_due() is True  # at once, not when the planning replica's claims end
    assert await r.mine.deliver_due() is True
    assert [r["status"] for r in await rows(sessions)] == ["sent"] * burst
    assert len(await sent_events(sessions)) == burst


# ---------------------------------------------------------------- DingTalk robot rate limit and digest


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def bucket_time(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Iterator[FakeMonotonic]:
    """Every worker the test builds gets this rate-limit clock (DeliveryWorker's `robot_clock` parameter);
    asyncio and httpx keep the real one."""
    from functools import partialmethod

    fake = FakeMonotonic()
    monkeypatch.setattr(delivery_module.DeliveryWorker, "__init__", partialmethod(delivery_module.DeliveryWorker.__init__, robot_clock=fake))
    receiver.clock = fake
    yield fake
    receiver.clock = time.monotonic


def robot_routing(tmp_path: Path, receiver: Receiver, token: str) -> Routing:
    return routing(tmp_path, {"channel": "dingtalk", "address": f"{receiver.base_url}/robot/send?access_token={token}"})


async def test_a_burst_for_one_dingtalk_robot_stays_within_20_a_minute_and_the_rest_goes_out_as_one_digest(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path, bucket_time: FakeMonotonic,
) -> None:
    token = uuid.uuid4().hex
    routed, clock = robot_routing(tmp_path, receiver, token), Clock()
    worker = worker_for(sessions, client, routed, clock, tmp_path)
    # 30 escalations within a second, each delivered as soon as it is planned.
    for n in range(1, 31):
        await plan(sessions, [event(n)], lambda county: routed, clock())
        await worker.deliver_due()
    first_minute = receiver.robots[token]
    assert 1 <= len(first_minute) <= 20
    singles = len(first_minute)
    assert all(not r["payload"]["markdown"]["title"].startswith("【汇总】") for r in first_minute)
    waiting = [r for r in await rows(sessions) if r["status"] == "pending"]
    assert len(waiting) == 30 - singles
    assert {r["attempts"] for r in waiting} == {0}  # held back by the limit, not failed

    # A minute later the robot has room again: everything left goes out in one digest.
    bucket_time.value += 60
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() is True
    assert len(receiver.robots[token]) == singles + 1
    digest = receiver.robots[token][-1]["payload"]["markdown"]
    assert digest["title"] == f"【汇总】重点项目预警{30 - singles}条"
    assert all(f"城西智能制造产业园{n}期" in digest["text"] for n in range(singles + 1, 31))
    after = await rows(sessions)
    assert {r["status"] for r in after} == {"sent"}
    digested = [r for r in after if r["digest_id"]]
    assert len(digested) == 30 - singles and len({r["digest_id"] for r in digested}) == 1
    sent = await sent_events(sessions)
    assert len(sent) == 30 and len({s["delivery_key"] for s in sent}) == 30
    assert sorted(s["digest_size"] for s in sent) == [1] * singles + [30 - singles] * (30 - singles)


async def test_a_steady_stream_to_one_robot_never_exceeds_20_requests_in_any_minute(
    sessions: async_sessionmaker, client: httpx.AsyncClient, receiver: Receiver, tmp_path: Path, bucket_time: FakeMonotonic,
) -> None:
    token = uuid.uuid4().hex
    routed, clock = robot_routing(tmp_path, receiver, token), Clock()
    worker = worker_for(sessions, client, routed, clock, tmp_path)
    # One escalation every 2 seconds for 3 minutes (30 a minute, over the robot's 20), then quiet.
    for n in range(1, 91):
        await plan(sessions, [event(n)], lambda county: routed, clock())
        await worker.deliver_due()
        bucket_time.value += 2
        clock.advance(timedelta(seconds=2))
    for _ in range(20):
        await worker.deliver_due()
        bucket_time.value += 6
        clock.advance(timedelta(seconds=6))
    stamps = [r["at"] for r in receiver.robots[token]]
    busiest = max(sum(1 for t in stamps if start <= t < start + 60) for start in stamps)
    assert busiest <= 20
    assert len(stamps) < 90  # the limit did bind: part of the stream was folded into digests
    assert {r["status"] for r in await rows(sessions)} == {"sent"}
    assert len(await sent_events(sessions)) == 90
