"""ops/k8s: valid manifests with the probes, grace period, rules ConfigMap and scrape annotations."""

from pathlib import Path

import yaml

K8S = Path(__file__).resolve().parents[2] / "ops" / "k8s"


def docs() -> list[dict]:  # type: ignore[type-arg]
    return [d for f in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def test_worker_deployment() -> None:
    worker = next(d for d in docs() if d["kind"] == "Deployment" and d["metadata"]["name"] == "streams-worker")
    pod = worker["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["spec"]["terminationGracePeriodSeconds"] >= 30
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert {"name": "STREAMS_RULES", "value": "/etc/streams/rules/rules.yaml"} in container["env"]


def test_rules_configmap_is_valid_rules() -> None:
    from streams.stages.routing.rules import Rules

    rules_map = next(d for d in docs() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "streams-rules")
    rules = Rules.from_dict(yaml.safe_load(rules_map["data"]["rules.yaml"]))
    assert rules.routes[0].name == "syria_diplomacy"
