"""escalation's own tables: its projection of project facts, the escalations, and the plumbing."""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from shared.persistence import SequenceId, dead_letters_table, outbox_table, processed_events_table

metadata = MetaData()
DUE_NOW = date(2000, 1, 1)  # next_due of a row no evaluation has dated yet: due at the next sweep

# Built from tracker's events only (never from tracker's tables); the version guard keeps the newest.
project_facts = Table(
    "project_facts",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The first Beijing day its findings can change with no new facts (domain/due.py); the sweep reads only rows due.
    Column("next_due", Date, nullable=False, server_default=text(f"'{DUE_NOW.isoformat()}'")),
    Index("ix_project_facts_due", "next_due", "project_id"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", String(36), primary_key=True),
    Column("escalation_key", String(300), nullable=False),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("rule_id", String(50), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("occurrence", String(100), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("level_name", String(100), nullable=False),
    Column("status", String(10), nullable=False),  # open | cleared
    Column("as_of", Date, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("cleared_at", DateTime(timezone=True), nullable=True),
    Index("ix_escalations_key_status", "escalation_key", "status"),
    Index("ix_escalations_county_status", "county_code", "status"),
)

escalation_history = Table(
    "escalation_history",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("escalation_id", String(36), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # raised | escalated | resolved
    Column("level", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Work only one replica may do at a time (the sweep): held until `until`, renewed while working.
leases = Table(
    "leases",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

# Every projected version, kept for as-of evaluation and policy backtests over stored history.
project_facts_history = Table(
    "project_facts_history",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("project_id", String(36), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("known_from", DateTime(timezone=True), nullable=True),  # the snapshot's newest source record time
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "version", name="uq_facts_history_version"),
    Index("ix_facts_history_county_known", "county_code", "known_from"),
)

# The policies that raised escalations: a changed policy file is a new version, old ones stay readable.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("policy_version", Integer, primary_key=True),
    Column("content", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

# People the county issues: they act on cases under their own identity and role.
people = Table(
    "people",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("login", String(50), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),  # office | leader | department | readonly
    Column("department", String(100), nullable=True),  # a department handler's department; a leader's name in the facts
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A person's signed-in sessions: an access token of its own (kept as its sha256), never the person's password.
person_sessions = Table(
    "person_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Every sign-in attempt (the audit of failed logins) and what the throttle counts.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("login", String(50), nullable=False),
    Column("address", String(64), nullable=False),
    Column("outcome", String(10), nullable=False),  # ok | wrong | throttled
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_login_attempts_login_at", "login", "at"),
    Index("ix_login_attempts_address_at", "address", "at"),
)

# A case (督办单): one per escalation, worked by people until it closes.
cases = Table(
    "cases",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("escalation_id", String(36), nullable=False, unique=True),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("rule_id", String(50), nullable=False),
    Column("state", String(20), nullable=False),
    Column("ladder_level", Integer, nullable=False),
    Column("target_kind", String(20), nullable=False),  # department | leader | office: who must act now
    Column("target_name", String(100), nullable=False),
    Column("due_on", Date, nullable=True),
    Column("due_provisional", Boolean, nullable=False),
    Column("step_started_on", Date, nullable=False),
    Column("paused_since", Date, nullable=True),
    Column("paused_days", Integer, nullable=False),
    Column("exception", JSON, nullable=True),
    Column("letter", JSON, nullable=True),  # 交办函: number, handler, deadline
    Column("red_since", Date, nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("policy_version", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("clock_due", Date, nullable=True),  # the first day the ladder's clocks can climb it (cases/clock_due.py); None: never
    Index("ix_cases_county_state", "county_code", "state"),
    Index("ix_cases_clock_due", "clock_due", "case_id"),
    Index("ix_cases_county_target", "county_code", "target_name"),
)

# The audit log: every action on a case, by whom (a person, or None for the system's clock) and when.
case_actions = Table(
    "case_actions",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("action", String(30), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("from_state", String(20), nullable=True),
    Column("to_state", String(20), nullable=False),
    Column("ladder_level", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("acted_at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
)

# A project's reported difficulty (存在问题), worked at the lowest level that can solve it (problems/lifecycle.py).
problems = Table(
    "problems",
    metadata,
    Column("problem_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("project_id", String(36), nullable=False, index=True),
    Column("problem_key", String(100), nullable=False),  # the county's own number, else a digest of the text (intake)
    Column("category", String(20), nullable=False),
    Column("description", Text, nullable=False),  # as written
    Column("source", String(10), nullable=False),  # ledger | console | api | cli | case
    Column("raised_by", String(100), nullable=False),
    Column("responsible_department", String(100), nullable=True),
    Column("leader", String(100), nullable=True),
    Column("state", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("target_kind", String(20), nullable=False),
    Column("target_name", String(100), nullable=False),
    Column("level_started_on", Date, nullable=False),
    Column("due_on", Date, nullable=True),  # None while a meeting or an assignment holds it
    Column("first_month", String(7), nullable=True),  # ledger months it was reported in: first, last, how many
    Column("last_month", String(7), nullable=True),
    Column("months_reported", Integer, nullable=False),
    Column("meeting_id", String(36), nullable=True),
    Column("assignment_id", String(36), nullable=True),
    Column("resolution", JSON, nullable=True),  # what was done and its evidence
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "problem_key", name="uq_problems_project_key"),
    Index("ix_problems_county_state", "county_code", "state"),
    Index("ix_problems_due", "due_on"),
)

# 联席会议, 调度会, 专题会: scheduled by the office, an agenda drafted by Tuijin and edited, decisions per item.
meetings = Table(
    "meetings",
    metadata,
    Column("meeting_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # joint | scheduling | topic
    Column("title", String(200), nullable=False),
    Column("held_on", Date, nullable=False),
    Column("chair", String(100), nullable=False),
    Column("attendees", JSON, nullable=False),  # [{kind, name}]
    Column("agenda", JSON, nullable=False),  # [{item_kind, item_id, title, project_id, ...}] in the office's order
    Column("state", String(20), nullable=False),  # scheduled | held
    Column("minutes_number", String(50), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# 交办事项: a meeting's decision on one agenda item, tracked like a case until it is closed (销号).
assignments = Table(
    "assignments",
    metadata,
    Column("assignment_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("meeting_id", String(36), nullable=False, index=True),
    Column("item_id", String(36), nullable=False),  # the agenda item decided (a problem, a case, a project, an assignment)
    Column("item_kind", String(20), nullable=False),
    Column("project_id", String(36), nullable=True),
    Column("number", String(50), nullable=False),
    Column("decision", Text, nullable=False),
    Column("handler_department", String(100), nullable=False),
    Column("co_departments", JSON, nullable=False),
    Column("follow_up_leader", String(100), nullable=False),
    Column("deadline", Date, nullable=False),  # the meeting's
    Column("state", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("target_kind", String(20), nullable=False),
    Column("target_name", String(100), nullable=False),
    Column("due_on", Date, nullable=True),  # the current step's (a climb sets a new one)
    Column("report", JSON, nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("meeting_id", "item_id", name="uq_assignments_item"),
    Index("ix_assignments_county_state", "county_code", "state"),
    Index("ix_assignments_due", "due_on"),
)

# The audit log of problems, meetings and assignments, as case_actions is for cases.
coordination_actions = Table(
    "coordination_actions",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("item_kind", String(20), nullable=False),
    Column("item_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("action", String(30), nullable=False),
    Column("actor_id", String(36), nullable=True),
    Column("actor_name", String(100), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("from_state", String(20), nullable=True),
    Column("to_state", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("acted_at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
)

# 移送: a finding addressed to an oversight body (纪委监委, 审计局) is referred to it as a record of its own, with
# the evidence pack, until that body acknowledges it; the project's own case stays with the lead department.
referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("escalation_id", String(36), nullable=False),
    Column("project_id", String(36), nullable=False, index=True),
    Column("rule_id", String(50), nullable=False),
    Column("target_kind", String(20), nullable=False),
    Column("target_name", String(100), nullable=False),  # the body it is referred to
    Column("state", String(20), nullable=False),  # referred | acknowledged
    Column("pack", JSON, nullable=False),
    Column("referred_on", Date, nullable=False),
    Column("acknowledged_on", Date, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("escalation_id", "target_name", name="uq_referrals_body"),
    Index("ix_referrals_county_state", "county_code", "state"),
)

# Sequential document numbers per county, kind and year (会议纪要, 交办清单): the last one issued.
document_numbers = Table(
    "document_numbers",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

# Per county, the basis its projects' next_due were computed on (policy, rule versions, holiday calendar); a new
# basis re-evaluates the county in chunks, `after` the last project done, so a restart resumes.
evaluation_basis = Table(
    "evaluation_basis",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("done", Boolean, nullable=False),
    Column("after", String(36), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Monthly bulletins (每月通报), one row per county, month and revision (an on-demand rerun is a new revision).
bulletins = Table(
    "bulletins",
    metadata,
    Column("bulletin_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("month", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("figures", JSON, nullable=False),
    Column("html", Text, nullable=False),
    Column("xlsx", LargeBinary, nullable=False),
    Column("docx", LargeBinary, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("county_code", "month", "revision", name="uq_bulletins_revision"),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
dead_letters = dead_letters_table(metadata)
