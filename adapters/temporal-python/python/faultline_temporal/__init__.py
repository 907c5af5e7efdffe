"""Temporal's Python SDK as a Faultline adapter's workers (adapters/temporal-python).

`workflow` is the pipeline workflow, a deterministic DAG interpreter run in the SDK's
sandbox; `activities` executes each step through the shared step runtime
(faultline_runtime); `worker` is the process the supervisor starts
(`python -m faultline_temporal.worker`). Nothing here runs at import: the sandbox
re-imports the workflow's module for every workflow run.
"""
