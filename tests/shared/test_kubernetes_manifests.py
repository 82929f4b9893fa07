"""The Kubernetes manifests render with kustomize and hold up against Kubernetes' own schemas.

``kubectl kustomize deploy/kubernetes`` renders them; each object is checked (strictly: no unknown
field) with kubernetes-validate, which ships the API's JSON schemas, so no network is needed. Then
what `make cluster` showed production needs: two web replicas at least, a budget against
draining both, probes, resource requests, migrations in Jobs only, network policies.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from shared.config import PROJECT_ROOT

KUBERNETES_VERSION = "1.31"  # the oldest version still supported upstream when this was written
KUBECTL = shutil.which("kubectl")

pytestmark = pytest.mark.skipif(
    KUBECTL is None and not os.environ.get("CI_REQUIRE_KUBECTL"),
    reason="needs kubectl (its built-in kustomize renders the manifests)",
)


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    assert KUBECTL, "kubectl is required in CI (CI_REQUIRE_KUBECTL)"
    rendered = subprocess.run(
        [KUBECTL, "kustomize", str(PROJECT_ROOT / "deploy" / "kubernetes")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return [document for document in yaml.safe_load_all(rendered) if document]


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_object_is_valid_against_the_kubernetes_schemas(objects):
    import kubernetes_validate

    problems = []
    for document in objects:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{document['kind']}/{document['metadata']['name']}: {error.message}")
    assert problems == []


def test_each_web_deployment_runs_two_replicas_with_probes_and_requests(objects):
    deployments = by_kind(objects, "Deployment")
    for name in ("panda", "community"):
        spec = deployments[name]["spec"]
        assert spec["replicas"] >= 2
        [container] = spec["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        env = {item["name"]: item.get("value") for item in container.get("env", [])}
        assert env["MIGRATE_ON_START"] == "0", "replicas never migrate: the Job does"
    for deployment in deployments.values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]


def test_migrations_run_in_one_job_per_service(objects):
    jobs = by_kind(objects, "Job")
    assert {job["spec"]["template"]["spec"]["containers"][0]["args"][0] for job in jobs.values()} == {
        "panda-migrate",
        "community-migrate",
    }


def test_draining_never_takes_the_last_replica_and_load_adds_replicas(objects):
    budgets = by_kind(objects, "PodDisruptionBudget")
    autoscalers = by_kind(objects, "HorizontalPodAutoscaler")
    deployments = by_kind(objects, "Deployment")
    for name in ("panda", "community"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        selector = budgets[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        assert budgets[name]["spec"]["minAvailable"] == 1
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name
        assert autoscalers[name]["spec"]["minReplicas"] >= 2


def test_nothing_reaches_a_pod_that_a_network_policy_does_not_allow(objects):
    policies = by_kind(objects, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    for name in ("panda-web", "community-web"):
        [rule] = policies[name]["spec"]["ingress"]
        assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
