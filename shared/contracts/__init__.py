"""The contracts between services: event models and their committed JSON schemas."""
from shared.contracts.base import Contract, Event
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
    DelayCause,
    GovernmentDelay,
    LandParcel,
    Milestone,
    Nature,
    OverrunApproval,
    ProjectFacts,
    ProjectSnapshot,
    ProjectStateChanged,
    ProjectUpdate,
    ProjectUpdated,
    Stage,
)

EVENTS: tuple[type[Event], ...] = (
    ProjectUpdated,
    ProjectStateChanged,
    EscalationRaised,
    EscalationEscalated,
    EscalationResolved,
    NotificationSent,
)

__all__ = [
    "EVENTS", "Contract", "DelayCause", "EscalationEscalated", "EscalationFacts", "EscalationRaised",
    "EscalationResolved", "Event", "GovernmentDelay", "LandParcel", "Milestone", "Nature",
    "NotificationSent", "OverrunApproval", "ProjectFacts", "ProjectSnapshot", "ProjectStateChanged",
    "ProjectUpdate", "ProjectUpdated", "Recipient", "RecipientKind", "Stage",
]
