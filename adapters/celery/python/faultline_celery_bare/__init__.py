"""Bare Celery, the yardstick of `faultline bench` for the celery adapter
(scenarios/bare-protocol.ts): a producer sending no-op tasks with Celery's own `send_task`
and awaiting their results the Celery way, and a worker with one no-op task, configured
from the same knobs as the Faultline cell. Nothing of Faultline runs in them: no step
runtime, no history, no world, no canvas.
"""
