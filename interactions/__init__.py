"""dosecheck's clinical core: the knowledge base, name resolution and the rules engine (no gRPC)."""

from interactions.describe import DrugDescription, describe_drug
from interactions.engine import check
from interactions.index import KnowledgeBase
from interactions.loading import load_knowledge_base
from interactions.model import (
    Action,
    CheckRequest,
    CheckRequestLike,
    CheckResult,
    Citation,
    Coding,
    DoseRecommendation,
    FieldViolation,
    Finding,
    HoldReason,
    InvalidRequestError,
    Mechanism,
    Medication,
    MedicationLike,
    MonitoringEvent,
    MonitoringTest,
    PatientContext,
    PatientLike,
    RampStep,
    Severity,
    UnrecognizedMedication,
    UnrecognizedReason,
)
from interactions.problems import KnowledgeBaseError, Problem

__all__ = [
    "Action",
    "CheckRequest",
    "CheckRequestLike",
    "CheckResult",
    "Citation",
    "Coding",
    "DoseRecommendation",
    "DrugDescription",
    "FieldViolation",
    "Finding",
    "HoldReason",
    "InvalidRequestError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Mechanism",
    "Medication",
    "MedicationLike",
    "MonitoringEvent",
    "MonitoringTest",
    "PatientContext",
    "PatientLike",
    "Problem",
    "RampStep",
    "Severity",
    "UnrecognizedMedication",
    "UnrecognizedReason",
    "check",
    "describe_drug",
    "load_knowledge_base",
]
