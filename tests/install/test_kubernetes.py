"""deploy/kubernetes: valid against the Kubernetes API schemas, and complete (probes, resources, secrets)."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.31.0"  # the oldest release still supported upstream when this was written


def _documents():
    return [(path.name, doc) for path in sorted(MANIFESTS.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def _workloads():
    return {doc["metadata"]["name"]: doc for _, doc in _documents() if doc["kind"] in ("Deployment", "Job")}


@pytest.mark.parametrize("name, document", _documents(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_manifest_is_valid_for_kubernetes(name, document):
    # strict: a misspelt or misplaced field is an error, not silently dropped by the API server.
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest():
    listed = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml")


def test_there_is_an_api_a_worker_a_scheduler_and_a_migration_job():
    commands = {name: doc["spec"]["template"]["spec"]["containers"][0].get("command")
                for name, doc in _workloads().items()}
    assert commands == {"flowdesk-api": None, "flowdesk-worker": ["flowdesk", "worker"],
                        "flowdesk-scheduler": ["flowdesk", "scheduler"],
                        "flowdesk-migrate": ["flowdesk", "db", "upgrade"]}


def test_every_container_requests_resources_and_runs_as_non_root():
    for name, doc in _workloads().items():
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_long_running_processes_are_probed():
    workloads = _workloads()
    api = workloads["flowdesk-api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    for kind in ("worker", "scheduler"):
        container = workloads[f"flowdesk-{kind}"]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["exec"]["command"] == ["flowdesk", "check", kind]


def test_secrets_come_from_a_secret_never_from_the_manifests():
    for name, doc in _workloads().items():
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for variable in container.get("env", []):
                if variable["name"] in ("FLOWDESK_DATABASE_URL", "FLOWDESK_SECRET_KEY", "FLOWDESK_ADMIN_KEY"):
                    assert variable["valueFrom"]["secretKeyRef"]["name"] == "flowdesk", (name, variable)
    configmap = next(doc for _, doc in _documents() if doc["kind"] == "ConfigMap")
    assert not {"FLOWDESK_DATABASE_URL", "FLOWDESK_SECRET_KEY", "FLOWDESK_ADMIN_KEY"} & set(configmap["data"])
