"""The worker process (`flux start worker`): runs uploaded workflows for a Flux server.

It speaks the protocol of `flux.api.worker_protocol` and drives the unchanged engine over a
`RemoteStore`; see docs/distributed.md for leases, fencing and dispatch.
"""
