"""Configuration System, "Programmatic Configuration" (flux-core README 0.4.8).

Settings come from `FLUX_*` environment variables, ./flux.toml, ./pyproject.toml
(`[tool.flux]`) and the defaults, in that order of precedence.

Run: python examples/16_configuration.py
"""

# fmt: off
from flux.config import Configuration

# Get current configuration
config = Configuration.get()
print(f"Server port: {config.settings.server_port}")
print(f"Worker bootstrap token: {config.settings.workers.bootstrap_token}")

# Override configuration for testing
config.override(
    debug=True,
    server_port=9000,
    workers={"bootstrap_token": "test-token"}
)

# Reload configuration from sources
config.reload()

# Reset to defaults
config.reset()
# fmt: on


if __name__ == "__main__":
    config.override(server_port=9000, workers={"bootstrap_token": "test-token"})
    token = config.settings.workers.bootstrap_token
    print(f"After override: port {config.settings.server_port}, token {token}")
    config.reload()
    print(f"After reload: port {config.settings.server_port}")  # overrides are kept
    config.reset()
    print(f"After reset: port {config.settings.server_port}")
    print(f"Database: {config.settings.database_url}")
