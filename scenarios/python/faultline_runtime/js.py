"""JavaScript's String(number) and JSON.stringify, for the places where text must match.

Seeds are hashed from parts joined as JavaScript strings, so a part must be turned into
text exactly as `String(x)` does (an attempt of 1 is "1", never "1.0"). History lines are
read by tools written against the TypeScript writer; writing numbers as JSON.stringify
does (3, not 3.0; 1e21, not 1e+21) keeps the two writers' lines byte for byte alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring

# Integers beyond this are not exact in a JavaScript number: they print as the double does.
_MAX_SAFE = 2**53
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def number_to_string(value: float) -> str:
    """ECMAScript Number::toString(10): shortest round-trip digits, JavaScript's layout."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if -_MAX_SAFE < value < _MAX_SAFE:
            return str(value)
        value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"  # -0 too
    if value < 0:
        return "-" + number_to_string(-value)
    # repr gives the shortest digits that round-trip, the nearest when there is a choice:
    # the same digits ECMAScript asks for. Only the layout differs, so redo it.
    _, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    k = len(digits)
    n = exponent + k  # value = 0.digits x 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _string(value: str) -> str:
    # What json.dumps(value, ensure_ascii=False) returns, from the C encoder it calls,
    # without its per-call set-up: every history line goes through here several times.
    text: str = encode_basestring(value)
    # JSON.stringify escapes a lone surrogate (it cannot be encoded as UTF-8); json.dumps
    # with ensure_ascii=False would leave it raw and the line could not be written.
    if not text.isascii() and _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _json_number(value: float) -> str:
    """A number as JSON.stringify writes it. The common cases skip number_to_string's
    Decimal: a whole number JavaScript holds exactly prints its digits, and a fraction
    whose repr has no exponent has JavaScript's digits and layout (both print the
    shortest round-trip digits; only the switch to exponent notation differs)."""
    if isinstance(value, int):
        return str(value) if -_MAX_SAFE < value < _MAX_SAFE else number_to_string(value)
    if not math.isfinite(value):
        return "null"  # JSON has no NaN or Infinity: JSON.stringify writes null
    if value.is_integer():
        # -0.0 too: "0". Beyond 2**53 JavaScript prints the shortest digits, padded with zeros.
        return str(int(value)) if -_MAX_SAFE < value < _MAX_SAFE else number_to_string(value)
    text = repr(value)
    return text if "e" not in text else number_to_string(value)


def stringify(value: object) -> str:
    """JSON.stringify(value) for JSON-shaped data: compact, keys in insertion order."""
    # Most common first: a history line is a flat object of strings and numbers.
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _json_number(value)
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
        return "{" + ",".join([f"{_string(key)}:{stringify(item)}" for key, item in value.items()]) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(stringify(item) for item in value) + "]"
    raise TypeError(f"not JSON data: {type(value).__name__}")
