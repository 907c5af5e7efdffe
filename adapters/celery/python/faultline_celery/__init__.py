"""Faultline's Celery adapter, the Python side: the worker (`python -m faultline_celery.worker`)
and the submitter (`python -m faultline_celery.submitter`). A run is a Celery canvas (chains
of step tasks, chords for fan-out and fan-in) on a real Celery worker; every step runs
through the shared step runtime (faultline_runtime). See adapters/celery/README.md.
"""
