"""Request validation: every field a caller can get wrong, named by its path in the contract."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

from interactions.model import CheckRequestLike, FieldViolation, InvalidRequestError, MedicationLike, PatientLike

MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 200
MAX_MEDICATIONS = 200
MAX_CODINGS = 10
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
    patient = request.patient
    start, date_violation = _parse_date(patient.cycle_start_date)
    if date_violation is None and _plausible(request, patient):
        return start
    violations = list(_request_violations(request))
    if date_violation:
        violations.append(date_violation)
    if not violations:  # coded medications, which the quick test leaves to the full one
        return start
    raise InvalidRequestError(tuple(violations))


def _plausible(request: CheckRequestLike, patient: PatientLike) -> bool:
    """The common case, with no generator or list: True only when `_request_violations` finds nothing.

    A medication with codes always takes the full test (codes are rare on the hot path).
    """
    regimen, concomitant = request.regimen, request.concomitant
    return (
        len(regimen) > 0 and len(regimen) + len(concomitant) <= MAX_MEDICATIONS
        and len(request.request_id) <= MAX_TEXT_LENGTH
        and _qtc_valid(patient.qtc_ms) and _qtc_valid(patient.baseline_qtc_ms)
        and _cycle_length_valid(patient.cycle_length_days)
        and _all_plausible(regimen) and _all_plausible(concomitant)
    )


def _qtc_valid(value: float) -> bool:
    low, high = QTC_RANGE_MS
    return value == 0 or low <= value <= high  # NaN fails the range test


def _cycle_length_valid(days: int) -> bool:
    shortest, longest = CYCLE_LENGTH_RANGE_DAYS
    return days == 0 or shortest <= days <= longest


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
    yield from _medication_violations("regimen", request.regimen)
    yield from _medication_violations("concomitant", request.concomitant)
    yield from _patient_violations(request.patient)


def _all_plausible(medications: Sequence[MedicationLike]) -> bool:
    """The common case, quickly; `_medication_violations` then says what is wrong.

    A plain loop: a third cheaper than `all()` over a generator.
    """
    for m in medications:
        name = m.name
        if not (0 < len(name) <= MAX_NAME_LENGTH and 0 <= m.dose_mg <= MAX_DOSE_MG  # NaN fails every comparison
                and len(m.frequency) <= MAX_TEXT_LENGTH) or name.isspace() or m.coding:
            return False
    return True


def _medication_violations(list_name: str, medications: Sequence[MedicationLike]) -> Iterator[FieldViolation]:
    for i, medication in enumerate(medications):
        name, dose = medication.name, medication.dose_mg
        coded = any(c.code for c in medication.coding)
        if (not name or name.isspace()) and not coded:
            yield FieldViolation(f"{list_name}[{i}].name", "blank medication name (and no code)")
        elif len(name) > MAX_NAME_LENGTH:
            yield FieldViolation(f"{list_name}[{i}].name", f"longer than {MAX_NAME_LENGTH} characters")
        if not 0 <= dose <= MAX_DOSE_MG:  # NaN fails every comparison
            yield FieldViolation(f"{list_name}[{i}].dose_mg",
                                 f"must be a finite number from 0 (not stated) to {MAX_DOSE_MG:g} mg, got {dose}")
        if len(medication.frequency) > MAX_TEXT_LENGTH:
            yield FieldViolation(f"{list_name}[{i}].frequency", f"longer than {MAX_TEXT_LENGTH} characters")
        yield from _coding_violations(f"{list_name}[{i}].coding", medication)


def _coding_violations(path: str, medication: MedicationLike) -> Iterator[FieldViolation]:
    coding = medication.coding
    if len(coding) > MAX_CODINGS:
        yield FieldViolation(path, f"{len(coding)} codes; at most {MAX_CODINGS}")
        return
    for j, code in enumerate(coding):
        if not code.code or not code.system:
            yield FieldViolation(f"{path}[{j}]", "a code needs its system and its code")
        for field_name, text in (("system", code.system), ("code", code.code), ("display", code.display)):
            if len(text) > MAX_TEXT_LENGTH:
                yield FieldViolation(f"{path}[{j}].{field_name}", f"longer than {MAX_TEXT_LENGTH} characters")


def _patient_violations(patient: PatientLike) -> Iterator[FieldViolation]:
    low, high = QTC_RANGE_MS
    for field_name, value in (("qtc_ms", patient.qtc_ms), ("baseline_qtc_ms", patient.baseline_qtc_ms)):
        if not _qtc_valid(value):
            yield FieldViolation(f"patient.{field_name}",
                                 f"must be 0 (unknown) or from {low:g} to {high:g} ms, got {value}")
    shortest, longest = CYCLE_LENGTH_RANGE_DAYS
    if not _cycle_length_valid(patient.cycle_length_days):
        yield FieldViolation("patient.cycle_length_days",
                             f"must be 0 (default 28) or from {shortest} to {longest} days, "
                             f"got {patient.cycle_length_days}")


@lru_cache(maxsize=1024)  # a few cycle start dates recur across a day's requests
def _parse_date(text: str) -> tuple[date | None, FieldViolation | None]:
    if not text:
        return None, None
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            pass
    return None, FieldViolation("patient.cycle_start_date", f"not an ISO 8601 date (YYYY-MM-DD): {text[:40]!r}")
