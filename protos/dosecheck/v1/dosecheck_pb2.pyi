from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class View(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VIEW_UNSPECIFIED: _ClassVar[View]
    VIEW_BASIC: _ClassVar[View]
    VIEW_FULL: _ClassVar[View]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_MINOR: _ClassVar[Severity]
    SEVERITY_MODERATE: _ClassVar[Severity]
    SEVERITY_MAJOR: _ClassVar[Severity]
    SEVERITY_CONTRAINDICATED: _ClassVar[Severity]

class Action(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_UNSPECIFIED: _ClassVar[Action]
    ACTION_CONTINUE: _ClassVar[Action]
    ACTION_MONITOR: _ClassVar[Action]
    ACTION_ADJUST_DOSE: _ClassVar[Action]
    ACTION_HOLD: _ClassVar[Action]
    ACTION_AVOID_COMBINATION: _ClassVar[Action]
    ACTION_DISCONTINUE: _ClassVar[Action]

class Mechanism(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MECHANISM_UNSPECIFIED: _ClassVar[Mechanism]
    MECHANISM_CYP3A4_STRONG_INHIBITOR: _ClassVar[Mechanism]
    MECHANISM_CYP3A4_MODERATE_INHIBITOR: _ClassVar[Mechanism]
    MECHANISM_CYP3A4_STRONG_INDUCER: _ClassVar[Mechanism]
    MECHANISM_CYP3A4_MODERATE_INDUCER: _ClassVar[Mechanism]
    MECHANISM_PGP_INHIBITOR: _ClassVar[Mechanism]
    MECHANISM_PGP_INDUCER: _ClassVar[Mechanism]
    MECHANISM_SEROTONERGIC_RECEPTOR: _ClassVar[Mechanism]
    MECHANISM_QT_PROLONGATION: _ClassVar[Mechanism]
    MECHANISM_FOOD_INTERACTION: _ClassVar[Mechanism]
    MECHANISM_QTC_THRESHOLD: _ClassVar[Mechanism]
    MECHANISM_OTHER_PHARMACOKINETIC: _ClassVar[Mechanism]
    MECHANISM_THERAPEUTIC_DUPLICATION: _ClassVar[Mechanism]
    MECHANISM_PATIENT_FACTOR: _ClassVar[Mechanism]
    MECHANISM_LABELLED_DOSE: _ClassVar[Mechanism]

class MonitoringTest(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MONITORING_TEST_UNSPECIFIED: _ClassVar[MonitoringTest]
    MONITORING_TEST_ECG: _ClassVar[MonitoringTest]
    MONITORING_TEST_ELECTROLYTES: _ClassVar[MonitoringTest]
    MONITORING_TEST_LIVER_FUNCTION: _ClassVar[MonitoringTest]
    MONITORING_TEST_RENAL_FUNCTION: _ClassVar[MonitoringTest]
    MONITORING_TEST_BLOOD_COUNTS: _ClassVar[MonitoringTest]
    MONITORING_TEST_TUMOR_LYSIS_LABS: _ClassVar[MonitoringTest]
    MONITORING_TEST_CLINICAL_ASSESSMENT: _ClassVar[MonitoringTest]

class HoldReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_REASON_UNSPECIFIED: _ClassVar[HoldReason]
    HOLD_REASON_QTC_PROLONGATION: _ClassVar[HoldReason]
    HOLD_REASON_PANCREATITIS: _ClassVar[HoldReason]
    HOLD_REASON_DIFFERENTIATION_SYNDROME: _ClassVar[HoldReason]
    HOLD_REASON_OTHER_ADVERSE_REACTION: _ClassVar[HoldReason]
    HOLD_REASON_OTHER: _ClassVar[HoldReason]

class UnrecognizedReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNRECOGNIZED_REASON_UNSPECIFIED: _ClassVar[UnrecognizedReason]
    UNRECOGNIZED_REASON_UNKNOWN: _ClassVar[UnrecognizedReason]
    UNRECOGNIZED_REASON_NOT_REVIEWED: _ClassVar[UnrecognizedReason]
    UNRECOGNIZED_REASON_CONFLICT: _ClassVar[UnrecognizedReason]
VIEW_UNSPECIFIED: View
VIEW_BASIC: View
VIEW_FULL: View
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_MINOR: Severity
SEVERITY_MODERATE: Severity
SEVERITY_MAJOR: Severity
SEVERITY_CONTRAINDICATED: Severity
ACTION_UNSPECIFIED: Action
ACTION_CONTINUE: Action
ACTION_MONITOR: Action
ACTION_ADJUST_DOSE: Action
ACTION_HOLD: Action
ACTION_AVOID_COMBINATION: Action
ACTION_DISCONTINUE: Action
MECHANISM_UNSPECIFIED: Mechanism
MECHANISM_CYP3A4_STRONG_INHIBITOR: Mechanism
MECHANISM_CYP3A4_MODERATE_INHIBITOR: Mechanism
MECHANISM_CYP3A4_STRONG_INDUCER: Mechanism
MECHANISM_CYP3A4_MODERATE_INDUCER: Mechanism
MECHANISM_PGP_INHIBITOR: Mechanism
MECHANISM_PGP_INDUCER: Mechanism
MECHANISM_SEROTONERGIC_RECEPTOR: Mechanism
MECHANISM_QT_PROLONGATION: Mechanism
MECHANISM_FOOD_INTERACTION: Mechanism
MECHANISM_QTC_THRESHOLD: Mechanism
MECHANISM_OTHER_PHARMACOKINETIC: Mechanism
MECHANISM_THERAPEUTIC_DUPLICATION: Mechanism
MECHANISM_PATIENT_FACTOR: Mechanism
MECHANISM_LABELLED_DOSE: Mechanism
MONITORING_TEST_UNSPECIFIED: MonitoringTest
MONITORING_TEST_ECG: MonitoringTest
MONITORING_TEST_ELECTROLYTES: MonitoringTest
MONITORING_TEST_LIVER_FUNCTION: MonitoringTest
MONITORING_TEST_RENAL_FUNCTION: MonitoringTest
MONITORING_TEST_BLOOD_COUNTS: MonitoringTest
MONITORING_TEST_TUMOR_LYSIS_LABS: MonitoringTest
MONITORING_TEST_CLINICAL_ASSESSMENT: MonitoringTest
HOLD_REASON_UNSPECIFIED: HoldReason
HOLD_REASON_QTC_PROLONGATION: HoldReason
HOLD_REASON_PANCREATITIS: HoldReason
HOLD_REASON_DIFFERENTIATION_SYNDROME: HoldReason
HOLD_REASON_OTHER_ADVERSE_REACTION: HoldReason
HOLD_REASON_OTHER: HoldReason
UNRECOGNIZED_REASON_UNSPECIFIED: UnrecognizedReason
UNRECOGNIZED_REASON_UNKNOWN: UnrecognizedReason
UNRECOGNIZED_REASON_NOT_REVIEWED: UnrecognizedReason
UNRECOGNIZED_REASON_CONFLICT: UnrecognizedReason
FULL_VIEW_FIELD_NUMBER: _ClassVar[int]
full_view: _descriptor.FieldDescriptor

class Coding(_message.Message):
    __slots__ = ("system", "code", "display")
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    system: str
    code: str
    display: str
    def __init__(self, system: _Optional[str] = ..., code: _Optional[str] = ..., display: _Optional[str] = ...) -> None: ...

class Medication(_message.Message):
    __slots__ = ("name", "dose_mg", "frequency", "held", "coding", "hold_reason", "qtc_at_hold_ms", "treatment_day", "stopped_on")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOSE_MG_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    CODING_FIELD_NUMBER: _ClassVar[int]
    HOLD_REASON_FIELD_NUMBER: _ClassVar[int]
    QTC_AT_HOLD_MS_FIELD_NUMBER: _ClassVar[int]
    TREATMENT_DAY_FIELD_NUMBER: _ClassVar[int]
    STOPPED_ON_FIELD_NUMBER: _ClassVar[int]
    name: str
    dose_mg: float
    frequency: str
    held: bool
    coding: _containers.RepeatedCompositeFieldContainer[Coding]
    hold_reason: HoldReason
    qtc_at_hold_ms: float
    treatment_day: int
    stopped_on: str
    def __init__(self, name: _Optional[str] = ..., dose_mg: _Optional[float] = ..., frequency: _Optional[str] = ..., held: _Optional[bool] = ..., coding: _Optional[_Iterable[_Union[Coding, _Mapping]]] = ..., hold_reason: _Optional[_Union[HoldReason, str]] = ..., qtc_at_hold_ms: _Optional[float] = ..., treatment_day: _Optional[int] = ..., stopped_on: _Optional[str] = ...) -> None: ...

class PatientContext(_message.Message):
    __slots__ = ("qtc_ms", "baseline_qtc_ms", "cycle_start_date", "cycle_length_days", "as_of_date", "qtc_day", "potassium_mmol_l", "magnesium_mmol_l", "congenital_long_qt", "bilirubin_uln", "ast_uln", "alt_uln", "child_pugh", "creatinine_clearance_ml_min", "wbc_10e9_l")
    QTC_MS_FIELD_NUMBER: _ClassVar[int]
    BASELINE_QTC_MS_FIELD_NUMBER: _ClassVar[int]
    CYCLE_START_DATE_FIELD_NUMBER: _ClassVar[int]
    CYCLE_LENGTH_DAYS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    QTC_DAY_FIELD_NUMBER: _ClassVar[int]
    POTASSIUM_MMOL_L_FIELD_NUMBER: _ClassVar[int]
    MAGNESIUM_MMOL_L_FIELD_NUMBER: _ClassVar[int]
    CONGENITAL_LONG_QT_FIELD_NUMBER: _ClassVar[int]
    BILIRUBIN_ULN_FIELD_NUMBER: _ClassVar[int]
    AST_ULN_FIELD_NUMBER: _ClassVar[int]
    ALT_ULN_FIELD_NUMBER: _ClassVar[int]
    CHILD_PUGH_FIELD_NUMBER: _ClassVar[int]
    CREATININE_CLEARANCE_ML_MIN_FIELD_NUMBER: _ClassVar[int]
    WBC_10E9_L_FIELD_NUMBER: _ClassVar[int]
    qtc_ms: float
    baseline_qtc_ms: float
    cycle_start_date: str
    cycle_length_days: int
    as_of_date: str
    qtc_day: str
    potassium_mmol_l: float
    magnesium_mmol_l: float
    congenital_long_qt: bool
    bilirubin_uln: float
    ast_uln: float
    alt_uln: float
    child_pugh: str
    creatinine_clearance_ml_min: float
    wbc_10e9_l: float
    def __init__(self, qtc_ms: _Optional[float] = ..., baseline_qtc_ms: _Optional[float] = ..., cycle_start_date: _Optional[str] = ..., cycle_length_days: _Optional[int] = ..., as_of_date: _Optional[str] = ..., qtc_day: _Optional[str] = ..., potassium_mmol_l: _Optional[float] = ..., magnesium_mmol_l: _Optional[float] = ..., congenital_long_qt: _Optional[bool] = ..., bilirubin_uln: _Optional[float] = ..., ast_uln: _Optional[float] = ..., alt_uln: _Optional[float] = ..., child_pugh: _Optional[str] = ..., creatinine_clearance_ml_min: _Optional[float] = ..., wbc_10e9_l: _Optional[float] = ...) -> None: ...

class CheckRegimenRequest(_message.Message):
    __slots__ = ("request_id", "regimen", "concomitant", "patient", "view")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REGIMEN_FIELD_NUMBER: _ClassVar[int]
    CONCOMITANT_FIELD_NUMBER: _ClassVar[int]
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    regimen: _containers.RepeatedCompositeFieldContainer[Medication]
    concomitant: _containers.RepeatedCompositeFieldContainer[Medication]
    patient: PatientContext
    view: View
    def __init__(self, request_id: _Optional[str] = ..., regimen: _Optional[_Iterable[_Union[Medication, _Mapping]]] = ..., concomitant: _Optional[_Iterable[_Union[Medication, _Mapping]]] = ..., patient: _Optional[_Union[PatientContext, _Mapping]] = ..., view: _Optional[_Union[View, str]] = ...) -> None: ...

class Citation(_message.Message):
    __slots__ = ("source", "detail", "id", "verify")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERIFY_FIELD_NUMBER: _ClassVar[int]
    source: str
    detail: str
    id: str
    verify: bool
    def __init__(self, source: _Optional[str] = ..., detail: _Optional[str] = ..., id: _Optional[str] = ..., verify: _Optional[bool] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("id", "rule", "object_drug", "precipitant_drugs", "mechanisms", "severity", "action", "alternatives", "citations", "recommendation")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    OBJECT_DRUG_FIELD_NUMBER: _ClassVar[int]
    PRECIPITANT_DRUGS_FIELD_NUMBER: _ClassVar[int]
    MECHANISMS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule: str
    object_drug: str
    precipitant_drugs: _containers.RepeatedScalarFieldContainer[str]
    mechanisms: _containers.RepeatedScalarFieldContainer[Mechanism]
    severity: Severity
    action: Action
    alternatives: _containers.RepeatedScalarFieldContainer[str]
    citations: _containers.RepeatedScalarFieldContainer[str]
    recommendation: str
    def __init__(self, id: _Optional[str] = ..., rule: _Optional[str] = ..., object_drug: _Optional[str] = ..., precipitant_drugs: _Optional[_Iterable[str]] = ..., mechanisms: _Optional[_Iterable[_Union[Mechanism, str]]] = ..., severity: _Optional[_Union[Severity, str]] = ..., action: _Optional[_Union[Action, str]] = ..., alternatives: _Optional[_Iterable[str]] = ..., citations: _Optional[_Iterable[str]] = ..., recommendation: _Optional[str] = ...) -> None: ...

class RampStep(_message.Message):
    __slots__ = ("day", "dose_mg")
    DAY_FIELD_NUMBER: _ClassVar[int]
    DOSE_MG_FIELD_NUMBER: _ClassVar[int]
    day: int
    dose_mg: float
    def __init__(self, day: _Optional[int] = ..., dose_mg: _Optional[float] = ...) -> None: ...

class DoseRecommendation(_message.Message):
    __slots__ = ("drug", "ordered_dose_mg", "recommended_dose_mg", "action", "ramp_up", "findings", "avoid_with", "citations", "rationale")
    DRUG_FIELD_NUMBER: _ClassVar[int]
    ORDERED_DOSE_MG_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_DOSE_MG_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RAMP_UP_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    AVOID_WITH_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    drug: str
    ordered_dose_mg: float
    recommended_dose_mg: float
    action: Action
    ramp_up: _containers.RepeatedCompositeFieldContainer[RampStep]
    findings: _containers.RepeatedScalarFieldContainer[str]
    avoid_with: _containers.RepeatedScalarFieldContainer[str]
    citations: _containers.RepeatedScalarFieldContainer[str]
    rationale: str
    def __init__(self, drug: _Optional[str] = ..., ordered_dose_mg: _Optional[float] = ..., recommended_dose_mg: _Optional[float] = ..., action: _Optional[_Union[Action, str]] = ..., ramp_up: _Optional[_Iterable[_Union[RampStep, _Mapping]]] = ..., findings: _Optional[_Iterable[str]] = ..., avoid_with: _Optional[_Iterable[str]] = ..., citations: _Optional[_Iterable[str]] = ..., rationale: _Optional[str] = ...) -> None: ...

class MonitoringEvent(_message.Message):
    __slots__ = ("label", "cycle", "day", "date")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    label: str
    cycle: int
    day: int
    date: str
    def __init__(self, label: _Optional[str] = ..., cycle: _Optional[int] = ..., day: _Optional[int] = ..., date: _Optional[str] = ...) -> None: ...

class MonitoringSchedule(_message.Message):
    __slots__ = ("drug", "test", "citations", "events", "reason")
    DRUG_FIELD_NUMBER: _ClassVar[int]
    TEST_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    drug: str
    test: MonitoringTest
    citations: _containers.RepeatedScalarFieldContainer[str]
    events: _containers.RepeatedCompositeFieldContainer[MonitoringEvent]
    reason: str
    def __init__(self, drug: _Optional[str] = ..., test: _Optional[_Union[MonitoringTest, str]] = ..., citations: _Optional[_Iterable[str]] = ..., events: _Optional[_Iterable[_Union[MonitoringEvent, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class UnrecognizedMedication(_message.Message):
    __slots__ = ("name", "suggestions", "reason", "ingredients", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    reason: UnrecognizedReason
    ingredients: _containers.RepeatedScalarFieldContainer[str]
    detail: str
    def __init__(self, name: _Optional[str] = ..., suggestions: _Optional[_Iterable[str]] = ..., reason: _Optional[_Union[UnrecognizedReason, str]] = ..., ingredients: _Optional[_Iterable[str]] = ..., detail: _Optional[str] = ...) -> None: ...

class CheckRegimenResponse(_message.Message):
    __slots__ = ("request_id", "decisions", "findings", "monitoring", "unrecognized", "highest_severity", "complete", "knowledge_base_version", "error", "view", "citations")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    MONITORING_FIELD_NUMBER: _ClassVar[int]
    UNRECOGNIZED_FIELD_NUMBER: _ClassVar[int]
    HIGHEST_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    decisions: _containers.RepeatedCompositeFieldContainer[DoseRecommendation]
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    monitoring: _containers.RepeatedCompositeFieldContainer[MonitoringSchedule]
    unrecognized: _containers.RepeatedCompositeFieldContainer[UnrecognizedMedication]
    highest_severity: Severity
    complete: bool
    knowledge_base_version: str
    error: _status_pb2.Status
    view: View
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    def __init__(self, request_id: _Optional[str] = ..., decisions: _Optional[_Iterable[_Union[DoseRecommendation, _Mapping]]] = ..., findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., monitoring: _Optional[_Iterable[_Union[MonitoringSchedule, _Mapping]]] = ..., unrecognized: _Optional[_Iterable[_Union[UnrecognizedMedication, _Mapping]]] = ..., highest_severity: _Optional[_Union[Severity, str]] = ..., complete: _Optional[bool] = ..., knowledge_base_version: _Optional[str] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., view: _Optional[_Union[View, str]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ...) -> None: ...

class ResolveMedicationsRequest(_message.Message):
    __slots__ = ("medications",)
    MEDICATIONS_FIELD_NUMBER: _ClassVar[int]
    medications: _containers.RepeatedCompositeFieldContainer[Medication]
    def __init__(self, medications: _Optional[_Iterable[_Union[Medication, _Mapping]]] = ...) -> None: ...

class MedicationResolution(_message.Message):
    __slots__ = ("name", "coding", "drugs", "reason", "ingredients", "suggestions", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODING_FIELD_NUMBER: _ClassVar[int]
    DRUGS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INGREDIENTS_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    coding: _containers.RepeatedCompositeFieldContainer[Coding]
    drugs: _containers.RepeatedScalarFieldContainer[str]
    reason: UnrecognizedReason
    ingredients: _containers.RepeatedScalarFieldContainer[str]
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    detail: str
    def __init__(self, name: _Optional[str] = ..., coding: _Optional[_Iterable[_Union[Coding, _Mapping]]] = ..., drugs: _Optional[_Iterable[str]] = ..., reason: _Optional[_Union[UnrecognizedReason, str]] = ..., ingredients: _Optional[_Iterable[str]] = ..., suggestions: _Optional[_Iterable[str]] = ..., detail: _Optional[str] = ...) -> None: ...

class ResolveMedicationsResponse(_message.Message):
    __slots__ = ("resolutions", "knowledge_base_version")
    RESOLUTIONS_FIELD_NUMBER: _ClassVar[int]
    KNOWLEDGE_BASE_VERSION_FIELD_NUMBER: _ClassVar[int]
    resolutions: _containers.RepeatedCompositeFieldContainer[MedicationResolution]
    knowledge_base_version: str
    def __init__(self, resolutions: _Optional[_Iterable[_Union[MedicationResolution, _Mapping]]] = ..., knowledge_base_version: _Optional[str] = ...) -> None: ...

class GetKnowledgeBaseRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Source(_message.Message):
    __slots__ = ("id", "title", "url")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    url: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class DrugEntry(_message.Message):
    __slots__ = ("name", "kind", "synonyms", "reviewed", "qt_risk", "codes", "sold_only_in")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SYNONYMS_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_FIELD_NUMBER: _ClassVar[int]
    QT_RISK_FIELD_NUMBER: _ClassVar[int]
    CODES_FIELD_NUMBER: _ClassVar[int]
    SOLD_ONLY_IN_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    synonyms: _containers.RepeatedScalarFieldContainer[str]
    reviewed: _containers.RepeatedCompositeFieldContainer[Citation]
    qt_risk: str
    codes: _containers.RepeatedCompositeFieldContainer[Coding]
    sold_only_in: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., synonyms: _Optional[_Iterable[str]] = ..., reviewed: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ..., qt_risk: _Optional[str] = ..., codes: _Optional[_Iterable[_Union[Coding, _Mapping]]] = ..., sold_only_in: _Optional[str] = ...) -> None: ...

class Combination(_message.Message):
    __slots__ = ("name", "synonyms", "components", "codes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SYNONYMS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    CODES_FIELD_NUMBER: _ClassVar[int]
    name: str
    synonyms: _containers.RepeatedScalarFieldContainer[str]
    components: _containers.RepeatedScalarFieldContainer[str]
    codes: _containers.RepeatedCompositeFieldContainer[Coding]
    def __init__(self, name: _Optional[str] = ..., synonyms: _Optional[_Iterable[str]] = ..., components: _Optional[_Iterable[str]] = ..., codes: _Optional[_Iterable[_Union[Coding, _Mapping]]] = ...) -> None: ...

class DrugClass(_message.Message):
    __slots__ = ("id", "mechanism", "title", "members", "member_notes", "citations")
    class MemberNotesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    MECHANISM_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    MEMBER_NOTES_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    mechanism: Mechanism
    title: str
    members: _containers.RepeatedScalarFieldContainer[str]
    member_notes: _containers.ScalarMap[str, str]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    def __init__(self, id: _Optional[str] = ..., mechanism: _Optional[_Union[Mechanism, str]] = ..., title: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ..., member_notes: _Optional[_Mapping[str, str]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ...) -> None: ...

class KnowledgeBaseInfo(_message.Message):
    __slots__ = ("version", "content_hash", "title", "sources", "drugs", "combinations", "classes", "site", "site_overrides", "regimens", "citations")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    DRUGS_FIELD_NUMBER: _ClassVar[int]
    COMBINATIONS_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    SITE_FIELD_NUMBER: _ClassVar[int]
    SITE_OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    REGIMENS_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    version: str
    content_hash: str
    title: str
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    drugs: _containers.RepeatedCompositeFieldContainer[DrugEntry]
    combinations: _containers.RepeatedCompositeFieldContainer[Combination]
    classes: _containers.RepeatedCompositeFieldContainer[DrugClass]
    site: str
    site_overrides: _containers.RepeatedCompositeFieldContainer[SiteOverride]
    regimens: _containers.RepeatedCompositeFieldContainer[Regimen]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    def __init__(self, version: _Optional[str] = ..., content_hash: _Optional[str] = ..., title: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ..., drugs: _Optional[_Iterable[_Union[DrugEntry, _Mapping]]] = ..., combinations: _Optional[_Iterable[_Union[Combination, _Mapping]]] = ..., classes: _Optional[_Iterable[_Union[DrugClass, _Mapping]]] = ..., site: _Optional[str] = ..., site_overrides: _Optional[_Iterable[_Union[SiteOverride, _Mapping]]] = ..., regimens: _Optional[_Iterable[_Union[Regimen, _Mapping]]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ...) -> None: ...

class Regimen(_message.Message):
    __slots__ = ("name", "synonyms", "components", "citations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SYNONYMS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    CITATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    synonyms: _containers.RepeatedScalarFieldContainer[str]
    components: _containers.RepeatedScalarFieldContainer[str]
    citations: _containers.RepeatedCompositeFieldContainer[Citation]
    def __init__(self, name: _Optional[str] = ..., synonyms: _Optional[_Iterable[str]] = ..., components: _Optional[_Iterable[str]] = ..., citations: _Optional[_Iterable[_Union[Citation, _Mapping]]] = ...) -> None: ...

class SiteOverride(_message.Message):
    __slots__ = ("agent", "rule", "precipitant", "severity", "suppressed", "author", "reason")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    PRECIPITANT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    agent: str
    rule: str
    precipitant: str
    severity: Severity
    suppressed: bool
    author: str
    reason: str
    def __init__(self, agent: _Optional[str] = ..., rule: _Optional[str] = ..., precipitant: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., suppressed: _Optional[bool] = ..., author: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
