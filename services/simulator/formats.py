"""Writing generated feeds: the JSON batches of intake's HTTP API, the bureaus' spreadsheets, and a manifest of what was planted.

Layout: `<out>/manifest.json`; `<out>/<county>/<YYYY-MM>-<n>.json` (one batch per county and month of sending,
split at BATCH_SIZE), so posting the files in name order replays each county's feed in order; and
`<out>/<county>/<profile>.xlsx|.csv`, one file per mapping profile (services/simulator/sheets.py).
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from services.simulator.generate import Feeds
from services.simulator.sheets import EXTENSIONS, FGW_BOTTOM, FGW_TOP, LAND_HEADER, PAY_HEADER, Sheet, sheets

BATCH_SIZE = 1000  # well under intake's MAX_BATCH (5000): one batch stays one quick JetStream round
FORMATS = ("json", "xlsx", "csv")


def batches(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """File stem → items, by the month the items (already in sending order) were sent."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    month = ""
    for item in items:
        # A typo'd time ("2025-13-05") must not move its item out of order: the month only moves forward.
        candidate = str(item["source_record_time"])[:7]
        if not month or (candidate > month and "01" <= candidate[5:7] <= "12"):
            month = candidate
        by_month.setdefault(month, []).append(item)
    return {
        f"{month}-{n // BATCH_SIZE + 1:02d}": chunk[n:n + BATCH_SIZE]
        for month, chunk in by_month.items() for n in range(0, len(chunk), BATCH_SIZE)
    }


def write(feeds: Feeds, out: Path, parameters: dict[str, Any], formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """The chosen formats' files and manifest.json, with per format the rows/items written and the bad ones planted."""
    written: list[Path] = []
    typos = sum(count for kind, count in feeds.counts().items() if kind.startswith("typo:"))
    summary: dict[str, Any] = {}
    if "json" in formats:
        for county, items in feeds.items.items():
            (out / county).mkdir(parents=True, exist_ok=True)
            for stem, batch in batches(items).items():
                written.append(out / county / f"{stem}.json")
                written[-1].write_text(json.dumps(batch, ensure_ascii=False, indent=1), "utf-8")
        summary["json"] = {"files": len(written), "items": sum(map(len, feeds.items.values())), "rejected": typos}
    by_county, skipped = sheets(feeds)
    files: dict[str, dict[str, Any]] = {}
    for county, profiles in by_county.items():
        for name, sheet in profiles.items():
            if sheet.extension not in formats:
                continue
            path = out / county / f"{name}.{sheet.extension}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render(sheet, county, feeds))
            written.append(path)
            files.setdefault(county, {})[name] = {"file": str(path.relative_to(out)), "rows": len(sheet.rows),
                                                  "bad_rows": sum(sheet.bad.values()), "typos": dict(sheet.bad)}
            total = summary.setdefault(sheet.extension, {"files": 0, "rows": 0, "bad_rows": 0, "typos": Counter()})
            total["files"], total["rows"], total["bad_rows"] = total["files"] + 1, total["rows"] + len(sheet.rows), total["bad_rows"] + sum(sheet.bad.values())
            total["typos"].update(sheet.bad)
    manifest = {
        "parameters": parameters, "start": feeds.start.isoformat(), "end": feeds.end.isoformat(),
        "items": {county: len(items) for county, items in feeds.items.items()},
        "planted_counts": feeds.counts(), "formats": summary, "sheets": files,
        "not_in_sheets": dict(skipped) if files else {}, "planted": [asdict(plant) for plant in feeds.planted],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    return written


def render(sheet: Sheet, county: str, feeds: Feeds) -> bytes:
    """The file's bytes: XLSX as the bureau's workbook (title, header, units), CSV as the treasury system exports it."""
    if sheet.profile == "cz_payments":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([PAY_HEADER, *sheet.rows])
        return buffer.getvalue().encode("gb18030")
    book = Workbook()
    page = book.active
    span = f"{feeds.start.year}年{feeds.start.month}月至{feeds.end.year}年{feeds.end.month}月"
    if sheet.profile == "fgw_ledger":
        page.title = "重点项目台账"
        page.append([f"{county} {span}重点项目建设进度台账"])
        page.append(["填报单位：县重点项目办", *[None] * 10, "单位：万元"])
        page.append(FGW_TOP)
        page.append(FGW_BOTTOM)
        page.merge_cells(start_row=3, start_column=7, end_row=3, end_column=9)  # 投资完成情况（万元） over its three columns
        for column in (*range(1, 7), *range(10, len(FGW_TOP) + 1)):
            page.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
        money, width = "FGHI", len(FGW_TOP)
    else:
        page.title = "土地供应清单"
        page.append([f"{county} 国有建设用地供应清单（{span}）"])
        page.append(LAND_HEADER)
        money, width = "GIJ", len(LAND_HEADER)
    page.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    page["A1"].font, page["A1"].alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    first = page.max_row + 1
    for row in sheet.rows:
        page.append(row)
    if sheet.profile == "fgw_ledger":  # the clerk's 合计 row (not a record: intake skips it)
        page.append(["合计", None, None, None, None, *(_total(sheet.rows, i) for i in range(5, 9))])
    for letter in money:
        for cell in page[letter][first - 1:]:
            cell.number_format = "#,##0.00"
    for letter, cells in zip("ABCDEFGHIJKLMNO", page.iter_cols(max_col=width, min_row=3), strict=False):
        page.column_dimensions[letter].width = max(8, min(28, max(len(str(c.value or "")) for c in cells) + 4))
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def _total(rows: list[list[Any]], index: int) -> float:
    return round(sum(row[index] for row in rows if isinstance(row[index], int | float)), 2)


def batch_files(out: Path) -> dict[str, list[Path]]:
    """County → its batch files in sending order (the names sort by month)."""
    return {d.name: sorted(d.glob("*.json")) for d in sorted(out.iterdir()) if d.is_dir() and d.name.isdigit()}


def sheet_files(out: Path) -> dict[str, list[tuple[str, Path]]]:
    """County → (profile, file) for every spreadsheet written, in profile order."""
    found = {d.name: [(name, d / f"{name}.{ext}") for name, ext in EXTENSIONS.items()]
             for d in sorted(out.iterdir()) if d.is_dir() and d.name.isdigit()}
    return {county: [(name, path) for name, path in pairs if path.is_file()] for county, pairs in found.items()}
