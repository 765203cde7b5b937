"""Realistic county files for the tests: a 发改局 ledger (XLSX, merged two-row header), a land supply list, a payment CSV."""
from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

FGW_TOP = ["序号", "项目代码", "项目名称", "建设性质", "项目阶段", "总投资（万元）", "投资完成情况（万元）", None, None,
           "计划开工时间", "实际开工时间", "责任单位", "包抓领导", "备注"]
FGW_BOTTOM = [None, None, None, None, None, None, "年度计划投资", "本月完成投资", "累计完成投资", None, None, None, None, None]
LAND_HEADER = ["序号", "电子监管号", "项目代码", "项目名称", "受让单位", "供地方式", "供地面积（亩）", "成交价款（万元）",
               "约定动工时间", "交地时间", "实际动工时间", "更新日期"]
PAY_HEADER = ["项目代码", "项目名称", "预算单位", "资金性质", "批复预算（元）", "合同金额（元）", "累计支付（元）", "统计截止日期"]


def project_code(i: int, county: str = "330106") -> str:
    return f"2403-{county}-04-01-{i:06d}"


def fgw_row(i: int, **overrides: Any) -> list[Any]:
    row = [i, project_code(i), f"第{i}号产业园项目", "新建" if i % 2 else "续建", "开工", 12000.5, 3000, 250.25, 1800,
           "2024年3月5日", "2024/3/18", "县工信局", "张副县长", ""]
    for index, value in overrides.items():
        row[int(index.removeprefix("c"))] = value
    return row


def fgw_xlsx(rows: list[list[Any]], title: str = "某县2024年3月重点项目建设进度台账", trailing_blank: int = 3,
             bottom: list[Any] = FGW_BOTTOM) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FGW_TOP))
    sheet.append(["填报单位：县发改局", None, None, None, None, None, None, None, None, None, None, "单位：万元"])
    sheet.append(FGW_TOP)
    sheet.append(bottom)
    sheet.merge_cells("G3:I3")
    for column in "ABCDEFJKLMN":
        sheet.merge_cells(f"{column}3:{column}4")
    for row in rows:
        sheet.append(row)
    sheet.append(["合计", None, None, None, None, 99999, 9999, 999, 9999])
    for _ in range(trailing_blank):
        sheet.append([None] * 5)
    sheet.cell(row=sheet.max_row + 2, column=1, value=" ")  # a stray blank-looking cell far down, as clerks leave them
    return _save(book)


def land_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["2024年第一季度国有建设用地供应清单"])
    sheet.append(LAND_HEADER)
    for row in rows:
        sheet.append(row)
    return _save(book)


def land_row(i: int, **overrides: Any) -> list[Any]:
    row = [i, f"3301062024B{i:05d}", project_code(i), f"第{i}号项目", "某某科技有限公司", "出让", "15", 1234.56,
           "2024-03", "2024年1月10日", None, "2024-03-31"]
    for index, value in overrides.items():
        row[int(index.removeprefix("c"))] = value
    return row


def pay_row(i: int, **overrides: Any) -> list[Any]:
    row = [project_code(i), f"第{i}号项目", "县住建局", "一般债券", "1,234,567.89", "1000000", "500,000.10", "2024/3/31"]
    for index, value in overrides.items():
        row[int(index.removeprefix("c"))] = value
    return row


def csv_bytes(rows: list[list[Any]], header: list[str] = PAY_HEADER, encoding: str = "gb18030") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _save(book: Workbook) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
