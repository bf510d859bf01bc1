"""docker-compose.yml stays valid: checked by the compose client where one is installed."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from tests.conftest import unavailable

REPO = Path(__file__).resolve().parents[2]


def test_compose_file_parses_with_the_compose_client() -> None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "-q"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose", "config", "-q"]
    else:
        unavailable("no compose client here (neither `docker compose` nor `docker-compose`)")
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_services_and_mounted_files_exist() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert {"kafka", "worker", "prometheus", "grafana"} <= set(compose["services"])
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), source
    assert (REPO / "Dockerfile").is_file()


def test_compose_runs_the_kafka_version_of_the_local_broker() -> None:
    """docker-compose's broker is the Apache Kafka release ops/kafka/pom.xml gives ops/kafka/broker."""
    pom = ET.parse(REPO / "ops" / "kafka" / "pom.xml").getroot()
    namespace = {"m": "http://maven.apache.org/POM/4.0.0"}
    version = pom.findtext("m:properties/m:kafka.version", namespaces=namespace)
    assert version is not None
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version}"
