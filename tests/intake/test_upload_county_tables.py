"""The county's own tables uploaded through the real HTTP path: a 县级重点项目月度推进表 and a 项目问题清单. The job says what
it did with every column, and every cell it read of an accepted row is in the update it published."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from intake_support import fresh_county
from test_uploads_api import stored, upload, uploading

from services.intake import tokens
from services.intake.settings import Settings
from services.tracker.domain import merge, unflatten
from shared.contracts import ProjectUpdated

sys.path.insert(0, str(Path(__file__).parent / "feeds"))
from county_tables import PROBLEM_HEADER, problems_xlsx, progress_row, progress_xlsx  # noqa: E402
from ledgers import project_code  # noqa: E402

PROGRESS_COLUMNS = ["序号", "项目代码", "项目名称", "建设单位", "建设内容及规模", "投资情况(万元)/总投资", "投资情况(万元)/2026年计划投资",
                    "投资情况(万元)/1-{m}月完成投资", "完成率", "形象进度", "存在问题", "下月计划", "下月计划投资(万元)", "责任单位",
                    "分包领导", "备注"]


def value_at(update: dict[str, Any], field: str) -> Any:
    """A mapped field's value in a published update: `ledger.x` in the month's entry, `reported_problems.x` in its problems."""
    head, _, rest = field.partition(".")
    if head == "ledger":
        return (update.get("ledger") or [{}])[0].get(rest)
    if head == "reported_problems":
        return [problem.get(rest) for problem in update.get("reported_problems") or []] or None
    return update.get(field)


def every_column_accounted_for(job: dict[str, Any], headers: list[str]) -> dict[str, dict[str, Any]]:
    columns = {column["column"]: column for column in job["columns"]}
    assert sorted(columns) == sorted(headers)
    for column in columns.values():
        assert (column["status"], bool(column["field"])) == ("mapped", True) or (column["status"], bool(column["why"])) == ("ignored", True)
        if column["status"] == "ignored":
            assert "/" in column["why"] and any("\u4e00" <= ch <= "\u9fff" for ch in column["why"].split("/")[0])  # Chinese first
    return columns


def by_code(events: list[ProjectUpdated]) -> dict[str, dict[str, Any]]:
    return {e.update.project_code or "": e.update.model_dump(mode="json", exclude_none=True) for e in events}


async def test_a_monthly_progress_table_lands_with_its_words_problems_and_month(settings: Settings) -> None:
    county = fresh_county()
    code = [project_code(i, county) for i in (1, 2, 3)]
    progress = "1号楼主体封顶（三期）；\n2号楼基础施工"
    november = progress_xlsx([
        progress_row(code[0], "城西科创园（三期）", 3200.5, "1.土地未交付；\n2.施工许可未办理", progress=progress),
        progress_row(code[1], "城东污水厂", 800, "无"),
        progress_row(code[2], "城南路网", "约三千", "资金缺口1.5亿元"),  # the figure is unreadable: refused with its reason
    ])
    december = progress_xlsx([progress_row(code[0], "城西科创园（三期）", 3900, "1、施工许可未办理。\n2、电力接入未到位")], month=12,
                             date_line="截至2026年12月31日")
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        job = await upload(client, county, token, november, profile="county_progress", name="11月推进表.xlsx")
        first = await stored(settings.nats_url, county)
        later = await upload(client, county, token, december, profile="county_progress", name="12月推进表.xlsx")
    assert (job["status"], job["rows_total"], job["rows_accepted"], job["rows_rejected"]) == ("done", 3, 2, 1), job
    columns = every_column_accounted_for(job, [c.format(m=11) for c in PROGRESS_COLUMNS])
    assert columns["存在问题"]["also"] == ["reported_problems.description"] and columns["完成率"]["status"] == "ignored"
    updates = by_code(first)
    assert sorted(updates) == code[:2]
    one = updates[code[0]]
    assert (one["ledger_month"], one["investment_ytd_fen"], one["owner_unit"], one["source_record_time"]) == (
        "2026-11", 3_200_500_000, "县城投集团（三期）有限公司", "2026-11-30T10:00:00Z")
    assert one["ledger"] == [{"month": "2026-11", "progress": progress, "problems": "1.土地未交付；\n2.施工许可未办理",
                              "next_month_plan": "完成主体封顶", "next_month_plan_fen": 1_500_000_000}]
    assert [(p["description"], p["month"]) for p in one["reported_problems"]] == [("土地未交付", "2026-11"), ("施工许可未办理", "2026-11")]
    assert "reported_problems" not in updates[code[1]] and "problems" not in updates[code[1]]["ledger"][0]  # 无: none
    for column in columns.values():  # nothing read from an accepted row is dropped on the way out
        if column["status"] == "mapped":
            assert value_at(one, column["field"]) is not None, column
    assert later["rows_accepted"] == 1
    events = sorted(await stored(settings.nats_url, county), key=lambda e: e.update.source_record_time)
    state: dict[str, Any] = {}
    for event in events:
        if event.update.project_code == code[0]:
            state, _ = merge(state, event.update, str(event.event_id))
    problems = {p["description"]: p["month"] for p in unflatten(state)["reported_problems"]}
    # reported again in December (numbered otherwise, a full stop added): the same problem in December's words, not a second one
    assert problems == {"土地未交付": "2026-11", "施工许可未办理。": "2026-12", "电力接入未到位": "2026-12"}


async def test_a_problem_list_with_merged_project_cells_gives_one_problem_per_row(settings: Settings) -> None:
    county = fresh_county()
    code = [project_code(i, county) for i in (1, 2)]
    data = problems_xlsx([
        (code[0], "城西科创园", [["WT-2026-031", "用地", "地块尚有3户未完成征迁（三期）", "县自然资源局", "2026-10-05", "2026-12-31", "正在协调"],
                                 [None, "审批", "1.施工许可未办理；2.消防审查未通过", "县住建局", "2026/11/2", None, None],
                                 [None, "其他", None, "县发改局", None, None, None]]),  # no problem written: refused, said why
        (code[1], "城东污水厂", [[None, "资金", "资金缺口1.5亿元", "县财政局", "2026年11月20日", None, "已上报"]]),
    ])
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        job = await upload(client, county, token, data, profile="project_problems", name="问题清单.xlsx")
        report = await client.get(f"/v1/counties/{county}/uploads/{job['job_id']}/errors.csv", headers={"Authorization": f"Bearer {token}"})
    assert (job["status"], job["rows_total"], job["rows_accepted"], job["rows_rejected"]) == ("done", 4, 3, 1), job
    columns = every_column_accounted_for(job, PROBLEM_HEADER)
    assert "督办案件" in columns["办结时限"]["why"] and "督办案件" in columns["办理进展"]["why"]
    assert "未填写问题内容" in report.content.decode("utf-8-sig")
    events = await stored(settings.nats_url, county)
    problems = [(e.update.project_code, p) for e in events for p in e.update.reported_problems or ()]
    assert all(e.update.source_record_time.isoformat() == "2026-11-30T10:00:00+00:00" and e.update.ledger is None for e in events)
    first = next(p for c, p in problems if p.key == "WT-2026-031")
    assert (first.description, first.category, first.responsible_department, str(first.reported_on), first.month) == (
        "地块尚有3户未完成征迁（三期）", "用地", "县自然资源局", "2026-10-05", "2026-11")
    split = sorted(p.description for c, p in problems if c == code[0] and p.category == "审批")
    assert split == ["施工许可未办理", "消防审查未通过"]  # the merged project cell is the row's project
    funds = next(p for c, p in problems if c == code[1])
    assert funds.key.startswith("Q") and str(funds.reported_on) == "2026-11-20"
    assert len({e.update.source_record_id for e in events}) == 3  # one record per project and problem
