"""Realistic county tables for the tests: a 县级重点项目月度推进表 (title, 截至 line, two-row header with 1-N月完成投资,
the month's words with line breaks) and a 项目问题清单 (project cells merged down over its problems, 问题编号 for some)."""
from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

PROGRESS_TOP = ["序号", "项目代码", "项目名称", "建设单位", "建设内容及规模", "投资情况（万元）", None, None, "完成率",
                "形象进度", "存在问题", "下月计划", "下月计划投资\n（万元）", "责任单位", "分包领导", "备注"]


def progress_bottom(month: int) -> list[Any]:
    return [None] * 5 + ["总投资", "2026年计划投资", f"1-{month}月\n完成投资"] + [None] * 8


def progress_row(code: str, name: str, ytd: Any, problems: Any, progress: str = "主体结构完成80%", **more: Any) -> list[Any]:
    row = [1, code, name, "县城投集团（三期）有限公司", "新建厂房8万平方米", 52000, 12000, ytd, "60%", progress, problems,
           "完成主体封顶", 1500, "县发改局", "王副县长", ""]
    for index, value in more.items():
        row[int(index.removeprefix("c"))] = value
    return row


def progress_xlsx(rows: list[list[Any]], month: int = 11, date_line: str | None = "截至2026年11月30日",
                  title: str = "某县2026年重点项目月度推进表") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(PROGRESS_TOP))
    sheet.append(["填报单位：县重点项目办", None, None, None, None, None, None, None, None, None, None, None, None, date_line])
    sheet.append(PROGRESS_TOP)
    sheet.append(progress_bottom(month))
    sheet.merge_cells("F3:H3")
    for column in "ABCDEIJKLMNOP":
        sheet.merge_cells(f"{column}3:{column}4")
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row[1:]])
    sheet.append(["合计", None, None, None, None, 99999, 9999, 999])
    sheet.append(["填报人：李四", None, None, None, "联系电话：0571-88886666"])
    return _save(book)


PROBLEM_HEADER = ["序号", "问题编号", "项目代码", "项目名称", "问题类别", "存在问题", "责任单位", "提出日期", "办结时限",
                  "办理进展", "备注"]


def problems_xlsx(projects: list[tuple[str, str, list[list[Any]]]], date_line: str = "填报日期：2026年11月30日") -> bytes:
    """Per project (code, name, its problems as [number, category, text, department, raised on, deadline, progress]),
    the project's cells merged down over its rows, as offices lay such lists out."""
    book = Workbook()
    sheet = book.active
    sheet.append(["某县重点项目存在问题清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(PROBLEM_HEADER))
    sheet.append([date_line])
    sheet.append(PROBLEM_HEADER)
    serial = 0
    for code, name, problems in projects:
        first = sheet.max_row + 1
        for number, category, text, department, raised, deadline, progress in problems:
            serial += 1
            sheet.append([serial, number, code if sheet.max_row + 1 == first else None, name if sheet.max_row + 1 == first else None,
                          category, text, department, raised, deadline, progress, None])
        if len(problems) > 1:
            sheet.merge_cells(start_row=first, start_column=3, end_row=sheet.max_row, end_column=3)
            sheet.merge_cells(start_row=first, start_column=4, end_row=sheet.max_row, end_column=4)
    return _save(book)


def _save(book: Workbook) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
