"""deploy/compose.yaml does what its header says: the containers read the private env file named by
LIAISON_ENV_FILE (never env.example, whose tokens are empty), no `change-me` secret that would start,
the provider rates are not divided by hand, and the NLU models are trained once into a volume the app
processes load. Checked with `docker compose config` where it runs, and always by reading the YAML
against Settings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
APPS = ("app-1", "app-2")
POSTGRES_ONLY = {"POSTGRES_PASSWORD", "POSTGRES_DB", "POSTGRES_USER"}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def setting_names() -> set[str]:
    return {field.alias or name for name, field in Settings.model_fields.items()}


def test_the_containers_read_the_env_file_the_header_names_and_never_env_example() -> None:
    header = "".join(line for line in COMPOSE.read_text().splitlines(keepends=True) if line.startswith("#"))
    assert "LIAISON_ENV_FILE=/secure/liaison.env" in header and "--env-file" not in header
    services = compose()["services"]
    for name in (*APPS, "migrate", "nlu-train"):
        env_file = services[name]["env_file"]
        assert env_file.startswith("${LIAISON_ENV_FILE:?"), (name, env_file)  # required: no default at all
    assert "env.example" not in re.sub(r"#.*", "", COMPOSE.read_text()).replace("copy of env.example", "")


def test_no_change_me_secret_and_every_variable_is_a_setting() -> None:
    example = [line for line in ENV_EXAMPLE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert not [line for line in example if "change-me" in line]
    names = {line.split("=", 1)[0] for line in example}
    commented = {m.group(1) for m in re.finditer(r"^#\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.M)}
    assert names | commented <= setting_names(), sorted((names | commented) - setting_names())
    services = compose()["services"]
    for name in (*APPS, "migrate", "nlu-train"):
        environment = services[name].get("environment", {})
        assert set(environment) <= setting_names(), (name, environment)
        assert "change-me" not in str(environment)
        assert environment["DATABASE_URL"].startswith("postgresql://liaison:${POSTGRES_PASSWORD:?")
    assert "change-me" not in COMPOSE.read_text()


def test_rates_are_not_divided_by_hand_per_process() -> None:
    """The processes share the provider's rate (the outbox's shared limiter): the settings hold the
    provider's own limits, which a note that said "divided by N" would halve for two processes."""
    text = (COMPOSE.read_text() + ENV_EXAMPLE.read_text()).replace("\n#", " ")
    assert "divided by N" not in text and "limit divided by" not in text
    assert "never divide them by" in COMPOSE.read_text()


def test_the_models_are_trained_once_into_a_volume_the_apps_load() -> None:
    spec = compose()
    services = spec["services"]
    train = services["nlu-train"]
    assert train["command"] == ["liaison", "nlu", "train"]
    cache = train["environment"]["NLU_CACHE_DIR"]
    assert f"nlu-models:{cache}" in train["volumes"] and "nlu-models" in spec["volumes"]
    for app in APPS:
        assert services[app]["environment"]["NLU_CACHE_DIR"] == cache
        assert f"nlu-models:{cache}" in services[app]["volumes"]
        assert services[app]["depends_on"]["nlu-train"] == {"condition": "service_completed_successfully"}
        assert services[app]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "mkdir -p /app/var/nlu-cache" in (DEPLOY / "Dockerfile").read_text()  # the volume is the service user's


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True) if docker else None
    if probe is None or probe.returncode != 0:
        pytest.skip("docker compose is not installed here; the YAML is checked against Settings above")
    env_file = tmp_path / "liaison.env"
    env_file.write_text(ENV_EXAMPLE.read_text())
    env = {"LIAISON_ENV_FILE": str(env_file), "LIAISON_KEY_DIR": str(tmp_path), "POSTGRES_PASSWORD": "pw-for-config",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}
    out = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    missing = subprocess.run([docker, "compose", "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                             env={**env, "LIAISON_ENV_FILE": ""})
    assert missing.returncode != 0 and "LIAISON_ENV_FILE" in missing.stderr
