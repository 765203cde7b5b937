"""Commands for cases: people act on cases over the HTTP API (`case …`), under their own token; nothing here opens the
database, so a command starts without SQLAlchemy (cli_people issues the people)."""
from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

from services.addresses import address

case_app = typer.Typer(name="case", help="Cases (督办单): list them and act on them through the escalation API.", no_args_is_help=True)

Token = Annotated[str, typer.Option("--token", envvar="TUIJIN_PERSON_TOKEN", help="your own token (people add printed it)")]
Api = Annotated[str, typer.Option("--api", envvar="TUIJIN_CASES_API", help="the escalation service's HTTP address")]
DEFAULT_API = address("escalation", "http://127.0.0.1:8102")  # where `make run` put it, else the default port


def _call(api: str, token: str, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, f"{api.rstrip('/')}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        typer.echo(f"未办理（{response.status_code}）：{detail}", err=True)  # the refusal's words, not its JSON body
        raise typer.Exit(1)
    return response.json()


def _show_case(data: dict[str, Any]) -> None:
    case = data["case"]
    typer.echo(f"{case['case_id']} L{case['ladder_level']} {case['level_name']} {case['state']} → {case['target_name']}"
               f" 期限 {case['due_on'] or '-'}{'（暂定）' if case['due_provisional'] else ''}{' 计时暂停' if case['clocks_paused'] else ''}")


def more_follow(data: dict[str, Any]) -> None:
    """A page that is not the last says so (on stderr, so that the listing itself stays clean)."""
    if data.get("more"):
        typer.echo(f"……还有更多，请用 --offset {data['offset'] + data['limit']} 续看 / more follow: --offset {data['offset'] + data['limit']}",
                   err=True)


@case_app.command("list")
def case_list(token: Token, api: Api = DEFAULT_API, state: str | None = None, level: int | None = None, target: str | None = None,
              rule_id: str | None = None, due_before: str | None = None,
              open_only: Annotated[bool, typer.Option("--open", help="only cases not yet closed or withdrawn")] = False,
              limit: int = 500, offset: int = 0, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    params = {k: v for k, v in {"state": state, "level": level, "target": target, "rule_id": rule_id, "due_before": due_before,
                                "open": open_only, "offset": offset}.items() if v} | {"limit": limit}
    data = _call(api, token, "GET", "/api/cases", params=params)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for case in data["cases"]:
        _show_case({"case": case})
    more_follow(data)


@case_app.command("show")
def case_show(case_id: str, token: Token, api: Api = DEFAULT_API) -> None:
    typer.echo(json.dumps(_call(api, token, "GET", f"/api/cases/{case_id}"), ensure_ascii=False, indent=2))


def _act(api: str, token: str, case_id: str, action: str, body: dict[str, Any]) -> None:
    _show_case(_call(api, token, "POST", f"/api/cases/{case_id}/{action}", json=body))


@case_app.command("ack")
def case_ack(case_id: str, token: Token, api: Api = DEFAULT_API, note: str = "") -> None:
    """签收."""
    _act(api, token, case_id, "acknowledge", {"note": note})


@case_app.command("reply")
def case_reply(case_id: str, token: Token, explanation: Annotated[str, typer.Option()], remedy_plan: Annotated[str, typer.Option()],
               api: Api = DEFAULT_API) -> None:
    """反馈: the explanation and the remedy plan."""
    _act(api, token, case_id, "reply", {"explanation": explanation, "remedy_plan": remedy_plan})


@case_app.command("review")
def case_review(case_id: str, token: Token, accepted: Annotated[bool, typer.Option("--accepted/--rejected")], api: Api = DEFAULT_API,
                note: str = "") -> None:
    """复核 (office): accept the reply, or send it back for a new one."""
    _act(api, token, case_id, "review", {"accepted": accepted, "note": note})


@case_app.command("close")
def case_close(case_id: str, token: Token, api: Api = DEFAULT_API, note: str = "") -> None:
    """办结 (office), after a review."""
    _act(api, token, case_id, "close", {"note": note})


@case_app.command("reopen")
def case_reopen(case_id: str, token: Token, api: Api = DEFAULT_API, note: str = "") -> None:
    """Reopen (office): the target owes a new reply."""
    _act(api, token, case_id, "reopen", {"note": note})


@case_app.command("exception")
def case_exception(case_id: str, token: Token, kind: Annotated[str, typer.Option(help="government_delay | force_majeure | tolerance")],
                   reason: Annotated[str, typer.Option()], api: Api = DEFAULT_API,
                   blocking_department: Annotated[str | None, typer.Option(help="the department that blocks")] = None) -> None:
    """Claim an exception: the case's clocks pause until the office decides."""
    _act(api, token, case_id, "exception", {"kind": kind, "reason": reason, "blocking_department": blocking_department})


@case_app.command("decide")
def case_decide(case_id: str, token: Token, confirmed: Annotated[bool, typer.Option("--confirmed/--rejected")], api: Api = DEFAULT_API,
                note: str = "") -> None:
    """Decide a claimed exception (office): confirmed re-targets at the blocking department, rejected resumes the clocks."""
    _act(api, token, case_id, "exception/decision", {"confirmed": confirmed, "note": note})
