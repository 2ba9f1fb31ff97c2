"""deploy/kubernetes (which cannot run here): valid for Kubernetes, and in agreement with the real server.

The manifests are validated offline against the Kubernetes API's JSON schemas bundled in
`kubernetes-validate`, strictly (an unknown field is an error), for the oldest Kubernetes with GA
gRPC probes (1.27) and the newest the package knows.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml

from interactions import describe_drug, load_knowledge_base
from service.grpc_auth import exposure_refusal
from service.server import SERVICE_NAME
from tests.deployment.commands import assert_is_a_real_command, settings_in_container

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
FIRST_WITH_GRPC_PROBES = "1.27"
DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    (path.name, document)
    for path in sorted(MANIFESTS.glob("*.yaml"))
    if path.name != "kustomization.yaml"
    for document in yaml.safe_load_all(path.read_text())
]
KUBERNETES_VERSIONS = [FIRST_WITH_GRPC_PROBES, kubernetes_validate.latest_version()]


def _only(kind: str) -> dict[str, Any]:
    (document,) = (document for _, document in DOCUMENTS if document["kind"] == kind)
    return document


DEPLOYMENT = _only("Deployment")
POD = DEPLOYMENT["spec"]["template"]
(CONTAINER,) = POD["spec"]["containers"]
ENVIRONMENT = {variable["name"]: variable["value"] for variable in CONTAINER["env"]}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("file", "document"), DOCUMENTS, ids=[f"{f}:{d['kind']}" for f, d in DOCUMENTS])
def test_manifest_is_valid_for_kubernetes(file: str, document: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(document, version, strict=True)


def test_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted({file for file, _ in DOCUMENTS})


def test_pod_runs_dosecheck_serve_on_the_port_it_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    assert assert_is_a_real_command(CONTAINER["command"]).name == "serve"
    settings = settings_in_container(monkeypatch, ENVIRONMENT)
    ports = {port["name"]: port["containerPort"] for port in CONTAINER["ports"]}

    assert settings.host == "0.0.0.0"
    assert ports["grpc"] == settings.port
    assert ports["metrics"] == int(ENVIRONMENT["DOSECHECK_METRICS_PORT"])
    # The HPA scales on CPU use relative to the request, which needs a request.
    assert CONTAINER["resources"]["requests"]["cpu"]


def test_probes_ask_the_grpc_health_service_on_that_port(monkeypatch: pytest.MonkeyPatch) -> None:
    port = settings_in_container(monkeypatch, ENVIRONMENT).port
    readiness, liveness, startup = (CONTAINER[probe]["grpc"] for probe in ("readinessProbe", "livenessProbe",
                                                                          "startupProbe"))

    # Ready only while the checking service itself is SERVING (loaded, not shutting down).
    assert readiness == {"port": port, "service": SERVICE_NAME}
    assert liveness == startup == {"port": port}  # "": the whole server


def test_pod_outlives_a_graceful_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, ENVIRONMENT)
    assert POD["spec"]["terminationGracePeriodSeconds"] > settings.drain_delay_s + settings.grace_period_s


def test_pod_is_non_root_read_only_and_unprivileged() -> None:
    pod_security = POD["spec"]["securityContext"]
    container_security = CONTAINER["securityContext"]
    dockerfile_user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)

    assert pod_security["runAsNonRoot"] is True
    assert dockerfile_user
    assert (pod_security["runAsUser"], pod_security["runAsGroup"]) == tuple(map(int, dockerfile_user.groups()))
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container_security == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert POD["spec"]["automountServiceAccountToken"] is False
    # The only writable directory is /tmp, an emptyDir.
    volumes = {volume["name"]: volume for volume in POD["spec"]["volumes"]}
    writable = {m["mountPath"]: volumes[m["name"]] for m in CONTAINER["volumeMounts"] if not m.get("readOnly")}
    assert writable.keys() == {"/tmp"}
    assert "emptyDir" in writable["/tmp"]


def test_knowledge_base_is_the_site_configmap_mounted_where_the_server_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_in_container(monkeypatch, ENVIRONMENT)
    volumes = {volume["name"]: volume for volume in POD["spec"]["volumes"]}
    (mount,) = (m for m in CONTAINER["volumeMounts"] if pathlib.Path(m["mountPath"]) == settings.kb_path)

    assert mount["readOnly"] is True
    assert volumes[mount["name"]]["configMap"]["name"] == _only("ConfigMap")["metadata"]["name"]


def test_site_configmap_mounted_as_the_kubelet_does_loads_as_a_knowledge_base(tmp_path: pathlib.Path) -> None:
    """The kubelet writes a ConfigMap's keys into a timestamped directory, reached through `..data` links."""
    configmap = _only("ConfigMap")
    mount = tmp_path / "kb"
    timestamped = mount / "..2026_01_05_08_00_00.000000001"
    timestamped.mkdir(parents=True)
    for key, text in configmap["data"].items():
        (timestamped / key).write_text(text)
    (mount / "..data").symlink_to(timestamped.name)
    for key in configmap["data"]:
        (mount / key).symlink_to(f"..data/{key}")

    kb = load_knowledge_base(mount)

    assert kb.site is not None
    assert kb.site.site == "Example General Hospital"
    assert kb.content_hash != load_knowledge_base().content_hash
    for synonym in kb.site.synonyms:
        assert describe_drug(kb, synonym.name).resolves_to == synonym.drugs


def test_services_route_the_grpc_port_to_the_pods() -> None:
    services = [document for _, document in DOCUMENTS if document["kind"] == "Service"]
    pod_labels = POD["metadata"]["labels"]

    assert {service["spec"].get("clusterIP") for service in services} == {None, "None"}  # one headless
    for service in services:
        assert service["spec"]["selector"].items() <= pod_labels.items()
        (port,) = service["spec"]["ports"]
        assert port["targetPort"] == "grpc"
        assert port["appProtocol"] == "kubernetes.io/h2c"


def test_autoscaler_and_disruption_budget_keep_replicas_serving() -> None:
    autoscaler = _only("HorizontalPodAutoscaler")["spec"]
    budget = _only("PodDisruptionBudget")["spec"]

    assert autoscaler["scaleTargetRef"] == {
        "apiVersion": DEPLOYMENT["apiVersion"], "kind": "Deployment", "name": DEPLOYMENT["metadata"]["name"],
    }
    (metric,) = autoscaler["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert budget["selector"]["matchLabels"].items() <= POD["metadata"]["labels"].items()
    # A drain never takes the last serving pods: at least two stay while one goes.
    assert autoscaler["minReplicas"] - budget["maxUnavailable"] >= 2
    assert DEPLOYMENT["spec"]["selector"]["matchLabels"].items() <= POD["metadata"]["labels"].items()
    assert DEPLOYMENT["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_pods_say_their_plaintext_network_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_in_container(monkeypatch, ENVIRONMENT)
    assert settings.insecure_allow_plaintext  # the kubelet's gRPC probes cannot speak TLS
    assert exposure_refusal(settings) is None  # the pods start
    assert not settings.reflection  # off in production
