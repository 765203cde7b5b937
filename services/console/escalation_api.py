"""The console's only way to act: escalation's case API, under the signed-in person's own token.

Every action is done (and audited) by escalation; the console never writes a case itself.
"""
from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

from shared.tls import client_tls

CLIENT_ADDRESS = "X-Tuijin-Client-Address"  # escalation.cases.api reads it
ACTIONS = ("acknowledge", "reply", "review", "close", "reopen", "exception", "exception/decision")
# The steps of problems (问题), assignments (交办事项) and meetings the console may ask escalation to take.
PROBLEM_ACTIONS = ("accept", "start", "solve", "submit", "hand-back", "agenda", "close", "reopen")
ASSIGNMENT_ACTIONS = ("acknowledge", "report", "verify", "close")
MEETING_ACTIONS = ("agenda", "decisions", "minutes")
LIST_MOST = 5000  # escalation's largest page of cases, problems or assignments; a list cut there says so


class Listing(NamedTuple):
    rows: list[dict[str, Any]]
    more: bool  # escalation holds more than these (the nearest deadlines come first)


def _part(value: str) -> str:
    """A value from a page's address as one path segment of escalation's: quoted whole, so a '?', '#', '/' or a control
    character in it can neither name another resource nor break the request."""
    return quote(value, safe="")


class EscalationError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class EscalationApi:
    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 15,
                 service_token: str = "") -> None:
        self._client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout, verify=client_tls())
        self._service_token = service_token  # for /internal/* and to name the signing-in person's address

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, token: str | None = None, headers: dict[str, str] | None = None,
                    **kwargs: Any) -> httpx.Response:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise EscalationError(503, f"escalation unreachable: {error}") from error
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise EscalationError(response.status_code, detail if isinstance(detail, str) else str(detail))
        return response

    async def login(self, login: str, password: str, address: str) -> dict[str, Any]:
        """{token, expires_at, person}: a session token of escalation's (not the password), the person as /api/me has it.
        Escalation throttles per login and per address; it believes the address only with the service token."""
        headers = {CLIENT_ADDRESS: address}
        body = (await self._call("POST", "/api/login", self._service_token, headers, json={"login": login, "password": password})).json()
        person = await self.me(body["token"])
        return {"token": body["token"], "expires_at": body.get("expires_at"), "person": person}

    async def logout(self, token: str) -> None:
        await self._call("POST", "/api/logout", token)

    async def me(self, token: str) -> dict[str, Any]:
        return (await self._call("GET", "/api/me", token)).json()  # type: ignore[no-any-return]

    async def cases(self, token: str, **filters: str) -> Listing:
        params = {k: v for k, v in filters.items() if v} | {"limit": LIST_MOST}
        body = (await self._call("GET", "/api/cases", token, params=params)).json()
        return Listing(body["cases"], bool(body.get("more")))

    async def case(self, token: str, case_id: str) -> dict[str, Any]:
        return (await self._call("GET", f"/api/cases/{_part(case_id)}", token)).json()  # type: ignore[no-any-return]

    async def act(self, token: str, case_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action not in ACTIONS:
            raise EscalationError(400, f"unknown action {action}")
        return (await self._call("POST", f"/api/cases/{_part(case_id)}/{action}", token, json=body)).json()  # type: ignore[no-any-return]

    async def bulletin(self, county: str, month: str, fmt: str) -> httpx.Response:
        return await self._call("GET", f"/internal/counties/{_part(county)}/bulletins/{_part(month)}.{_part(fmt)}", self._service_token)

    # Problems, meetings and assignments (escalation's /api/problems, /api/meetings, /api/assignments).
    async def problem_categories(self, token: str) -> list[str]:
        return (await self._call("GET", "/api/problem-categories", token)).json()["categories"]  # type: ignore[no-any-return]

    async def problems(self, token: str, **filters: Any) -> Listing:
        params = {k: v for k, v in filters.items() if v not in (None, "", False)} | {"limit": LIST_MOST}
        body = (await self._call("GET", "/api/problems", token, params=params)).json()
        return Listing(body["problems"], bool(body.get("more")))

    async def problem(self, token: str, problem_id: str) -> dict[str, Any]:
        return (await self._call("GET", f"/api/problems/{_part(problem_id)}", token)).json()  # type: ignore[no-any-return]

    async def raise_problem(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return (await self._call("POST", "/api/problems", token, json=body)).json()  # type: ignore[no-any-return]

    async def act_on_problem(self, token: str, problem_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action not in PROBLEM_ACTIONS:
            raise EscalationError(400, f"unknown action {action}")
        return (await self._call("POST", f"/api/problems/{_part(problem_id)}/{action}", token, json=body)).json()  # type: ignore[no-any-return]

    async def meetings(self, token: str) -> list[dict[str, Any]]:
        return (await self._call("GET", "/api/meetings", token)).json()["meetings"]  # type: ignore[no-any-return]

    async def meeting(self, token: str, meeting_id: str) -> dict[str, Any]:
        return (await self._call("GET", f"/api/meetings/{_part(meeting_id)}", token)).json()  # type: ignore[no-any-return]

    async def schedule_meeting(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        return (await self._call("POST", "/api/meetings", token, json=body)).json()  # type: ignore[no-any-return]

    async def act_on_meeting(self, token: str, meeting_id: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if action not in MEETING_ACTIONS:
            raise EscalationError(400, f"unknown action {action}")
        return (await self._call("POST", f"/api/meetings/{_part(meeting_id)}/{action}", token, json=body)).json()  # type: ignore[no-any-return]

    async def minutes(self, token: str, meeting_id: str, fmt: str) -> httpx.Response:
        """The minutes' document (docx or html), fetched under the person's own token."""
        return await self._call("GET", f"/api/meetings/{_part(meeting_id)}/minutes.{_part(fmt)}", token)

    async def assignments(self, token: str, **filters: Any) -> Listing:
        params = {k: v for k, v in filters.items() if v not in (None, "", False)} | {"limit": LIST_MOST}
        body = (await self._call("GET", "/api/assignments", token, params=params)).json()
        return Listing(body["assignments"], bool(body.get("more")))

    async def act_on_assignment(self, token: str, assignment_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action not in ASSIGNMENT_ACTIONS:
            raise EscalationError(400, f"unknown action {action}")
        return (await self._call("POST", f"/api/assignments/{_part(assignment_id)}/{action}", token, json=body)).json()  # type: ignore[no-any-return]

    async def assignment(self, token: str, assignment_id: str) -> dict[str, Any]:
        return (await self._call("GET", f"/api/assignments/{_part(assignment_id)}", token)).json()  # type: ignore[no-any-return]

    # Referrals (移送) to an oversight body: the office and readonly read them all, the body its own and signs for them.
    async def referrals(self, token: str, state: str | None = None) -> list[dict[str, Any]]:
        params = {"state": state} if state else {}
        return (await self._call("GET", "/api/referrals", token, params=params)).json()["referrals"]  # type: ignore[no-any-return]

    async def referral(self, token: str, referral_id: str) -> dict[str, Any]:
        """{referral, actions}: the record with its evidence pack, and its audit rows."""
        return (await self._call("GET", f"/api/referrals/{_part(referral_id)}", token)).json()  # type: ignore[no-any-return]

    async def acknowledge_referral(self, token: str, referral_id: str, note: str) -> dict[str, Any]:
        return (await self._call("POST", f"/api/referrals/{_part(referral_id)}/acknowledge", token, json={"note": note})).json()  # type: ignore[no-any-return]

    async def project_as_of(self, county: str, project_id: str, day: str) -> dict[str, Any]:
        """Every rule's result for one project on a day, on the facts known then (escalation's county read, service token:
        the page checks the project is in the person's scope before asking)."""
        path = f"/internal/counties/{_part(county)}/as-of/{_part(project_id)}"
        return (await self._call("GET", path, self._service_token, params={"date": day})).json()  # type: ignore[no-any-return]
