"""String(number) and JSON.stringify as JavaScript writes them (expected values from Node)."""

from __future__ import annotations

import json
import math
import random

import pytest

from faultline_runtime.js import number_to_string, stringify
from support import VECTORS_PATH


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1, "1"),
        (1.0, "1"),
        (-1, "-1"),
        (3000.0, "3000"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1.2345e22, "1.2345e+22"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123456789.125, "123456789.125"),
        (2**53 - 1, "9007199254740991"),
        (2**60, "1152921504606847000"),
        (2**70, "1.1805916207174113e+21"),
        (29.056389578203415, "29.056389578203415"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
    ],
)
def test_number_to_string_matches_javascript(value: float, expected: str) -> None:
    assert number_to_string(value) == expected


def test_stringify_is_compact_keeps_key_order_and_writes_numbers_as_javascript() -> None:
    event = {"type": "attempt", "workMs": 3.0, "resumedFromMs": 0, "ok": True, "key": None, "t": 1.5}
    assert stringify(event) == '{"type":"attempt","workMs":3,"resumedFromMs":0,"ok":true,"key":null,"t":1.5}'
    assert stringify([1e21, math.nan, -math.inf]) == "[1e+21,null,null]"


def test_stringify_writes_every_number_as_the_exact_conversion_does() -> None:
    # Its shortcuts (whole numbers, fractions without an exponent) against number_to_string,
    # on numbers either side of every place JavaScript's layout changes.
    rng = random.Random(7)
    edges = [2.0**53 - 1, 2.0**53, 2.0**53 + 2, 1e16, 1e21, 1e-4, 1e-5, 1e-6, 1e-7, 0.5, -0.0]
    samples = edges + [x * rng.choice((1, -1)) for x in edges]
    samples += [rng.uniform(-1, 1) * 10 ** rng.randint(-12, 25) for _ in range(5000)]
    samples += [float(rng.randint(-(2**60), 2**60)) for _ in range(500)]
    samples += [rng.randint(-(2**60), 2**60) for _ in range(500)]
    for value in samples:
        assert stringify(value) == number_to_string(value), repr(value)
    assert stringify({"t": 1796328989441.0803, "workMs": 0.0}) == '{"t":1796328989441.0803,"workMs":0}'


def test_stringify_strings_as_javascript() -> None:
    # Non-ASCII raw (UTF-8 on the wire), control characters escaped, lone surrogates escaped.
    assert stringify("ß🙂\u2028") == '"ß🙂\u2028"'
    assert stringify('a"\\\n\t\u0001\u007f') == '"a\\"\\\\\\n\\t\\u0001\u007f"'
    assert stringify("x\ud800y") == '"x\\ud800y"'


def test_stringify_rejects_what_is_not_json() -> None:
    with pytest.raises(TypeError):
        stringify({1: "a"})
    with pytest.raises(TypeError):
        stringify(object())


def test_stringify_rewrites_every_record_of_the_vectors_byte_for_byte() -> None:
    # The vectors file holds thousands of numbers and strings as JSON.stringify wrote them,
    # one record a line: parsing a line and writing it again must give the same bytes.
    records = 0
    for line in VECTORS_PATH.read_text(encoding="utf-8").splitlines():
        text = line.strip().removesuffix(",")
        if text.startswith("{") and text.endswith("}"):
            assert stringify(json.loads(text)) == text
            records += 1
    assert records > 1000
