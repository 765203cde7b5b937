"""`tuijin intake profile check FILE --profile P`: a dry run of a mapping profile on a county's file.

Shows where the header is, what each column maps to (or that it is ignored), and the first rows as they
would be read (the update each becomes, or why it would be refused). Nothing is stored or sent.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from services.intake.feeds.spreadsheet.columns import ColumnTally
from services.intake.feeds.spreadsheet.jobs import parse_as_of
from services.intake.feeds.spreadsheet.mapping import locate
from services.intake.feeds.spreadsheet.profiles import ProfileError, find_profile
from services.intake.feeds.spreadsheet.readers import NotASpreadsheet, read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate

app = typer.Typer(name="profile", help="Mapping profiles (config/profiles) for spreadsheet uploads.", no_args_is_help=True)
DRY_RUN_COUNTY = "999999"  # no real county: the events built here are shown, never published


@app.command("check")
def check(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
          profile: Annotated[str, typer.Option(help="profile name, e.g. fgw_ledger")],
          rows: Annotated[int, typer.Option(help="how many data rows to show")] = 5,
          as_of: Annotated[str | None, typer.Option(help="the ledger's date when no column gives it")] = None) -> None:
    """Show how PROFILE reads FILE: the header, each column's field, the first rows. Nothing is sent."""
    try:
        chosen = find_profile(profile)
        moment = parse_as_of(as_of) if as_of else None
    except (LookupError, ProfileError, ValueError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    try:
        with file.open("rb") as stream:
            read = read_rows(stream)
            layout = locate(chosen, read)
            if layout.problems:
                for problem in layout.problems:
                    typer.echo(f"表头 header: {problem.reason_zh} / {problem.reason_en}")
                raise typer.Exit(1)
            typer.echo(f"profile {chosen.name} v{chosen.version}; header ends at row {layout.header_row}; from the title: {layout.file_values}")
            shown, tally = [], ColumnTally()
            for number, values in islice(layout.data_rows(read), rows * 20):  # blank and 合计 rows are skipped
                mapped = map_row(chosen, layout, number, values, moment)
                if mapped is None:
                    continue
                tally.add(mapped)
                event = validate(chosen, layout, DRY_RUN_COUNTY, mapped, datetime.now(UTC))
                shown.append((number, event, mapped))
                if len(shown) >= rows:
                    break
    except NotASpreadsheet as error:
        typer.echo(f"{error.reason_zh} / {error.reason_en}", err=True)
        raise typer.Exit(1) from None
    report = tally.report(layout, chosen)
    for column in report["columns"]:
        also = "".join(f" + {path}" for path in column.get("also", ()))
        unit = f" ({column['unit']})" if column.get("unit") else ""
        target = f"→ {column['field']}{also}{unit}" if column["status"] == "mapped" else f"ignored: {column['why']}"
        typer.echo(f"  {column['column']}  {target}")
    for warning in report["warnings"]:
        typer.echo(f"warning: {warning['message']}")
    for number, event, mapped in shown:
        if event is not None:
            typer.echo(f"row {number}: " + json.dumps(event.update.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
        else:
            reasons = "; ".join(f"{p.column}: {p.reason_zh} / {p.reason_en}" for p in mapped.problems)
            typer.echo(f"row {number}: refused — {reasons}")
