"""docker-compose.yml stays valid: checked by the compose client where one is installed."""

import shutil
import subprocess
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
