"""The Kubernetes manifests against what the kubelet adds to a pod's environment."""

from __future__ import annotations

import pathlib
from typing import Any

import pydantic
import pytest
import yaml

from service.settings import Settings, unknown_variables

KUBERNETES = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
CLUSTER_IP = "10.0.0.11"


def _service_link_variables(service: dict[str, Any]) -> dict[str, str]:
    """The variables the kubelet sets in pods for a Service, unless the pod disables service links.

    As Kubernetes documents them ("Discovering services": REDIS_MASTER_SERVICE_HOST,
    REDIS_MASTER_PORT=tcp://10.0.0.11:6379, REDIS_MASTER_PORT_6379_TCP...); none for a headless Service.
    """
    spec = service["spec"]
    if spec.get("clusterIP") == "None":
        return {}
    name = service["metadata"]["name"].upper().replace("-", "_")
    first = spec["ports"][0]["port"]
    variables = {f"{name}_SERVICE_HOST": CLUSTER_IP, f"{name}_SERVICE_PORT": str(first),
                 f"{name}_PORT": f"tcp://{CLUSTER_IP}:{first}"}
    for port in spec["ports"]:
        link = f"{name}_PORT_{port['port']}_TCP"
        variables |= {f"{name}_SERVICE_PORT_{port['name'].upper()}": str(port["port"]),
                      link: f"tcp://{CLUSTER_IP}:{port['port']}", f"{link}_PROTO": "tcp",
                      f"{link}_PORT": str(port["port"]), f"{link}_ADDR": CLUSTER_IP}
    return variables


def test_pods_get_no_service_link_variables_which_share_the_settings_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    services = list(yaml.safe_load_all((KUBERNETES / "service.yaml").read_text(encoding="utf-8")))
    injected = {k: v for service in services for k, v in _service_link_variables(service).items()}
    # Why: the Service `dosecheck` makes DOSECHECK_PORT a URL. The manifest's own DOSECHECK_PORT wins
    # over it today; without that line (50051 is the default) every pod restarted after the
    # Service exists would refuse to start.
    assert injected["DOSECHECK_PORT"] == f"tcp://{CLUSTER_IP}:50051"
    for name, value in injected.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(pydantic.ValidationError, match="port"):
        Settings()
    assert "DOSECHECK_SERVICE_HOST" in " ".join(unknown_variables(injected))  # and the start-up would warn

    deployment = yaml.safe_load((KUBERNETES / "deployment.yaml").read_text(encoding="utf-8"))
    assert deployment["spec"]["template"]["spec"]["enableServiceLinks"] is False
