"""docker-compose.yml, deploy/ and the Dockerfile (which cannot run here) agree with the real CLI and settings."""

from __future__ import annotations

import json
import pathlib
import re
from typing import Any

import pytest
import yaml

from service.grpc_auth import exposure_refusal
from service.settings import Settings
from tests.deployment.commands import assert_is_a_real_command, settings_in_container

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICE = COMPOSE["services"]["dosecheck"]
BALANCER = COMPOSE["services"]["haproxy"]
PROMETHEUS = COMPOSE["services"]["prometheus"]
HAPROXY_CFG = (ROOT / "deploy" / "haproxy.cfg").read_text()
PROMETHEUS_YML = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())


def _interpolated(value: str) -> str:
    """A compose value with each `${NAME:-default}` at its default, as compose reads it when NAME is unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def _haproxy_section(header: str) -> list[str]:
    """The lines of one section of deploy/haproxy.cfg (e.g. `backend dosecheck`), without comments."""
    section = re.search(rf"^{re.escape(header)}\n((?:[ #].*\n|\n)*)", HAPROXY_CFG, re.MULTILINE)
    assert section, f"no section {header!r} in deploy/haproxy.cfg"
    return [line.strip() for line in section.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """A compose service's bind mounts: container path -> host path."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        mounts[target] = source
    return mounts


def test_compose_command_is_dosecheck_serve_with_real_flags() -> None:
    assert assert_is_a_real_command(SERVICE["command"]).name == "serve"


def test_compose_replicas_listen_on_every_interface_of_their_container(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    assert settings.host == "0.0.0.0"  # reachable by HAProxy and Prometheus on the compose network
    assert settings.port == Settings.model_fields["port"].default
    assert SERVICE["deploy"]["replicas"] >= 2


def test_compose_publishes_only_the_balancer_and_only_on_loopback() -> None:
    published = {name: service["ports"] for name, service in COMPOSE["services"].items() if "ports" in service}
    assert published.keys() == {"haproxy"}
    (mapping,) = (_interpolated(port) for port in BALANCER["ports"])
    address, host_port, container_port = mapping.split(":")

    assert address == "127.0.0.1"  # plaintext gRPC: this host only, unless deliberately changed
    assert int(host_port) == int(container_port)
    assert f"bind :{container_port} proto h2" in _haproxy_section("frontend grpc")


def test_balancer_runs_the_shipped_config_in_front_of_every_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    backend = _haproxy_section("backend dosecheck")
    (template,) = (line.split() for line in backend if line.startswith("server-template "))
    _, _, slots, address, *_ = template

    assert _mounts(BALANCER)["/usr/local/etc/haproxy/haproxy.cfg"] == "./deploy/haproxy.cfg"
    assert address == f"dosecheck:{settings.port}"  # the compose service's name: one address per replica
    assert int(slots) >= SERVICE["deploy"]["replicas"]
    assert BALANCER["depends_on"] == {"dosecheck": {"condition": "service_healthy"}}
    # HTTP/2 to the replicas, each checked by the gRPC health check.
    assert any(line.startswith("default-server proto h2 check ") for line in backend)
    assert "option tcp-check" in backend


def test_balancer_takes_out_a_stopping_replica_before_its_port_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica answers NOT_SERVING for the drain delay; HAProxy must see it (fall checks) within that."""
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    (default_server,) = (line.split() for line in _haproxy_section("backend dosecheck")
                         if line.startswith("default-server "))
    option = {word: default_server[i + 1] for i, word in enumerate(default_server[:-1])}  # keyword -> its value
    timeout_check = next(line.split()[-1] for line in _haproxy_section("defaults")
                         if line.startswith("timeout check "))

    def seconds(value: str) -> float:
        return float(value.removesuffix("ms")) / 1000 if value.endswith("ms") else float(value.removesuffix("s"))

    # Worst case: a check just passed; the next comes after `inter`, the others after `fastinter`.
    detection = seconds(option["inter"]) + (int(option["fall"]) - 1) * seconds(option["fastinter"])
    assert detection + seconds(timeout_check) < settings.drain_delay_s


def test_compose_health_check_probes_that_port_with_the_health_command(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    test = SERVICE["healthcheck"]["test"]

    assert test[0] == "CMD"
    assert assert_is_a_real_command(test[1:]).name == "health"
    target = test[test.index("--target") + 1]
    assert target == f"127.0.0.1:{settings.port}"


def test_compose_gives_a_graceful_stop_time_to_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    seconds = int(SERVICE["stop_grace_period"].removesuffix("s"))
    assert seconds > settings.grace_period_s + settings.drain_delay_s


def test_prometheus_scrapes_each_replica_and_the_balancer() -> None:
    jobs = {job["job_name"]: job for job in PROMETHEUS_YML["scrape_configs"]}
    (replicas,) = jobs["dosecheck"]["dns_sd_configs"]
    (balancer,) = jobs["haproxy"]["static_configs"]
    monitoring = _haproxy_section("frontend monitoring")
    (monitoring_port,) = (line.split(":")[-1] for line in monitoring if line.startswith("bind "))

    assert _mounts(PROMETHEUS)["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus.yml"
    # Docker's DNS answers the service name with one address per replica.
    assert replicas["names"] == ["dosecheck"]
    assert replicas["type"] == "A"
    assert replicas["port"] == int(SERVICE["environment"]["DOSECHECK_METRICS_PORT"])
    assert balancer["targets"] == [f"haproxy:{monitoring_port}"]
    assert "http-request use-service prometheus-exporter if { path /metrics }" in monitoring


def test_replicas_metrics_port_is_the_server_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    if "metrics_port" not in Settings.model_fields:
        pytest.skip("the metrics endpoint (issue 14 item 3, DOSECHECK_METRICS_PORT) is not in Settings yet")
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    assert settings.model_dump()["metrics_port"] == int(SERVICE["environment"]["DOSECHECK_METRICS_PORT"])


def test_dockerfile_runs_and_probes_the_same_commands() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[[^\]]*\])$", dockerfile, re.MULTILINE)
    probe = re.search(r"^HEALTHCHECK [^\[]*CMD (\[[^\]]*\])", dockerfile, re.MULTILINE)
    assert cmd
    assert probe

    assert assert_is_a_real_command(json.loads(cmd.group(1))).name == "serve"
    assert assert_is_a_real_command(json.loads(probe.group(1))).name == "health"
    assert "EXPOSE 50051" in dockerfile
    assert "DOSECHECK_HOST=0.0.0.0" in dockerfile


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    """Kubernetes can only check runAsNonRoot for a numeric user."""
    user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert user
    assert int(user.group(1)) != 0


def test_dockerfile_builds_the_broad_table_cache_its_user_reads() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    directory = re.search(r"install --directory --owner (\d+) --group (\d+) --mode 0700 (\S+)$", dockerfile,
                          re.MULTILINE)
    built = re.search(r"^RUN (dosecheck .*)$", dockerfile, re.MULTILINE)
    assert user
    assert directory
    assert built
    assert directory.group(1, 2) == user.group(1, 2)
    variable = "DOSECHECK_CACHE_DIR"
    assert "cache_dir" in Settings.model_fields
    assert f"{variable}={directory.group(3)}" in dockerfile
    # Built after USER, by the user who reads it, with the variable set: the files are the user's own.
    assert dockerfile.index(user.group(0)) < dockerfile.index(f"{variable}=") < built.start()
    assert assert_is_a_real_command(built.group(1).split()).name == "validate"


def test_dockerfile_build_stage_copies_what_the_build_reads() -> None:
    """pyproject.toml's packages and setup.py's compiled modules are all in the build context."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    build_stage = dockerfile.split("\nFROM ", 2)[1]
    copied = {word for line in build_stage.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]}
    assert {"pyproject.toml", "setup.py", "README.md"} <= copied
    # Each top-level source directory of the package (protos holds the generated `dosecheck` package).
    assert {"protos", "interactions", "service"} <= copied
    assert "gcc" in build_stage  # mypyc compiles C


def test_compose_replicas_say_their_plaintext_network_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, SERVICE["environment"])
    assert settings.insecure_allow_plaintext
    assert exposure_refusal(settings) is None  # they start
    assert not settings.reflection  # off in production


def test_the_image_alone_refuses_plaintext_on_every_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (env,) = re.findall(r"^ENV ((?:.*\\\n)*.*)$", dockerfile, re.MULTILINE)
    environment = dict(pair.split("=", 1) for pair in env.replace("\\\n", " ").split())
    assert exposure_refusal(settings_in_container(monkeypatch, environment))
