"""The bulletin as one printable HTML page (jinja2, autoescaped)."""
from __future__ import annotations

from decimal import Decimal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.escalation.bulletin.model import BulletinFigures
from services.escalation.bulletin.sections import sections, text

_ENV = Environment(loader=PackageLoader("services.escalation.bulletin", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   undefined=StrictUndefined, keep_trailing_newline=True)
_ENV.filters["cell_text"] = text
_ENV.tests["number_cell"] = lambda cell: isinstance(cell, int | Decimal) and not isinstance(cell, bool)


def headline_cards(figures: BulletinFigures) -> list[dict[str, str]]:
    def pct(value: str | None) -> str:
        return f"{value}%" if value is not None else "—"

    return [
        {"label": "开工率", "value": pct(figures.start_rate.percent)},
        {"label": f"年底开工率预测（目标{pct(figures.start_rate.target_percent)}）", "value": pct(figures.start_forecast.percent)},
        {"label": "竣工率", "value": pct(figures.completion_rate.percent)},
        {"label": "投产率", "value": pct(figures.production_rate.percent)},
        {"label": f"投资完成率（序时{pct(figures.investment.schedule_percent)}）", "value": pct(figures.investment.completion_percent)},
        {"label": "欠进度项目", "value": f"{len(figures.behind)}个"},
        {"label": "闲置地块", "value": f"{len(figures.idle_parcels)}宗"},
        {"label": "在办督办件", "value": f"{figures.open_cases.total}件"},
        {"label": "逾期未解决问题", "value": f"{figures.problems.total.overdue}个"},
        {"label": "会议交办事项落实率", "value": pct(figures.assignment_delivery.total.percent)},
    ]


def render_html(figures: BulletinFigures, revision: int = 1) -> str:
    return _ENV.get_template("bulletin.html.j2").render(
        title=figures.title, as_of=figures.as_of.isoformat(), county_code=figures.county_code, revision=revision,
        cards=headline_cards(figures), sections=sections(figures),
    )
