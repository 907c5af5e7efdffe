"""Seeds and draws bit for bit as harness/random.ts; samples within 1e-9."""

from __future__ import annotations

from typing import Any

from faultline_runtime.model import parse_scenario
from faultline_runtime.rng import derive_seed, exponential, seeded_rng
from faultline_runtime.sampling import sample_duration
from support import close


def test_derive_seed_matches_the_reference(vectors: dict[str, Any]) -> None:
    assert len(vectors["seeds"]) > 50
    for case in vectors["seeds"]:
        assert derive_seed(*case["parts"]) == case["seed"], case["parts"]


def test_derive_seed_spreads_ids_that_differ_in_one_character() -> None:
    a, b = derive_seed("run-01", "embed#2", 3), derive_seed("run-07", "embed#2", 3)
    assert bin(a ^ b).count("1") > 8


def test_seeded_rng_draws_match_the_reference_exactly(vectors: dict[str, Any]) -> None:
    for case in vectors["draws"]:
        rng = seeded_rng(case["seed"])
        assert [rng() for _ in case["draws"]] == case["draws"], case["seed"]


def test_draws_are_in_zero_one() -> None:
    rng = seeded_rng(derive_seed("range"))
    values = [rng() for _ in range(10_000)]
    assert min(values) >= 0
    assert max(values) < 1


def test_exponential_matches_the_reference(vectors: dict[str, Any]) -> None:
    for case in vectors["exponential"]:
        rng = seeded_rng(case["seed"])
        for expected in case["samples"]:
            assert close(exponential(rng, case["mean"]), expected), case


def test_sample_duration_matches_the_reference_and_draws_as_often(vectors: dict[str, Any]) -> None:
    for case in vectors["durations"]:
        # Parsed through a one-step scenario: the same path a worker's durations take.
        duration = (
            parse_scenario(
                {
                    "name": "d",
                    "description": "",
                    "steps": [{"id": "s", "kind": "compute", "work": case["duration"]}],
                }
            )
            .steps[0]
            .work
        )
        rng = seeded_rng(case["seed"])
        for expected in case["samples"]:
            actual = sample_duration(duration, rng)
            assert close(actual, expected), (case["duration"], case["seed"], actual, expected)
