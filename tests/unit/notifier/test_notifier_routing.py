"""Routing files, delivery planning (fallback, gaps, dedupe) and delivery keys."""
from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from services.notifier.domain import DeliveryPlan, Endpoint, Person, Routing, delivery_key, plan_deliveries
from services.notifier.routing_file import RoutingError, load_routing, parse_routing
from shared.contracts.escalation import Recipient, RecipientKind

DEPT = RecipientKind.department


def _people(plan: DeliveryPlan) -> list[str]:
    return [d.person.name for d in plan.deliveries]


def test_demo_files_load(xihu: Routing, yiwu: Routing) -> None:
    assert xihu.project_office == "区重点项目办"
    assert yiwu.county_code == "330782"
    everyone = [p for people in (*xihu.departments.values(), *yiwu.departments.values()) for p in people]
    assert everyone and all(e.channel == "file" for p in everyone for e in p.channels)


def test_department_alias_and_leader(xihu: Routing) -> None:
    plan = plan_deliveries(
        (Recipient(kind=DEPT, name="县纪委监委"), Recipient(kind=RecipientKind.leader, name="周晓燕", role="informed")),
        xihu,
    )
    assert _people(plan) == ["赵磊", "刘洋"]
    assert plan.routing_gaps == ()


def test_unrouted_recipient_falls_back_to_office_and_is_a_gap(xihu: Routing) -> None:
    unknown_leader = Recipient(kind=RecipientKind.leader, name="无此人")
    empty_department = Recipient(kind=DEPT, name="交通运输局")
    plan = plan_deliveries((unknown_leader, Recipient(kind=DEPT, name="财政局"), empty_department), xihu)
    assert _people(plan) == ["孙海燕", "钱卫东", "郑晓峰"]
    assert plan.routing_gaps == (unknown_leader, empty_department)
    assert [d.fallback for d in plan.deliveries] == [True, True, False]


def test_office_recipient_goes_to_office_people(yiwu: Routing) -> None:
    plan = plan_deliveries((Recipient(kind=RecipientKind.office, name="项目办"),), yiwu)
    assert _people(plan) == ["楼建平", "金晓红"] and plan.routing_gaps == ()


def test_same_destination_twice_is_one_delivery_and_action_wins(xihu: Routing) -> None:
    informed = Recipient(kind=DEPT, name="自然资源局", role="informed")
    action = Recipient(kind=DEPT, name="规划和自然资源局", role="action")
    plan = plan_deliveries((informed, action, informed), xihu)
    assert _people(plan) == ["张建国", "李敏"]
    assert {d.recipient for d in plan.deliveries} == {action}


def test_first_recipient_kept_when_roles_tie(xihu: Routing) -> None:
    first, second = Recipient(kind=DEPT, name="发改局"), Recipient(kind=DEPT, name="发展改革局")
    plan = plan_deliveries((first, second), xihu)
    assert [d.recipient for d in plan.deliveries] == [first]


def test_person_with_two_channels_gets_two_deliveries() -> None:
    mail = Endpoint("email", "a@example.gov.cn")
    outbox = Endpoint("file", "out/a.jsonl")
    a = Person("甲", (mail, outbox))
    routing = Routing("330106", "西湖区", "办", {"办": (a,)}, {}, {})
    plan = plan_deliveries((Recipient(kind=DEPT, name="办"),), routing)
    assert [d.endpoint for d in plan.deliveries] == [mail, outbox]


def test_delivery_key_is_stable_and_distinct() -> None:
    event = UUID("11111111-1111-4111-8111-111111111111")
    r = Recipient(kind=DEPT, name="自然资源局")
    key = delivery_key(event, r, "file", "x.jsonl")
    assert key == delivery_key(event, Recipient(kind=DEPT, name="自然资源局"), "file", "x.jsonl")
    assert key == "f31bf844-301f-5b48-8e82-ae8d7a6bca07"  # pinned: a changed key would re-send every delivery after an upgrade
    assert len({key, delivery_key(event, r, "file", "y.jsonl"), delivery_key(event, r, "email", "x.jsonl"),
                delivery_key(UUID(int=1), r, "file", "x.jsonl"),
                delivery_key(event, Recipient(kind=RecipientKind.leader, name="自然资源局"), "file", "x.jsonl")}) == 5


def test_secret_not_in_repr() -> None:
    assert "whsec_" not in repr(Endpoint("webhook", "https://h/x", "whsec_c2VjcmV0"))


BASE = """
county_code = "330106"
county_name = "西湖区"
project_office = "办"
[people."甲"]
channels = [{ channel = "file", address = "a.jsonl" }]
[departments."办"]
people = ["甲"]
"""


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "330106.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[departments."财政局"]\npeople = ["甲"]\nmembers = []\n', "departments.财政局.members"),
        ('[people."乙"]\nchannels = [{ channel = "sms", address = "138" }]\n', "people.乙.channels[0].channel"),
        ('[people."乙"]\nchannel = "file"\n', "people.乙.channel"),
        ('[leaders]\n"丙" = "无此人"\n', "leaders.丙"),
        ('[people."乙"]\nchannels = [{ channel = "webhook", address = "https://h/x" }]\n', "people.乙.channels[0].secret"),
        ('[people."乙"]\nchannels = ["群机器人"]\n', "people.乙.channels[0]"),
        ('timezone = "Asia/Shanghai"\n', "timezone"),
    ],
)
def test_bad_routing_names_file_and_key(tmp_path: Path, extra: str, key: str) -> None:
    path = _write(tmp_path, extra)
    with pytest.raises(RoutingError) as info:
        load_routing(path)
    assert str(path) in str(info.value) and f"{key}:" in str(info.value)


def test_secret_from_environment_and_shared_endpoint() -> None:
    data = {
        "county_code": "330106", "county_name": "西湖区", "project_office": "办",
        "endpoints": {"群": {"channel": "dingtalk", "address": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret_env": "DT"}},
        "people": {"甲": {"channels": ["群"]}, "乙": {"channels": ["群"]}},
        "departments": {"办": {"people": ["甲", "乙"]}},
    }
    routing = parse_routing(data, "mem.toml", env={"DT": "SECabc"})
    assert routing.endpoints["群"].secret == "SECabc"
    # Two people on one group robot: the group gets the message once.
    assert len(plan_deliveries((Recipient(kind=DEPT, name="办"),), routing).deliveries) == 1
    with pytest.raises(RoutingError, match="mem.toml: endpoints.群.secret_env"):
        parse_routing(data, "mem.toml", env={})


def test_office_must_have_people(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(BASE.replace('project_office = "办"', 'project_office = "项目办"'), encoding="utf-8")
    with pytest.raises(RoutingError, match="project_office"):
        load_routing(path)
