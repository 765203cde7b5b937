"""The shared catalogue covers what the rules write, and documents and messages read as words: no snake_case, no rule ids."""
from __future__ import annotations

import io
from datetime import date

from docx import Document

from services.escalation.bulletin.render_docx import render_docx
from services.escalation.bulletin.render_html import render_html
from services.escalation.domain.catalog import SPECS
from services.notifier.messages import render_event
from services.notifier.messages_cases import render_bulletin, render_case
from shared.contracts import BulletinPublished, Recipient
from shared.labels import EVIDENCE, HEADLINE, POLICY, RULES
from shared.wording import changed_fields, evidence_lines, evidence_value, field_path, money, subject_text
from tests.support.realistic import demo_events
from tests.support.visible import raw_identifiers, visible_text
from tests.unit.escalation.bulletin.test_bulletin_figures import figures


def test_every_rule_and_every_evidence_key_the_rules_write_has_a_label() -> None:
    assert set(SPECS) <= set(RULES)
    for county in ("330106", "330782"):
        for day in (date(2026, 3, 2), date(2026, 11, 23), date(2026, 12, 10)):
            for e in demo_events(county, day).escalations:
                for key in e.evidence:
                    assert key in EVIDENCE or key.removeprefix("threshold.") in POLICY, key
                for text in (e.summary, subject_text(e.subject), *(f"{k}：{v}" for k, v in evidence_lines(e.evidence))):
                    assert not raw_identifiers(text), text


def test_messages_read_as_words() -> None:
    demo = demo_events("330106", date(2026, 12, 10))
    person = Recipient(kind="department", name="自然资源局")
    texts = [m.text_plain + m.title for e in demo.escalations for m in [render_event(e, person)]]
    texts += [m.text_plain + m.title for c in demo.cases for m in [render_case(c, person)]]
    bulletin = BulletinPublished(event_id="0b7e4f2a-3c5d-4e6f-8a9b-1c2d3e4f5a61", occurred_at="2026-12-06T01:00:00Z", county_code="330106",
                                 correlation_id="c", bulletin_id="0b7e4f2a-3c5d-4e6f-8a9b-1c2d3e4f5a61", month="2026-11", title="通报",
                                 headline={k: "1" for k in HEADLINE}, links={"html": "/b.html"}, recipients=(), summary="通报")
    texts.append(render_bulletin(bulletin, person, "http://console").text_plain.replace("http://console/b.html", ""))
    for text in texts:
        assert not raw_identifiers(text), text


def test_bulletin_documents_read_as_words() -> None:
    f = figures()
    assert set(f.headline()) <= set(HEADLINE)
    assert not raw_identifiers(visible_text(render_html(f)))
    document = Document(io.BytesIO(render_docx(f)))
    text = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert not raw_identifiers(text)


def test_paths_subjects_and_money_in_words() -> None:
    assert field_path("land_parcels.XH-2025.017.developed_area_m2") == "地块XH-2025.017·已开发面积"
    assert field_path("total_investment_fen") == "总投资" and field_path("ledger.2026-02.ytd_fen") == "月度台账2026-02·年度累计"
    assert changed_fields(["name", "ledger.2026-01.plan_fen", "ledger.2026-01.ytd_fen", "land_parcels.XH-1.developed_area_m2"]) == [
        "项目名称", "月度台账2026-01", "地块XH-1·已开发面积"]
    assert subject_text("parcel:XH-1") == "地块XH-1" and subject_text("start_vs_land") == "开工统计与土地动工"
    assert subject_text("investment:ytd") == "投资进度·年度累计"
    assert money(20_833_333_333) == "2.08亿元" and money(1_234_567_89) == "123.46万元" and money(None) == "—"
    assert money(1_999_999_99, exact=True) == "199.999999万元"


def test_evidence_money_keeps_every_fen_so_a_figure_never_reads_as_on_its_line() -> None:
    """An overrun 0.01 元 past 20% of a 10亿 budget: the evidence shows the 0.01 元, never a rounded 12.00亿元."""
    assert evidence_value("budget_fen", "100000000000") == "10.00亿元"
    assert evidence_value("spent_cost_fen", "120000000001") == "12.0000000001亿元"
    assert evidence_value("overrun_fen", "1") == "0.01元"
    assert evidence_value("threshold.idle_fee_fen", "2083333333") == "2,083.333333万元"
