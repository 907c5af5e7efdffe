"""Fixtures: the test vectors the TypeScript reference generated."""

from __future__ import annotations

from typing import Any

import pytest

from support import load_vectors


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    return load_vectors()
