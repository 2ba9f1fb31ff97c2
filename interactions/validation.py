"""Request validation: every field a caller can get wrong, named by its path in the contract."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date

from interactions.model import CheckRequestLike, FieldViolation, InvalidRequestError, MedicationLike, PatientLike

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 200
MAX_MEDICATIONS = 200
MAX_DOSE_MG = 100_000.0
QTC_RANGE_MS = (200.0, 800.0)
CYCLE_LENGTH_RANGE_DAYS = (1, 84)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate(request: CheckRequestLike) -> date | None:
    """Check a request before anything is looked up.

    Args:
        request: the request as the caller sent it.

    Returns:
        The cycle start date, parsed, or None when none was given.

    Raises:
        InvalidRequestError: with every violation found.
    """
    violations = list(_request_violations(request))
    start, date_violation = _parse_date(request.patient.cycle_start_date)
    if date_violation:
        violations.append(date_violation)
    if violations:
        raise InvalidRequestError(tuple(violations))
    return start


def _request_violations(request: CheckRequestLike) -> Iterator[FieldViolation]:
    if len(request.request_id) > MAX_TEXT_LENGTH:
        yield FieldViolation("request_id", f"longer than {MAX_TEXT_LENGTH} characters")
    if not request.regimen:
        yield FieldViolation("regimen", "at least one regimen medication is required")
    total = len(request.regimen) + len(request.concomitant)
    if total > MAX_MEDICATIONS:
        crowded = "regimen" if len(request.regimen) > MAX_MEDICATIONS else "concomitant"
        yield FieldViolation(crowded, f"{total} medications in one request; at most {MAX_MEDICATIONS}")
        return  # one violation for the list, not one per surplus entry
    if not (_all_plausible(request.regimen) and _all_plausible(request.concomitant)):
        yield from _medication_violations("regimen", request.regimen)
        yield from _medication_violations("concomitant", request.concomitant)
    yield from _patient_violations(request.patient)


def _all_plausible(medications: Sequence[MedicationLike]) -> bool:
    """The common case in one pass; `_medication_violations` then says what is wrong."""
    return all(
        0 < len(name := m.name) <= MAX_NAME_LENGTH and not name.isspace()
        and 0 <= m.dose_mg <= MAX_DOSE_MG  # NaN fails every comparison
        and len(m.frequency) <= MAX_TEXT_LENGTH
        for m in medications
    )


def _medication_violations(list_name: str, medications: Sequence[MedicationLike]) -> Iterator[FieldViolation]:
    for i, medication in enumerate(medications):
        name, dose = medication.name, medication.dose_mg
        if not name or name.isspace():
            yield FieldViolation(f"{list_name}[{i}].name", "blank medication name")
        elif len(name) > MAX_NAME_LENGTH:
            yield FieldViolation(f"{list_name}[{i}].name", f"longer than {MAX_NAME_LENGTH} characters")
        if not 0 <= dose <= MAX_DOSE_MG:  # NaN fails every comparison
            yield FieldViolation(f"{list_name}[{i}].dose_mg",
                                 f"must be a finite number from 0 (not stated) to {MAX_DOSE_MG:g} mg, got {dose}")
        if len(medication.frequency) > MAX_TEXT_LENGTH:
            yield FieldViolation(f"{list_name}[{i}].frequency", f"longer than {MAX_TEXT_LENGTH} characters")


def _patient_violations(patient: PatientLike) -> Iterator[FieldViolation]:
    low, high = QTC_RANGE_MS
    for field_name, value in (("qtc_ms", patient.qtc_ms), ("baseline_qtc_ms", patient.baseline_qtc_ms)):
        if value != 0 and not (low <= value <= high):  # NaN fails the range test too
            yield FieldViolation(f"patient.{field_name}",
                                 f"must be 0 (unknown) or from {low:g} to {high:g} ms, got {value}")
    shortest, longest = CYCLE_LENGTH_RANGE_DAYS
    if patient.cycle_length_days != 0 and not shortest <= patient.cycle_length_days <= longest:
        yield FieldViolation("patient.cycle_length_days",
                             f"must be 0 (default 28) or from {shortest} to {longest} days, "
                             f"got {patient.cycle_length_days}")


def _parse_date(text: str) -> tuple[date | None, FieldViolation | None]:
    if not text:
        return None, None
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            pass
    return None, FieldViolation("patient.cycle_start_date", f"not an ISO 8601 date (YYYY-MM-DD): {text[:40]!r}")
