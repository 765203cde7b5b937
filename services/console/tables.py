"""console's read model: projects with their filter columns, escalations, cases, bulletins; built from events only."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from shared.persistence import dead_letters_table, processed_events_table

metadata = MetaData()
# What the overview's, the rankings' and the filters' counts read (see the index on projects).
FIGURE_COLUMNS = ("county_code", "stage", "colour_fresh", "colour_stale", "last_record_at", "township", "responsible_unit", "leader",
                  "nature", "annual_plan_fen", "investment_ytd_fen", "figures_year", "households_total", "households_signed", "start_planned",
                  "start_actual", "completion_planned", "completion_actual", "production_planned", "production_actual")

# One row per project, newest version wins; the columns the list filters and sorts on are copied
# out of the snapshot so a county of 2,000 projects is filtered by the database, not in Python.
projects = Table(
    "projects",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("project_code", String(24), nullable=True),
    Column("name", String(200), nullable=True),
    Column("stage", String(20), nullable=True),
    Column("nature", String(20), nullable=True),
    Column("township", String(100), nullable=True),
    Column("responsible_unit", String(100), nullable=True),
    Column("lead_department", String(100), nullable=True),
    Column("leader", String(100), nullable=True),
    # The colour as it would be with fresh data and with stale data: which one holds depends on
    # today (no source record for a month), so the reader picks one without rewriting rows daily.
    Column("colour_fresh", String(10), nullable=False),
    Column("colour_stale", String(10), nullable=False),
    Column("last_record_at", DateTime(timezone=True), nullable=True),
    Column("total_investment_fen", BigInteger, nullable=True),
    Column("annual_plan_fen", BigInteger, nullable=True),
    Column("investment_ytd_fen", BigInteger, nullable=True),
    Column("figures_year", Integer, nullable=True),  # the year of the two above: the newest ledger month's (None: no ledger)
    Column("households_total", Integer, nullable=True),
    Column("households_signed", Integer, nullable=True),
    Column("start_planned", Date, nullable=True),
    Column("start_actual", Date, nullable=True),
    Column("completion_planned", Date, nullable=True),
    Column("completion_actual", Date, nullable=True),
    Column("production_planned", Date, nullable=True),
    Column("production_actual", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_projects_county_stage", "county_code", "stage"),
    # Covers the overview's, the rankings' and the filters' counts: the database reads this index, not the rows with
    # their snapshots (20,000 projects stay under 300 ms).
    Index("ix_console_projects_figures", *FIGURE_COLUMNS),
    Index("ix_console_projects_county_name", "county_code", "name", "project_id"),  # the list's default order, a page at a time
)

# The change log with its source systems, one row per ProjectStateChanged.
project_changes = Table(
    "project_changes",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_fields", JSON, nullable=False),
    Column("source_system", String(200), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),  # when tracker applied it
    Column("source_record_time", DateTime(timezone=True), nullable=True),  # when the county recorded it (events before it: none)
    Index("ix_console_changes_county_time", "county_code", "occurred_at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", String(36), primary_key=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("rule_id", String(50), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("level", Integer, nullable=False),
    Column("level_name", String(100), nullable=False),
    Column("status", String(10), nullable=False),  # open | resolved
    Column("colour", String(10), nullable=False),  # the finding's colour (evidence `colour`, else from the level)
    Column("evidence", JSON, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),  # occurred_at of the newest event applied
    Index("ix_console_escalations_county_status", "county_code", "status"),
)

# Every escalation and case event as it was recorded here: the history, and what the live panel polls
# (by recorded_at, the time this read model learnt it, so any replica sees what any consumer wrote).
escalation_events = Table(
    "escalation_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("escalation_id", String(36), nullable=False, index=True),
    Column("project_id", String(36), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("level", Integer, nullable=False),
    Column("level_name", String(100), nullable=False),
    Column("summary", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_esc_events_county_recorded", "county_code", "recorded_at"),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("escalation_id", String(36), nullable=False),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("rule_id", String(50), nullable=False),
    Column("state", String(20), nullable=False),
    Column("ladder_level", Integer, nullable=False),
    Column("level_name", String(100), nullable=False),
    Column("due_on", Date, nullable=True),
    Column("due_provisional", Boolean, nullable=False),
    Column("clocks_paused", Boolean, nullable=False),
    Column("target_kind", String(20), nullable=True),
    Column("target_name", String(100), nullable=True),
    Column("summary", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_cases_county_state", "county_code", "state"),
)

case_events = Table(
    "case_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("project_id", String(36), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("action", String(30), nullable=False),
    Column("state", String(20), nullable=False),
    Column("ladder_level", Integer, nullable=False),
    Column("actor", String(100), nullable=True),
    Column("note", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_case_events_county_recorded", "county_code", "recorded_at"),
)

# Which departments a project was routed to (any escalation recipient or case target): a department
# sees these projects and no others.
project_routes = Table(
    "project_routes",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("department", String(100), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Index("ix_console_routes_county_department", "county_code", "department"),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("bulletin_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("month", String(7), nullable=False),
    Column("title", Text, nullable=False),
    Column("headline", JSON, nullable=False),
    Column("links", JSON, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
)

# Signed-in sessions, server side: the cookie holds only a random id (kept here as its sha256). The row keeps
# escalation's access token for this session (never the password) and the session's CSRF token.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("access_token", String(200), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

processed_events = processed_events_table(metadata)
dead_letters = dead_letters_table(metadata)
