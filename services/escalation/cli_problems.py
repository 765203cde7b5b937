"""Commands for the problem list (问题清单) over escalation's HTTP API, under the person's own token, as for cases."""
from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from services.escalation.cli_cases import DEFAULT_API, Api, Token, _call, more_follow
from services.escalation.problems.lifecycle import STATE_NAMES

problem_app = typer.Typer(name="problem", help="Problems (问题清单): list, raise and work them through the escalation API.",
                          no_args_is_help=True)


def _line(problem: dict[str, Any]) -> str:
    running = f" 连续{problem['months_reported']}个月报告" if problem["months_reported"] > 1 else ""
    return (f"{problem['problem_id']} 【{problem['category']}】{problem.get('project_name') or ''}：{problem['description'][:40]}"
            f" ｜{problem['level_name']}→{problem['target_name']} {STATE_NAMES[problem['state']]} 期限 {problem['due_on'] or '—'}{running}")


@problem_app.command("list")
def problem_list(token: Token, api: Api = DEFAULT_API, mine: bool = False, overdue: bool = False, category: str | None = None,
                 open_only: Annotated[bool, typer.Option("--open", help="only problems not yet solved or closed")] = False,
                 limit: int = 500, offset: int = 0, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    params = {k: v for k, v in {"mine": mine, "overdue": overdue, "category": category, "open": open_only, "offset": offset}.items()
              if v} | {"limit": limit}
    data = _call(api, token, "GET", "/api/problems", params=params)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for problem in data["problems"]:
        typer.echo(_line(problem))
    more_follow(data)


@problem_app.command("show")
def problem_show(problem_id: str, token: Token, api: Api = DEFAULT_API) -> None:
    typer.echo(json.dumps(_call(api, token, "GET", f"/api/problems/{problem_id}"), ensure_ascii=False, indent=2))


@problem_app.command("raise")
def problem_raise(token: Token, project_id: Annotated[str, typer.Option()], category: Annotated[str, typer.Option(help="用地, 规划, 审批, …")],
                  description: Annotated[str, typer.Option()], api: Api = DEFAULT_API,
                  department: Annotated[str | None, typer.Option(help="the responsible department")] = None) -> None:
    """提出问题: a problem of a project, kept as written, starting with the responsible department."""
    data = _call(api, token, "POST", "/api/problems", json={"project_id": project_id, "category": category, "description": description,
                                                             "responsible_department": department, "source": "cli"})
    typer.echo(_line(data["problem"]))


STEPS = {"accept": ("accept", "受理"), "start": ("start", "开始解决"), "close": ("close", "销号 (office)")}


@problem_app.command("act")
def problem_act(problem_id: str, token: Token, step: Annotated[str, typer.Argument(help="accept | start | solve | submit | hand-back | close | reopen")],
                api: Api = DEFAULT_API, note: str = "", reason: str = "", evidence: str = "") -> None:
    """One step: submit and hand-back need --reason; solve needs --note (what was done) and may take --evidence."""
    if step in ("submit", "hand-back", "reopen"):
        body: dict[str, Any] = {"reason": reason}
    elif step == "solve":
        body = {"what_done": note, "evidence": evidence}
    elif step in STEPS:
        body = {"note": note}
    else:
        typer.echo(f"未办理：没有“{step}”这一步", err=True)
        raise typer.Exit(2)
    typer.echo(_line(_call(api, token, "POST", f"/api/problems/{problem_id}/{step}", json=body)["problem"]))
