"""The Kubernetes manifests validate against Kubernetes' schemas and keep their promises.

Offline: kubernetes-validate ships the schemas. Where `kubectl` is installed, the
kustomization is also rendered by it and the result validated.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from firefighter import serving
from firefighter.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes still supported upstream when these were written, and the newest
# the installed kubernetes-validate knows.
VERSIONS = ["1.30", kubernetes_validate.latest_version()]
# Outside the kustomization: the Secret is the operator's; the ServiceMonitor needs a CRD.
EXTRAS = {"secret.example.yaml", "servicemonitor.yaml"}

# DESIGN.md's table of stable environment variables.
DESIGN_VARIABLES = [
    "DATABASE_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "FIREFIGHTER_INCIDENTS_CHANNEL",
    "FIREFIGHTER_DIGEST_CHANNEL",
    "FIREFIGHTER_COMMAND",
    "CONFLUENCE_URL",
    "CONFLUENCE_USERNAME",
    "CONFLUENCE_API_TOKEN",
    "CONFLUENCE_SPACE",
    "CONFLUENCE_PARENT_PAGE_ID",
    "JIRA_URL",
    "JIRA_USERNAME",
    "JIRA_API_TOKEN",
    "JIRA_PROJECT",
    "JIRA_ISSUE_TYPE",
    "JIRA_WEBHOOK_SECRET",
    "FIREFIGHTER_ALERTS_TOKEN",
    "PAGERDUTY_WEBHOOK_SECRET",
    "FIREFIGHTER_ALERTS_CHANNEL",
    "FIREFIGHTER_ALERT_RULES",
]
REQUIRED = {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
SECRETS = REQUIRED | {
    "SLACK_APP_TOKEN",
    "CONFLUENCE_API_TOKEN",
    "JIRA_API_TOKEN",
    "JIRA_WEBHOOK_SECRET",
    "FIREFIGHTER_ALERTS_TOKEN",
    "PAGERDUTY_WEBHOOK_SECRET",
    "PAGERDUTY_API_TOKEN",
    "OPSGENIE_API_KEY",
    "FIREFIGHTER_CHAOS_TOKEN",
    "FIREFIGHTER_OIDC_CLIENT_SECRET",
    "FIREFIGHTER_SESSION_SECRET",
    "FIREFIGHTER_WEBHOOKS",
}


def documents(path: Path) -> Iterator[dict[str, Any]]:
    """Every resource in a YAML file."""
    for document in yaml.safe_load_all(path.read_text()):
        if document:
            yield document


def kustomization() -> dict[str, Any]:
    """The kustomization file."""
    return next(documents(MANIFESTS / "kustomization.yaml"))


def base() -> list[dict[str, Any]]:
    """The resources `kubectl apply -k` applies, as written."""
    return [r for name in kustomization()["resources"] for r in documents(MANIFESTS / name)]


def one(kind: str, name: str) -> dict[str, Any]:
    """The base's resource of that kind and name."""
    found = [r for r in base() if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs() -> dict[str, dict[str, Any]]:
    """Pod specs of the serve and worker Deployments and the db-upgrade Job, by name."""
    return {
        "serve": one("Deployment", "firefighter-serve")["spec"]["template"]["spec"],
        "worker": one("Deployment", "firefighter-worker")["spec"]["template"]["spec"],
        "job": one("Job", "firefighter-db-upgrade")["spec"]["template"]["spec"],
    }


def test_every_file_is_in_the_kustomization_or_a_documented_extra() -> None:
    present = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    listed = set(kustomization()["resources"])
    assert listed <= present, "the kustomization lists a file that does not exist"
    assert present - listed == EXTRAS


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version: str) -> None:
    checked = 0
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for resource in documents(path):
            if resource["apiVersion"].startswith("monitoring.coreos.com/"):
                continue  # a CRD: checked by the ServiceMonitor test
            kubernetes_validate.validate(resource, version, strict=True)
            checked += 1
    assert checked >= 8


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_renders_the_kustomization_into_valid_resources() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(MANIFESTS)], capture_output=True, text=True, check=True
    ).stdout
    resources = [r for r in yaml.safe_load_all(rendered) if r]
    assert {r["kind"] for r in resources} == {
        "ConfigMap",
        "Deployment",
        "Job",
        "PodDisruptionBudget",
        "Service",
    }
    for resource in resources:
        kubernetes_validate.validate(resource, VERSIONS[-1], strict=True)
        assert resource["metadata"]["labels"]["app.kubernetes.io/part-of"] == "firefighter"


def test_serve_has_two_replicas_probes_on_healthz_and_a_graceful_stop() -> None:
    deployment = one("Deployment", "firefighter-serve")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"][:3] == ["firefighter", "serve", "--no-worker"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz" and get["port"] in ports
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    # The pod gets SIGTERM after preStop; the process needs up to STOP_WITHIN after it.
    assert spec["terminationGracePeriodSeconds"] >= pause + serving.STOP_WITHIN


def test_every_pod_runs_as_the_image_user_with_a_read_only_root_and_resources() -> None:
    image_user = re.search(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert image_user is not None
    for name, spec in pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == int(image_user.group(1)), name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"] and container["resources"]["limits"]
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{name}: matplotlib and Python need a writable /tmp"
        if name != "job":
            assert spec["terminationGracePeriodSeconds"] >= serving.STOP_WITHIN


def test_the_job_upgrades_the_database_before_a_rollout() -> None:
    job = one("Job", "firefighter-db-upgrade")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["firefighter", "db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert [e["name"] for e in container["env"]] == ["DATABASE_URL"]  # nothing else it needs


def wiring(spec: dict[str, Any]) -> dict[str, tuple[str, str, bool]]:
    """Variable name → (ConfigMap or Secret, object name, optional) for a pod's container."""
    (container,) = spec["containers"]
    out = {}
    for variable in container["env"]:
        source = variable["valueFrom"]
        kind = "configMapKeyRef" if "configMapKeyRef" in source else "secretKeyRef"
        ref = source[kind]
        assert ref["key"] == variable["name"], "keys are named as the variables they set"
        out[variable["name"]] = (kind, ref["name"], bool(ref.get("optional", False)))
    return out


def test_every_variable_of_the_design_and_every_setting_is_wired_into_serve_and_worker() -> None:
    known = [str(field.validation_alias) for field in Settings.model_fields.values()]
    assert "FIREFIGHTER_OUTBOX_LEASE_SECONDS" in known
    config = one("ConfigMap", "firefighter-config")
    secret = next(documents(MANIFESTS / "secret.example.yaml"))
    for name, spec in pod_specs().items():
        if name == "job":
            continue
        wired = wiring(spec)
        assert set(DESIGN_VARIABLES) | set(known) <= set(wired), name
        for variable, (kind, ref, optional) in wired.items():
            if variable in SECRETS:
                assert (kind, ref) == ("secretKeyRef", secret["metadata"]["name"]), variable
            else:
                assert (kind, ref) == ("configMapKeyRef", config["metadata"]["name"]), variable
            # Only what serve cannot start without is required; an unset key means default.
            assert optional == (variable not in REQUIRED), variable
    assert set(config["data"]) <= set(wiring(pod_specs()["serve"]))
    assert set(secret["stringData"]) >= REQUIRED


def test_the_service_exposes_metrics_by_name_for_a_service_monitor() -> None:
    service = one("Service", "firefighter")
    serve = one("Deployment", "firefighter-serve")["spec"]["template"]
    assert service["spec"]["selector"].items() <= serve["metadata"]["labels"].items()
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert ports["metrics"]["targetPort"] == "http" and ports["http"]["targetPort"] == "http"
    (monitor,) = documents(MANIFESTS / "servicemonitor.yaml")
    assert monitor["kind"] == "ServiceMonitor"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"}
    ]
    annotations = serve["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"


def test_a_disruption_budget_keeps_one_serve_up() -> None:
    budget = one("PodDisruptionBudget", "firefighter-serve")
    serve = one("Deployment", "firefighter-serve")["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"].items() <= serve.items()


def test_workers_answer_probes_and_metrics_on_a_port_of_their_own() -> None:
    deployment = one("Deployment", "firefighter-worker")
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    command = container["command"]
    assert command[:2] == ["firefighter", "worker"]
    port = int(command[command.index("--port") + 1])
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable by the kubelet
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": port}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port)
    service = one("Service", "firefighter-worker")
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    assert service["spec"]["ports"] == [{"name": "metrics", "port": port, "targetPort": "metrics"}]
    (monitor,) = documents(MANIFESTS / "servicemonitor.yaml")
    selector = monitor["spec"]["selector"]["matchLabels"].items()
    assert selector <= service["metadata"]["labels"].items()
    assert selector <= one("Service", "firefighter")["metadata"]["labels"].items()


def test_rules_and_template_are_files_mounted_from_a_config_map(tmp_path: Path) -> None:
    from firefighter.alerts.rules import parse_rules
    from firefighter.postmortem.render import render_storage
    from tests.postmortem.test_render import make_view

    config = one("ConfigMap", "firefighter-config")["data"]
    files = one("ConfigMap", "firefighter-files")
    for variable in ("FIREFIGHTER_ALERT_RULES", "FIREFIGHTER_POSTMORTEM_TEMPLATE"):
        path = Path(config[variable])
        for name in ("serve", "worker"):
            spec = pod_specs()[name]
            (container,) = spec["containers"]
            mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
            assert mount.get("readOnly") is True, name
            volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
            assert volume["configMap"]["name"] == files["metadata"]["name"], name
            assert path.name in files["data"], f"{variable}: no key {path.name}"
    # The shipped files work as they are: no rules (everything to triage), the built-in page.
    assert parse_rules(files["data"]["alert-rules.yaml"]).rules == ()
    template = tmp_path / "postmortem.storage.xml.j2"
    template.write_text(files["data"]["postmortem.storage.xml.j2"])
    view = make_view(closed=True)
    assert render_storage(view, template=template) == render_storage(view)
