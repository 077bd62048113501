"""Flux configuration: one validated settings object, read from four sources.

Precedence, highest first: `Configuration.override(...)`, environment variables `FLUX_*`
(`__` separates nested keys: `FLUX_WORKERS__BOOTSTRAP_TOKEN`), `flux.toml` in the current
directory (table `[flux]`, nested `[flux.workers]` ...; a top-level `[mcp]` table is accepted
too), `pyproject.toml` `[tool.flux]`, then the defaults below. Nested tables merge key by key
across sources, so one env var overrides one key of a file's section, not the whole section.

To add a section (e.g. `sandbox`): define a `_Section` subclass and add a field for it to
`FluxSettings`. Env vars, both TOML files and error messages pick it up with no other change.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from pydantic_settings.sources import EnvSettingsSource

from flux.errors import ConfigurationError

FLUX_TOML = "flux.toml"
PYPROJECT_TOML = "pyproject.toml"
ENV_PREFIX = "FLUX_"
ENV_NESTED_DELIMITER = "__"

# A value under a key whose last part contains one of these never appears in an error message.
_SENSITIVE_WORDS = ("key", "token", "password", "secret")
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET")


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class WorkersSettings(_Section):
    bootstrap_token: str | None = Field(
        default=None,
        repr=False,
        description="shared secret a worker shows to register; generated per server start "
        "when unset (then only the embedded worker can join)",
    )
    server_url: str = Field(
        default="http://localhost:8000", description="server that workers and the CLI talk to"
    )
    default_timeout: int = Field(default=300, ge=0, description="flux-core setting, accepted")
    retry_attempts: int = Field(default=3, ge=0, description="flux-core setting, accepted")
    retry_delay: int = Field(default=1, ge=0, description="flux-core setting, accepted")
    retry_backoff: int = Field(default=2, ge=1, description="flux-core setting, accepted")
    # Distributed mode (see docs/distributed.md): a claim lasts `lease_ttl` seconds unless a
    # heartbeat renews it; a run that lost its worker `max_attempts` times ends FAILED.
    lease_ttl: float = Field(
        default=5.0, gt=0, description="seconds a claim lasts without a heartbeat"
    )
    heartbeat_interval: float = Field(
        default=1.0, gt=0, description="seconds between a worker's heartbeats"
    )
    max_attempts: int = Field(
        default=3, ge=1, description="claims of one run before losing its worker fails it"
    )
    # The worker process (`flux start worker`): how many executions it runs at once, and how
    # long a SIGTERM lets running ones finish before the rest are handed back to the server.
    max_concurrency: int = Field(
        default=100, ge=1, description="executions one worker runs at once"
    )
    shutdown_grace: float = Field(
        default=30.0, ge=0, description="seconds SIGTERM lets running executions finish"
    )


class ServerSettings(_Section):
    sync_timeout: float = Field(default=60.0, gt=0, description="seconds a sync call waits")
    embedded_worker: bool = Field(
        default=True, description="`flux start server` also starts a worker process"
    )
    max_upload_bytes: int = Field(
        default=1024 * 1024, ge=1, description="largest workflow file accepted"
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        description="largest request body of any endpoint without a cap of its own (inputs, "
        "schedules, secrets, worker checkpoints); larger ones get 413",
    )
    # An offer not claimed within this many seconds is offered again (maybe elsewhere).
    dispatch_offer_timeout: float = Field(
        default=2.0, gt=0, description="seconds before an unclaimed offer is made again"
    )


class SecuritySettings(_Section):
    encryption_key: str | None = Field(
        default=None,
        repr=False,
        description="master key for secrets and value signatures; default: a key generated "
        "into <home>/encryption.key",
    )
    # API keys and roles (docs/security.md). Without a key, a request is served as admin
    # only when the server listens on loopback and the caller is on loopback too.
    require_auth: bool = Field(
        default=False,
        description="require an API key on every request, even from loopback to a server "
        "listening on loopback",
    )
    allow_anonymous: bool = Field(
        default=False,
        description="serve requests without a key as admin even when listening beyond "
        "loopback (unsafe; logged as a warning at every start)",
    )


class MCPSettings(_Section):
    name: str = Field(default="flux-workflows", description="MCP server name")
    host: str = Field(default="localhost", description="MCP server bind host")
    port: int = Field(default=8080, ge=0, le=65535, description="MCP server port")
    server_url: str = Field(
        default="http://localhost:8000", description="Flux server the MCP server talks to"
    )
    transport: Literal["sse", "stdio", "streamable-http"] = Field(
        default="sse", description="MCP transport"
    )


class JobsSettings(_Section):
    # Script jobs (docs/jobs.md). Limits are per attempt; a job may ask for less, never more.
    sandbox: Literal["auto", "bwrap", "process", "docker"] = Field(
        default="auto",
        description="how jobs are isolated: auto picks bwrap when installed, else docker when "
        "a daemon answers, else plain processes (reported as not isolated)",
    )
    memory: str = Field(default="1Gi", description="memory limit per job attempt (e.g. 512Mi)")
    cpu_seconds: float = Field(default=600.0, gt=0, description="CPU seconds per attempt")
    timeout: float = Field(default=600.0, gt=0, description="wall-clock seconds per attempt")
    max_processes: int = Field(default=256, ge=1, description="processes a job may run at once")
    max_output_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="bytes of logs an attempt may print"
    )
    network: bool = Field(default=False, description="jobs get network access by default")
    allow_network: bool = Field(
        default=True, description="a job may ask for network access with `network=true`"
    )
    max_payload_bytes: int = Field(
        default=100_000, ge=2, description="largest JSON payload a job accepts"
    )
    max_script_bytes: int = Field(
        default=1024 * 1024, ge=1, description="largest script a job submission may carry"
    )
    max_retries: int = Field(default=3, ge=0, description="retries after a failed attempt")
    retry_delay: float = Field(
        default=1.0, ge=0, description="seconds before the first retry; doubles each time"
    )
    deps_cache: str | None = Field(
        default=None, description="dependency cache directory; default <home>/cache/deps"
    )
    install_timeout: float = Field(
        default=600.0, gt=0, description="seconds a dependency install may take"
    )
    python_paths: list[str] = Field(
        default_factory=list,
        description="extra Python interpreters for jobs; PATH and pyenv are searched anyway",
    )
    docker_images: dict[str, str] = Field(
        default_factory=lambda: {
            "python": "python:{version}-slim",
            "node": "node:{version}-slim",
            "bash": "bash:5",
        },
        description="image per runtime for the docker sandbox ({version} is filled in)",
    )


class TelemetrySettings(_Section):
    # docs/production.md (Observability). Traces are exported only when an endpoint is set.
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL for traces, e.g. http://127.0.0.1:4318",
    )
    service_name: str = Field(default="flux", description="service.name of exported spans")


class RetentionSettings(_Section):
    # docs/production.md: finished executions are deleted after an age, per workflow.
    days: float = Field(
        default=30.0,
        ge=0,
        description="days a finished execution (and its events, logs) is kept; 0: forever",
    )
    workflows: dict[str, float] = Field(
        default_factory=dict,
        description='days per workflow, overriding `days` (0: forever), e.g. {"etl": 7}',
    )
    interval: float = Field(
        default=3600.0, gt=0, description="seconds between a server's pruning sweeps"
    )
    batch: int = Field(
        default=1000, ge=1, le=100_000, description="executions deleted per statement"
    )
    audit_days: float = Field(
        default=365.0,
        ge=0,
        description="days an audit record (docs/audit.md) is kept; 0: forever",
    )

    @field_validator("workflows")
    @classmethod
    def _no_negative_days(cls, value: dict[str, float]) -> dict[str, float]:
        negative = sorted(name for name, days in value.items() if days < 0)
        if negative:
            raise ValueError(f"retention days must be >= 0 (not for {', '.join(negative)})")
        return value

    def days_for(self, workflow: str) -> float:
        return self.workflows.get(workflow, self.days)


class OutputsSettings(_Section):
    # docs/production.md (Large outputs): a value whose encoded size is over `inline_limit`
    # is kept in the output store; the event log records a signed reference to it.
    enabled: bool = Field(
        default=True,
        description="keep values over `inline_limit` in the output store; false keeps every "
        "value in the event log",
    )
    inline_limit: int = Field(
        default=256 * 1024,
        ge=1,
        description="encoded size in bytes above which a value goes to the output store",
    )
    path: str | None = Field(
        default=None, description="directory of the local output store; default <home>/outputs"
    )
    s3_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix: keep outputs in S3 or an S3-compatible service "
        "instead of `path` (needs flux-orchestrator[s3])",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="endpoint of an S3-compatible service (MinIO, Ceph, ...); default AWS",
    )
    s3_region: str | None = Field(default=None, description="S3 region; default boto3's")
    s3_access_key_id: str | None = Field(
        default=None,
        repr=False,
        description="S3 credentials; default boto3's own sources (environment, ~/.aws, role)",
    )
    s3_secret_access_key: str | None = Field(
        default=None, repr=False, description="S3 secret key, with `s3_access_key_id`"
    )
    prune_grace: float = Field(
        default=3600.0,
        ge=0,
        description="seconds an output nothing references is kept before pruning deletes it",
    )
    max_upload_bytes: int = Field(
        default=1024**3, ge=1, description="largest output a worker may upload to the server"
    )

    @field_validator("s3_url")
    @classmethod
    def _s3_url(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("s3://") or len(value) <= len("s3://")):
            raise ValueError("must look like s3://bucket or s3://bucket/prefix")
        return value


class FluxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        extra="ignore",
        validate_assignment=True,
    )

    debug: bool = Field(default=False, description="debug mode")
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET"] = Field(
        default="INFO", description="log level of Flux's own messages"
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for people, json (one object per line) for collectors"
    )
    server_host: str = Field(default="localhost", description="server bind host")
    server_port: int = Field(default=8000, ge=0, le=65535, description="server bind port")
    api_key: str | None = Field(
        default=None,
        repr=False,
        description="API key the CLI, the Python client and the MCP server send "
        "(FLUX_API_KEY; docs/security.md)",
    )
    home: str = Field(default=".flux", description="where Flux keeps its local files")
    database_url: str = Field(
        default="sqlite:///.flux/flux.db",
        description="sqlite:///path, postgresql://user@host/db, or memory://",
    )
    serializer: Literal["pkl", "json"] = Field(
        default="pkl", description="how values are stored: signed pickle or JSON"
    )
    workers: WorkersSettings = Field(default_factory=WorkersSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    mcp: MCPSettings = Field(default_factory=MCPSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    outputs: OutputsSettings = Field(default_factory=OutputsSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        if isinstance(value, str) and value.upper() in _LOG_LEVELS:
            return value.upper()
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _TomlTableSource(settings_cls, _flux_toml_table),
            _TomlTableSource(settings_cls, _pyproject_table),
        )


def _read_toml(name: str) -> dict[str, Any]:
    path = Path.cwd() / name
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"cannot read configuration file {path}: {exc}") from exc


def _table(data: Mapping[str, Any], *keys: str, file: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key, {})
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{file}: [{'.'.join(keys)}] must be a table")
    return dict(data)


def _flux_toml_table() -> dict[str, Any]:
    data = _read_toml(FLUX_TOML)
    flux = _table(data, "flux", file=FLUX_TOML)
    top_mcp = _table(data, "mcp", file=FLUX_TOML)
    if top_mcp:
        # `[flux.mcp]` is the more specific spelling, so it wins key by key over `[mcp]`.
        flux["mcp"] = {**top_mcp, **_table(flux, "mcp", file=FLUX_TOML)}
    return flux


def _pyproject_table() -> dict[str, Any]:
    return _table(_read_toml(PYPROJECT_TOML), "tool", "flux", file=PYPROJECT_TOML)


class _TomlTableSource(PydanticBaseSettingsSource):
    """One table of a TOML file in the current directory, read when the settings are built."""

    def __init__(
        self, settings_cls: type[BaseSettings], read: Callable[[], dict[str, Any]]
    ) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = read()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


def _deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return False
        data = data[key]
    return True


def _env_var_for(path: tuple[str, ...]) -> str:
    """The env var that supplied `path`: `FLUX_A__B`, or `FLUX_A` when a JSON object was used."""
    present = {name.upper() for name in os.environ}
    for end in range(len(path), 0, -1):
        name = ENV_PREFIX + ENV_NESTED_DELIMITER.join(path[:end]).upper()
        if name in present:
            return name
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(path).upper()


def _origin(path: tuple[str, ...], overrides: Mapping[str, Any]) -> str:
    """Which source supplied the value at `path`, in precedence order."""
    if _lookup(overrides, path):
        return "Configuration.override()"
    env = EnvSettingsSource(FluxSettings)()
    if _lookup(env, path):
        return f"environment variable {_env_var_for(path)}"
    toml = _read_toml(FLUX_TOML)
    tables: list[tuple[str, ...]] = [("flux",), ()] if path[:1] == ("mcp",) else [("flux",)]
    for table in tables:
        if _lookup(toml, table + path):
            return f"{FLUX_TOML} (key {'.'.join(table + path)})"
    if _lookup(_pyproject_table(), path):
        return f"{PYPROJECT_TOML} (key tool.flux.{'.'.join(path)})"
    return "default"


def _section_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    annotation = model.model_fields[name].annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _field_path(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The settings key of an error location, without pydantic's union/literal suffixes."""
    path: list[str] = []
    model: type[BaseModel] | None = FluxSettings
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            break
        path.append(part)
        model = _section_model(model, part)
    return tuple(path) or tuple(str(part) for part in loc)


def _describe(error: Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
    path = _field_path(error["loc"])
    setting = ".".join(path)
    message = f"invalid setting '{setting}' from {_origin(path, overrides)}: {error['msg']}"
    sensitive = any(word in path[-1].lower() for word in _SENSITIVE_WORDS)
    if not sensitive and not isinstance(error["input"], Mapping):
        message += f" (got {error['input']!r})"
    return message


def _build(overrides: Mapping[str, Any]) -> FluxSettings:
    try:
        return FluxSettings(**overrides)
    except ValidationError as exc:
        details = "; ".join(_describe(error, overrides) for error in exc.errors())
        raise ConfigurationError(details) from None
    except SettingsError as exc:
        # Raised for a nested section given as an env var whose value is not valid JSON.
        raise ConfigurationError(f"invalid configuration: {exc}") from None


def _check_known(values: Mapping[str, Any], model: type[BaseModel], prefix: str = "") -> None:
    for key, value in values.items():
        if key not in model.model_fields:
            raise ConfigurationError(f"unknown setting '{prefix}{key}' passed to override()")
        section = _section_model(model, key)
        if section is not None and isinstance(value, Mapping):
            _check_known(value, section, f"{prefix}{key}.")


class Configuration:
    """The process-wide settings. `Configuration.get().settings` is cheap: the settings object
    is built once and kept until `override`, `reload` or `reset`."""

    _instance: ClassVar[Configuration | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._overrides: dict[str, Any] = {}
        self._settings: FluxSettings | None = None

    @classmethod
    def get(cls) -> Configuration:
        instance = cls._instance
        if instance is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
                instance = cls._instance
        return instance

    @property
    def settings(self) -> FluxSettings:
        settings = self._settings
        if settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = _build(self._overrides)
                settings = self._settings
        return settings

    def override(self, **values: Any) -> None:
        """Set values above every other source until `reset()`. Nested dicts merge into their
        section: `override(workers={"bootstrap_token": "x"})` keeps the other worker settings.
        A rejected value leaves the previous configuration in place."""
        _check_known(values, FluxSettings)
        with self._lock:
            overrides = _deep_merge(self._overrides, values)
            self._settings = _build(overrides)
            self._overrides = overrides

    def reload(self) -> None:
        """Read the environment and the files again, keeping the overrides."""
        with self._lock:
            self._settings = _build(self._overrides)

    def reset(self) -> None:
        """Forget the overrides; the next access reads the sources again."""
        with self._lock:
            self._overrides = {}
            self._settings = None
