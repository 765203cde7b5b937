"""Events, a stand-in for escalation's case API, and the console's pages mounted on a real database, for service tests."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import Response

from shared.contracts import (
    BulletinPublished,
    CaseChanged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
    ProjectSnapshot,
    ProjectStateChanged,
    Recipient,
)
from shared.contracts.case import FINISHED_STATES

COUNTY = "330106"
OTHER_COUNTY = "330782"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def pid(n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"console-test-project-{n}")


def project_changed(n: int, version: int = 1, county: str = COUNTY, record_time: datetime = AT, **facts: Any) -> ProjectStateChanged:
    facts.setdefault("name", f"测试项目{n}号")
    snapshot = ProjectSnapshot.model_validate({"project_id": pid(n), "project_code": f"2403-{county}-04-01-{n:06d}",
                                               "last_source_record_time": record_time, **facts})
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"changed-{n}-{version}-{county}")
    return ProjectStateChanged(event_id=event_id, occurred_at=record_time, county_code=county, correlation_id=str(event_id),
                               project_id=pid(n), version=version, changed_fields=tuple(sorted(facts)), snapshot=snapshot,
                               caused_by=uuid.uuid4(), source_system="发改局项目库")


def esc_id(n: int, rule: str = "R1.idle_land") -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"esc-{n}-{rule}")


def escalation(n: int, kind: str = "raised", level: int = 3, county: str = COUNTY, rule: str = "R1.idle_land",
               at: datetime = AT, departments: tuple[str, ...] = ("自然资源局",), **evidence: str) -> Any:
    cls = {"raised": EscalationRaised, "escalated": EscalationEscalated, "resolved": EscalationResolved}[kind]
    extra = {"previous_level": level - 1} if kind == "escalated" else {}
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"esc-event-{n}-{rule}-{kind}-{level}")
    return cls(event_id=event_id, occurred_at=at, county_code=county, correlation_id="c", escalation_id=esc_id(n, rule),
               project_id=pid(n), project_name=f"测试项目{n}号", subject=f"parcel:P-{n}", rule_id=rule, rule_version=1,
               level=level, level_name=f"层级{level}", as_of=date(2026, 3, 2), evidence={"idle_since": "2026-03-02", **evidence},
               recipients=tuple(Recipient(kind="department", name=d) for d in departments), summary=f"项目{n}号{kind}", **extra)


def case_changed(n: int, action: str = "opened", state: str = "opened", level: int = 1, target: str = "自然资源局",
                 at: datetime = AT, county: str = COUNTY) -> CaseChanged:
    case_id = uuid.uuid5(uuid.NAMESPACE_URL, f"case-{n}")
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"case-event-{n}-{action}-{at.isoformat()}")
    return CaseChanged(event_id=event_id, occurred_at=at, county_code=county, correlation_id="c", case_id=case_id,
                       escalation_id=esc_id(n), project_id=pid(n), rule_id="R1.idle_land", action=action, state=state,
                       ladder_level=level, level_name=f"L{level}", due_on=date(2026, 3, 9),
                       recipients=(Recipient(kind="department", name=target),), summary=f"督办{n}号{action}")


def bulletin(month: str = "2026-02", county: str = COUNTY) -> BulletinPublished:
    bid = uuid.uuid5(uuid.NAMESPACE_URL, f"bulletin-{county}-{month}")
    return BulletinPublished(event_id=bid, occurred_at=AT, county_code=county, correlation_id="c", bulletin_id=bid, month=month,
                             title=f"{month}重点项目通报", headline={"start_rate_percent": "50.0"},
                             links={"html": f"/internal/counties/{county}/bulletins/{month}.html"}, recipients=(), summary="通报")


@dataclass
class FakeEscalation:
    """The case API as #4 specifies it, in memory: people, scoped case lists, actions recorded with their actor."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> person
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # (login, case, action, body)
    logged_out: list[str] = field(default_factory=list)  # tokens whose session was ended

    def add_person(self, login: str, role: str, county: str = COUNTY, department: str | None = None) -> str:
        token = f"tok-{login}"
        self.people[token] = {"person_id": str(uuid.uuid5(uuid.NAMESPACE_URL, login)), "county_code": county, "login": login,
                              "name": f"{login}同志", "role": role, "department": department, "password": f"pw-{login}"}
        return token

    def app(self) -> FastAPI:
        api = FastAPI()

        def person(authorization: str | None) -> dict[str, Any]:
            found = self.people.get((authorization or "").removeprefix("Bearer "))
            if not found:
                raise HTTPException(401, "unknown token")
            return found

        @api.post("/api/login")
        async def login(body: dict[str, str]) -> dict[str, Any]:
            for token, p in self.people.items():
                if p["login"] == body["login"] and p["password"] == body["password"]:
                    return {"token": token, "person": p}
            raise HTTPException(401, "wrong login or password")

        @api.post("/api/logout", status_code=204)
        async def logout(authorization: str | None = Header(None)) -> Response:
            self.logged_out.append((authorization or "").removeprefix("Bearer "))
            return Response(status_code=204)

        @api.get("/api/me")
        async def me(authorization: str | None = Header(None)) -> dict[str, Any]:
            return {k: v for k, v in person(authorization).items() if k != "password"}

        @api.get("/api/cases")
        async def cases(request: Request, authorization: str | None = Header(None)) -> dict[str, Any]:
            p = person(authorization)
            rows = [c for c in self.cases.values() if c["county_code"] == p["county_code"]]
            if p["role"] == "department":  # its own cases, and those whose 交办函 it handles
                rows = [c for c in rows if p["department"] in (c["target_name"], (c.get("letter") or {}).get("handler_department"))]
            for key in ("state", "target"):
                if key in request.query_params:
                    rows = [c for c in rows if c["state" if key == "state" else "target_name"] == request.query_params[key]]
            if request.query_params.get("open") == "true":
                rows = [c for c in rows if c["state"] not in FINISHED_STATES]
            limit = int(request.query_params.get("limit", 500))
            return {"cases": rows[:limit], "more": len(rows) > limit}

        @api.get("/api/cases/{case_id}")
        async def one(case_id: str, authorization: str | None = Header(None)) -> dict[str, Any]:
            person(authorization)
            if case_id not in self.cases:
                raise HTTPException(404, f"no case {case_id}")
            return {"case": self.cases[case_id], "escalation": None, "actions": []}

        @api.post("/api/cases/{case_id}/{action:path}")
        async def act(case_id: str, action: str, body: dict[str, Any], authorization: str | None = Header(None)) -> dict[str, Any]:
            p = person(authorization)
            if p["role"] == "readonly":
                raise HTTPException(403, "read-only")
            self.actions.append((p["login"], case_id, action, body))
            states = {"acknowledge": "acknowledged", "reply": "replied", "review": "reviewed", "close": "closed", "reopen": "opened"}
            self.cases[case_id]["state"] = states.get(action, self.cases[case_id]["state"])
            return {"case": self.cases[case_id]}

        @api.get("/api/problems")
        async def no_problems(authorization: str | None = Header(None)) -> dict[str, Any]:
            person(authorization)
            return {"problems": []}  # problems and referrals over the real API: test_problem_pages.py, test_referral_pages.py

        @api.get("/api/referrals")
        async def no_referrals(authorization: str | None = Header(None)) -> dict[str, Any]:
            person(authorization)
            return {"referrals": []}

        @api.get("/internal/counties/{county}/as-of/{project}")
        async def not_known(county: str, project: str) -> Response:
            raise HTTPException(404, "no project known by then")

        @api.get("/internal/counties/{county}/bulletins/{name}")
        async def document(county: str, name: str) -> Response:
            return Response(f"<h1>{county} {name}</h1>", media_type="text/html")

        return api
