"""Faultline's step runtime for Python workers: a port of scenarios/runtime.ts.

A Python worker (Celery, Temporal's Python SDK) executes steps through this package so
that it draws the same work times and failures, sends the same requests to the world and
writes the same history lines as the TypeScript reference for the same run, step and
attempt. See scenarios/python/README.md.
"""

from faultline_runtime.runtime import (
    PermanentStepError,
    StepCall,
    StepResult,
    StepRuntime,
    TransientStepError,
)

__all__ = ["PermanentStepError", "StepCall", "StepResult", "StepRuntime", "TransientStepError"]
