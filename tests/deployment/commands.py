"""Checks that a deployment file's command and environment mean something to the real CLI and settings."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from service.cli import app
from service.settings import Settings


def assert_is_a_real_command(argv: list[str]) -> Any:
    """argv names an existing `dosecheck` subcommand, and every --flag in it is one of its options."""
    assert argv[0] == "dosecheck"
    command: Any = typer.main.get_command(app)
    words = argv[1:]
    while hasattr(command, "commands"):  # a group: descend into the named subcommand
        command = command.commands[words.pop(0)]
    options = {opt for param in command.params for opt in param.opts}
    flags = [w for w in words if w.startswith("--")]
    assert set(flags) <= options, f"unknown flags {set(flags) - options} for {argv}"
    return command


def settings_in_container(monkeypatch: pytest.MonkeyPatch, environment: dict[str, Any]) -> Settings:
    """The settings a server reads from exactly this environment (no DOSECHECK_* of the test run)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"DOSECHECK_{name.upper()}", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return Settings()
