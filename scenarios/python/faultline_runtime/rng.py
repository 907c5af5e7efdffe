"""Seeded random streams, bit for bit those of core/random.ts.

JavaScript does this arithmetic on 32-bit integers (`>>> 0`, `Math.imul`); Python's
integers are unbounded, so every step is masked back to 32 bits. Values are kept
unsigned throughout: XOR, shifts and the low 32 bits of products and sums do not depend
on whether the same 32 bits are read as signed, so the results are the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from faultline_runtime.js import number_to_string

Rng = Callable[[], float]
"""A seeded source of uniform numbers in [0, 1)."""

_MASK = 0xFFFFFFFF


def _imul(a: int, b: int) -> int:
    """Math.imul: the low 32 bits of the product."""
    return (a * b) & _MASK


def seeded_rng(seed: int) -> Rng:
    """mulberry32, as core/random.ts seededRng: same seed, same sequence."""
    state = seed & _MASK  # `seed >>> 0`

    def next_value() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & _MASK
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & _MASK
        return ((t ^ (t >> 14)) & _MASK) / 4294967296

    return next_value


def _part(part: str | float) -> str:
    # Array.prototype.join turns numbers into text with String(x).
    return part if isinstance(part, str) else number_to_string(part)


def derive_seed(*parts: str | float) -> int:
    """core/random.ts deriveSeed: FNV-1a over the code points of the parts joined by
    U+0000, then murmur3's finalizer (so ids that differ in one character get unrelated
    streams)."""
    h = 0x811C9DC5
    # A Python str iterates by code point, as JavaScript's for..of over a string does.
    for ch in "\u0000".join(_part(p) for p in parts):
        h = _imul(h ^ ord(ch), 0x01000193)
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = _imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def exponential(rng: Rng, mean: float) -> float:
    return -math.log(1 - rng()) * mean
