"""Batch audits: every regimen of an export checked in-process or over `AuditRegimens`, with a report."""

from service.audit.runner import AuditInterruptedError, AuditRun, run_audit
from service.audit.summary import AuditSummary

__all__ = ["AuditInterruptedError", "AuditRun", "AuditSummary", "run_audit"]
