"""deploy/k8s validated offline: every manifest against the Kubernetes 1.30 schemas (kubernetes-validate,
strict: unknown fields fail), the KEDA ScaledObjects against the CRD schema kept in deploy/k8s/schemas/,
and what the manifests promise checked against the code (durable names, ports, probes, NATS settings).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from shared import subjects

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
SCALEDOBJECT_SCHEMA = json.loads((K8S / "schemas" / "keda-scaledobject-v1alpha1.json").read_text(encoding="utf-8"))
SERVICES = {"intake": 8100, "tracker": 8101, "escalation": 8102, "notifier": 8103, "console": 8104}
# Who consumes what: the durable each scaled service pulls from, and its stream (shared/subjects.py).
CONSUMERS = {
    "tracker": (subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED),
    "escalation": (subjects.PROJECTS.name, subjects.ESCALATION_ON_PROJECT_CHANGED),
    "notifier": (subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION),
}


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name in kustomization()["resources"]:
        for document in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")):
            if document:
                found.append((f"{name}:{document['kind']}/{document['metadata']['name']}", document))
    return found


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in documents() if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_kustomization_lists_every_manifest() -> None:
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization()["resources"]) == files


@pytest.mark.parametrize(("where", "document"), [pytest.param(w, d, id=w) for w, d in documents() if d["kind"] != "ScaledObject"])
def test_every_manifest_is_valid_kubernetes(where: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize(("where", "document"), [pytest.param(w, d, id=w) for w, d in documents() if d["kind"] == "ScaledObject"])
def test_every_scaledobject_is_valid_keda(where: str, document: dict[str, Any]) -> None:
    jsonschema.validate(document, SCALEDOBJECT_SCHEMA)


def test_the_kept_schema_rejects_what_keda_would() -> None:
    good = next(iter(of_kind("ScaledObject").values()))
    jsonschema.Draft7Validator.check_schema(SCALEDOBJECT_SCHEMA)
    for broken in (
        {**good, "spec": {k: v for k, v in good["spec"].items() if k != "triggers"}},
        {**good, "spec": {**good["spec"], "scaleTargetRef": {}}},
        {**good, "spec": {**good["spec"], "triggers": [{"type": "nats-jetstream", "metadata": {"stream": "UPDATES"}}]}},
        {**good, "spec": {**good["spec"], "minReplicas": 1}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCALEDOBJECT_SCHEMA)


def test_each_consumer_scales_on_its_own_durable() -> None:
    durables = {value for name, value in vars(subjects).items() if name.isupper() and isinstance(value, str) and value.count("-") == 2}
    assert {subjects.TRACKER_ON_PROJECT_UPDATED, subjects.ESCALATION_ON_PROJECT_CHANGED, subjects.NOTIFIER_ON_ESCALATION} <= durables
    scaled = of_kind("ScaledObject")
    deployments = of_kind("Deployment")
    assert set(scaled) == set(CONSUMERS)
    for name, document in scaled.items():
        assert document["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[name]["spec"]  # KEDA owns the count
        assert document["spec"]["minReplicaCount"] >= 1  # the sweep and the delivery retries run on a clock
        [trigger] = document["spec"]["triggers"]
        assert trigger["type"] == "nats-jetstream"
        metadata = trigger["metadata"]
        assert metadata["consumer"] in durables
        assert (metadata["stream"], metadata["consumer"]) == CONSUMERS[name]
        assert metadata["natsServerMonitoringEndpoint"].split(".")[0] in of_kind("Service")
        assert metadata["account"] == "TUIJIN"  # with accounts on, the streams are the services' account's, not $G


def test_one_deployment_per_service_with_probes_resources_and_a_graceful_stop() -> None:
    deployments = of_kind("Deployment")
    assert set(deployments) == set(SERVICES)
    config = of_kind("ConfigMap")["tuijin-env"]["data"]
    for name, port in SERVICES.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        main = container(deployments[name])
        assert main["command"][-1] == f"from services.{name}.app import main; main()"
        assert main["ports"][0]["containerPort"] == port == int(config[f"{name.upper()}_PORT"])
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(main["resources"]["requests"])
        assert pod["terminationGracePeriodSeconds"] == 45
        assert main["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
        assert {"configMapRef": {"name": "tuijin-env"}} in main["envFrom"]
        [database] = [e for e in main["env"] if e["name"] == f"{name.upper()}_DATABASE_URL"]
        assert database["valueFrom"]["secretKeyRef"]["name"] == "tuijin-database"
        assert config[f"{name.upper()}_STREAM_REPLICAS"] == "3"
        assert config[f"{name.upper()}_NATS_URL"] == "nats://nats:4222"
        assert f"{name.upper()}_DATABASE_SCHEMA" in config
        service = of_kind("Service")[name]
        assert service["spec"]["ports"][0]["port"] == port
    for other in ("tracker", "escalation", "notifier"):
        assert config[f"INTAKE_{other.upper()}_URL"] == f"http://{other}:{SERVICES[other]}"


def test_nats_is_three_servers_on_three_hosts_with_fsync_on_every_write() -> None:
    nats = of_kind("StatefulSet")["nats"]
    spec = nats["spec"]
    assert spec["replicas"] == 3 and spec["serviceName"] == "nats-headless"
    [rule] = spec["template"]["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert rule["topologyKey"] == "kubernetes.io/hostname"
    assert rule["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
    [claim] = spec["volumeClaimTemplates"]
    assert any(m["name"] == claim["metadata"]["name"] and m["mountPath"] == "/data" for m in container(nats)["volumeMounts"])
    conf = of_kind("ConfigMap")["nats-config"]["data"]["nats.conf"]
    settings = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in conf.splitlines() if ":" in line and "#" not in line.split(":")[0]}
    assert settings["sync_interval"] == "always"
    assert settings["store_dir"] == "/data"
    assert all(f"nats://nats-{n}.nats-headless:6222" in conf for n in range(3))
    assert container(nats)["image"].startswith("nats:2.12.")  # see deploy/README.md "Production NATS" before moving it
    assert of_kind("PodDisruptionBudget")["nats"]["spec"]["maxUnavailable"] == 1


def test_secrets_come_from_kubernetes_secrets_and_nats_runs_with_accounts() -> None:
    for name, deployment in of_kind("Deployment").items():
        main, pod = container(deployment), deployment["spec"]["template"]["spec"]
        env = {e["name"]: e for e in main["env"]}
        assert env[f"{name.upper()}_SERVICE_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "tuijin-service-token", "key": "token"}
        seed = Path(env[f"{name.upper()}_NATS_NKEY_SEED_FILE"]["value"])
        [mount] = [m for m in main["volumeMounts"] if m["mountPath"] == str(seed.parent)]
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == "tuijin-nats-services"
        assert not any("SECRET" in e["name"] and "value" in e for e in main["env"]), "no secret written into a manifest"
    nats = of_kind("StatefulSet")["nats"]
    conf = of_kind("ConfigMap")["nats-config"]["data"]["nats.conf"]
    assert "include ../accounts/accounts.conf" in conf
    mounts = {m["mountPath"]: m["name"] for m in container(nats)["volumeMounts"]}
    volumes = {v["name"]: v for v in nats["spec"]["template"]["spec"]["volumes"]}
    assert volumes[mounts["/etc/nats/accounts"]]["secret"]["secretName"] == "tuijin-nats-accounts"
    assert volumes[mounts["/etc/nats/config"]]["configMap"]["name"] == "nats-config"
