"""The bulletin as a Word document (python-docx): title, headline figures, one table per section."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from services.escalation.bulletin.model import BulletinFigures
from services.escalation.bulletin.render_html import headline_cards
from services.escalation.bulletin.sections import sections, text


def render_docx(figures: BulletinFigures, revision: int = 1) -> bytes:
    document = Document()
    document.add_heading(figures.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(f"数据截至 {figures.as_of.isoformat()}（北京时间）· 第 {revision} 版")
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for card in headline_cards(figures):
        document.add_paragraph(f"{card['label']}：{card['value']}", style="List Bullet")
    for number, section in enumerate(sections(figures), 1):
        document.add_heading(f"{number}. {section.title}", level=1)
        if not section.rows:
            document.add_paragraph("（无）")
        else:
            table = document.add_table(rows=1, cols=len(section.headers), style="Table Grid")
            for cell, header in zip(table.rows[0].cells, section.headers, strict=True):
                cell.text = header
            for row in section.rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = text(value)
        if section.note:
            document.add_paragraph(section.note)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
