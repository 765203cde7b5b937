"""会议纪要 and 交办清单 of one meeting, in Chinese, as HTML and as a Word document (python-docx)."""
from __future__ import annotations

import html
import io
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from services.escalation.problems.agenda import KINDS

HEADERS = ("编号", "项目", "交办事项", "承办单位", "配合单位", "跟踪领导", "办结期限")


def _rows(assignments: list[dict[str, Any]], names: dict[str, str]) -> list[tuple[str, ...]]:
    return [(a["number"], names.get(a["project_id"] or "", "—"), a["decision"], a["handler_department"],
             "、".join(a["co_departments"] or ()) or "—", a["follow_up_leader"], a["deadline"].isoformat()) for a in assignments]


def _lines(meeting: dict[str, Any]) -> list[str]:
    attendees = "、".join(a["name"] for a in meeting["attendees"]) or "—"
    return [f"会议类型：{KINDS[meeting['kind']]}", f"会议时间：{meeting['held_on'].isoformat()}", f"主持：{meeting['chair']}",
            f"参会单位和人员：{attendees}"]


def render_minutes_html(meeting: dict[str, Any], assignments: list[dict[str, Any]], names: dict[str, str]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in HEADERS)
    body = "".join("<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in _rows(assignments, names))
    agenda = "".join(f"<li>{e(i['title'])}</li>" for i in meeting["agenda"])
    return (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{e(meeting['title'])}纪要</title><body>"
            f"<h1>{e(meeting['title'])}纪要</h1><p>{e(meeting['minutes_number'] or '')}</p>"
            + "".join(f"<p>{e(line)}</p>" for line in _lines(meeting))
            + f"<h2>一、会议议题</h2><ol>{agenda}</ol><h2>二、交办清单</h2><table><tr>{head}</tr>{body}</table></body></html>")


def render_minutes_docx(meeting: dict[str, Any], assignments: list[dict[str, Any]], names: dict[str, str]) -> bytes:
    document = Document()
    document.add_heading(f"{meeting['title']}纪要", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(meeting["minutes_number"] or "").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in _lines(meeting):
        document.add_paragraph(line)
    document.add_heading("一、会议议题", level=1)
    for item in meeting["agenda"]:
        document.add_paragraph(item["title"], style="List Number")
    document.add_heading("二、交办清单", level=1)
    table = document.add_table(rows=1, cols=len(HEADERS), style="Table Grid")
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = header
    for row in _rows(assignments, names):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
