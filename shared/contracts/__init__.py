"""The contracts between services: event models and their committed JSON schemas."""
from shared.contracts.base import Contract, Event
from shared.contracts.case import BulletinPublished, CaseAction, CaseChanged, CaseState
from shared.contracts.coordination import CoordinationChanged
from shared.contracts.escalation import (
    EscalationEscalated,
    EscalationFacts,
    EscalationRaised,
    EscalationResolved,
    Recipient,
    RecipientKind,
)
from shared.contracts.notification import NotificationSent
from shared.contracts.project import (
    AnnualPlan,
    ApprovalKind,
    BaselineReason,
    CentralFund,
    Colour,
    DelayCause,
    ExpropriationProgress,
    GovernmentDelay,
    LandParcel,
    LedgerMonth,
    Milestone,
    Nature,
    OverrunApproval,
    ProjectApproval,
    ProjectFacts,
    ProjectSnapshot,
    ProjectStateChanged,
    ProjectUpdate,
    ProjectUpdated,
    ReportedProblem,
    SmePayment,
    Stage,
)

EVENTS: tuple[type[Event], ...] = (
    ProjectUpdated,
    ProjectStateChanged,
    EscalationRaised,
    EscalationEscalated,
    EscalationResolved,
    NotificationSent,
    CaseChanged,
    BulletinPublished,
    CoordinationChanged,
)

__all__ = [
    "EVENTS", "ApprovalKind", "BaselineReason", "BulletinPublished", "CaseAction", "CaseChanged", "CaseState",
    "AnnualPlan", "CentralFund", "Colour", "CoordinationChanged", "LedgerMonth", "ProjectApproval", "SmePayment", "Contract", "DelayCause", "EscalationEscalated", "EscalationFacts", "EscalationRaised",
    "EscalationResolved", "Event", "ExpropriationProgress", "ReportedProblem", "GovernmentDelay", "LandParcel", "Milestone", "Nature",
    "NotificationSent", "OverrunApproval", "ProjectFacts", "ProjectSnapshot", "ProjectStateChanged",
    "ProjectUpdate", "ProjectUpdated", "Recipient", "RecipientKind", "Stage",
]
