"""The Flux MCP server (`flux start mcp`): Flux's workflows, jobs, DAGs and schedules as
tools of the Model Context Protocol, for AI assistants and IDEs. See docs/mcp.md.

Layering: this package talks to a Flux server only through `flux.client`; it never imports
the server, the orchestrator or storage.
"""
