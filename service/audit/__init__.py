"""Batch audits: every regimen of an export checked in-process or over `AuditRegimens`, with a report.

The runner is `service.audit.runner.run_audit`. This package imports nothing itself: its row reader
and totals are compiled in release builds, and importing the package must not pull the whole client
side (gRPC channels, TLS, tokens) into their type check.
"""
