"""docker-compose.yml and the Dockerfile (which cannot run here) agree with the real CLI and settings."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest
import typer
import yaml

from service.cli import app
from service.settings import Settings

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICE = COMPOSE["services"]["dosecheck"]


def _assert_is_a_real_command(argv: list[str]) -> Any:
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


def _settings_in_container(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Settings:
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    return Settings()


def test_compose_command_is_dosecheck_serve_with_real_flags() -> None:
    assert _assert_is_a_real_command(SERVICE["command"]).name == "serve"


def test_compose_publishes_the_port_the_server_listens_on(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_in_container(monkeypatch, SERVICE["environment"])
    (mapping,) = SERVICE["ports"]
    host_port, container_port = (int(p) for p in mapping.split(":"))

    assert container_port == settings.port == host_port == Settings.model_fields["port"].default
    assert settings.host == "0.0.0.0"  # reachable from outside the container


def test_compose_health_check_probes_that_port_with_the_health_command(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings_in_container(monkeypatch, SERVICE["environment"])
    test = SERVICE["healthcheck"]["test"]

    assert test[0] == "CMD"
    assert _assert_is_a_real_command(test[1:]).name == "health"
    target = test[test.index("--target") + 1]
    assert target == f"127.0.0.1:{settings.port}"


def test_compose_gives_a_graceful_stop_time_to_finish() -> None:
    seconds = int(SERVICE["stop_grace_period"].removesuffix("s"))
    settings = Settings(**{"grace_period_s": float(SERVICE["environment"]["DOSECHECK_GRACE_PERIOD_S"])})
    assert seconds > settings.grace_period_s + settings.drain_delay_s


def test_dockerfile_runs_and_probes_the_same_commands() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[[^\]]*\])$", dockerfile, re.MULTILINE)
    probe = re.search(r"^HEALTHCHECK [^\[]*CMD (\[[^\]]*\])", dockerfile, re.MULTILINE)
    assert cmd
    assert probe


    assert _assert_is_a_real_command(json.loads(cmd.group(1))).name == "serve"
    assert _assert_is_a_real_command(json.loads(probe.group(1))).name == "health"
    assert "EXPOSE 50051" in dockerfile
    assert "DOSECHECK_HOST=0.0.0.0" in dockerfile


def test_dockerfile_build_stage_copies_what_the_build_reads() -> None:
    """pyproject.toml's packages and setup.py's compiled modules are all in the build context."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    build_stage = dockerfile.split("\nFROM ", 2)[1]
    copied = {word for line in build_stage.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]}
    assert {"pyproject.toml", "setup.py", "README.md"} <= copied
    # Each top-level source directory of the package (protos holds the generated `dosecheck` package).
    assert {"protos", "interactions", "service"} <= copied
    assert "gcc" in build_stage  # mypyc compiles C
