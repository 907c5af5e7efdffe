"""Work durations drawn from a step's distribution, as scenarios/sampling.ts sampleDuration.

Draws are consumed in the same order and number as the reference, so the streams stay
aligned. Python's libm and V8's fdlibm may round log/exp/cos differently in the last
ulp: durations agree to a relative 1e-9, not bit for bit.
"""

from __future__ import annotations

import math

from faultline_runtime.model import Constant, Duration, Exponential, Lognormal, Uniform
from faultline_runtime.rng import Rng, exponential

Z_99 = 2.3263478740408408
"""The standard normal's 99th percentile: p99 = median * exp(sigma * Z_99)."""


def _standard_normal(rng: Rng) -> float:
    # Box-Muller; 1 - rng() keeps log away from zero. Radius first, then angle: the order
    # JavaScript evaluates the two operands of the product in.
    radius = math.sqrt(-2 * math.log(1 - rng()))
    return radius * math.cos(2 * math.pi * rng())


def sample_duration(duration: Duration, rng: Rng) -> float:
    if isinstance(duration, Constant):
        return duration.ms
    if isinstance(duration, Uniform):
        return duration.min_ms + rng() * (duration.max_ms - duration.min_ms)
    if isinstance(duration, Exponential):
        return exponential(rng, duration.mean_ms)
    if isinstance(duration, Lognormal):
        if duration.median_ms <= 0:
            return 0
        mu = math.log(duration.median_ms)
        sigma = max(0, math.log(max(duration.p99_ms, duration.median_ms) / duration.median_ms) / Z_99)
        return math.exp(mu + sigma * _standard_normal(rng))
    raise TypeError(f"unknown duration {duration!r}")
