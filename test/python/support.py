"""Helpers the Python tests share (paths, the reference's test vectors, tolerances)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = REPO_ROOT / "test" / "fixtures" / "runtime-vectors.json"
REL_TOLERANCE = 1e-9
"""Python's libm and V8's fdlibm may round log, exp and cos differently in the last ulp."""


def load_vectors() -> dict[str, Any]:
    with VECTORS_PATH.open(encoding="utf-8") as file:
        data: dict[str, Any] = json.load(file)
    return data


def close(actual: float, expected: float) -> bool:
    return actual == pytest.approx(expected, rel=REL_TOLERANCE, abs=0)
