"""`tuijin escalation`: operator commands (what-if, backtest, sweep, bulletins, people) and people's own (cases,
problems). Each is imported when it is run (services.cli_lazy): `case` and `problem` talk HTTP and start without the
database, the bulletin's renderers or FastAPI."""
from __future__ import annotations

import typer

from services.cli_lazy import Commands, LazyGroup

COMMANDS: Commands = {
    "whatif": ("services.escalation.cli_bulletin", "whatif_command",
               "Findings by rule and colour as of any day: past days use the facts as known then, later days today's facts."),
    "backtest": ("services.escalation.cli_bulletin", "backtest_command",
                 "How many reds (and yellows) would the proposed policy have raised over stored history, against the current one?"),
    "sweep": ("services.escalation.cli_sweep", "sweep_command",
              "试运行：截至某日巡检将新增、升级或消除哪些预警，不写入任何数据 / Dry run: what a sweep as of DATE would do; writes nothing."),
    "people": ("services.escalation.cli_people", "people_app", "People the county issues, with a role and a token."),
    "case": ("services.escalation.cli_cases", "case_app", "Cases (督办单): list them and act on them through the escalation API."),
    "problem": ("services.escalation.cli_problems", "problem_app", "Problems (问题清单): list, raise and work them through the escalation API."),
    "bulletin": ("services.escalation.cli_bulletin", "bulletin_app", "每月通报: generate the monthly bulletin."),
}


class EscalationCommands(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(name="escalation", cls=EscalationCommands, help="预警督办 / Escalation: what-if sweeps, cases, bulletins.",
                  no_args_is_help=True)
