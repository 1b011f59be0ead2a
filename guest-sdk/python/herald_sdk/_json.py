"""JSON text in and out with serde_json's rules (the Rust SDK's): strict
parsing (no NaN / Infinity), compact writing (``to_json``), floats spelled as
serde_json and Rust's ``{}`` spell them (``format_float``), and ``to_text``
for messages. Part of the ``herald_sdk`` package; import from there.
"""

import json


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _parse_json(text):
    """Parses JSON text strictly (no NaN / Infinity, as serde_json)."""
    return json.loads(text, parse_constant=_reject_constant)


_encode_str = json.encoder.encode_basestring  # non-ASCII as is, like serde_json


def _float_json(x):
    """A float as serde_json (ryu) writes it: `1.0`, `0.001`, `1e20`, `1.5e-7`."""
    if x != x or x in (float("inf"), float("-inf")):
        return "null"  # serde_json has no NaN or infinity
    sign, digits, exp = _decimal_digits(x)
    length = len(digits)
    kk = length + exp  # the decimal point sits after `kk` digits
    if 0 <= exp and kk <= 16:
        text = digits + "0" * exp + ".0"
    elif 0 < kk <= 16:
        text = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        text = "0." + "0" * -kk + digits
    elif length == 1:
        text = f"{digits}e{kk - 1}"
    else:
        text = f"{digits[0]}.{digits[1:]}e{kk - 1}"
    return sign + text


def _decimal_digits(x):
    """(sign, significant digits, exponent) of the shortest repr of `x`:
    x == sign digits * 10**exponent, digits without leading or trailing 0s
    (``"0"`` for zero)."""
    text = repr(float(x))
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    mantissa, _, exp = text.partition("e")
    exp = int(exp) if exp else 0
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    exp -= len(frac)
    stripped = digits.lstrip("0")
    if not stripped:
        return sign, "0", 0
    trailing = len(stripped) - len(stripped.rstrip("0"))
    return sign, stripped.rstrip("0"), exp + trailing


def format_float(x):
    """A number as Rust's ``{}`` prints an ``f64``: ``80``, ``249.9``,
    ``0.0000001``, ``inf``, ``NaN`` (no exponent, no trailing ``.0``). Use it
    to write messages that match a Rust plugin's word for word."""
    x = float(x)
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    sign, digits, exp = _decimal_digits(x)
    if digits == "0":
        return sign + "0"
    if exp >= 0:
        return sign + digits + "0" * exp
    point = len(digits) + exp
    if point > 0:
        return sign + digits[:point] + "." + digits[point:]
    return sign + "0." + "0" * -point + digits


def to_json(value, sort_keys=False):
    """`value` as compact JSON text, the way serde_json writes it: no spaces,
    non-ASCII characters as they are, floats as ``1.0`` / ``1e20``, NaN and
    infinities as ``null``. Object keys keep the dict's order (``sort_keys``
    sorts them, as a Rust ``serde_json::Value`` does). Raises ``TypeError``
    for what JSON cannot hold."""
    out = []
    _write_json(value, out, sort_keys)
    return "".join(out)


def _write_json(value, out, sort_keys):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float_json(value))
    elif isinstance(value, dict):
        out.append("{")
        items = sorted(value.items()) if sort_keys else value.items()
        first = True
        for key, item in items:
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(key))
            out.append(":")
            _write_json(item, out, sort_keys)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write_json(item, out, sort_keys)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_text(value):
    """A short, human text for a JSON value, for messages and templates:
    strings without quotes, ``None`` as ``""``, anything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return to_json(value)
