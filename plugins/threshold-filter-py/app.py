"""Threshold filter (Python): keeps an event when a numeric field is above
(and/or below) configured amounts, e.g. "orders whose total is above 100".
The same plugin as plugins/threshold-filter (Rust), config for config and
message for message.

Config: {"path": "data.order.total", "above": 100, "below": 10000, "missing": "drop"}
- path: dotted path into the event envelope ({"id","type","timestamp","environment","data"}).
- above / below: exclusive bounds; at least one is required.
- missing: "drop" (default) or "keep" when the field is absent or not a number.

Numbers given as strings ("12.50", common for money) are accepted.
"""

import re

from herald_sdk import Event, PluginError, Verdict, drop, export_filter, format_float, keep

FIELDS = ("path", "above", "below", "missing")


def _unexpected(value):
    """How serde names a JSON value in its "invalid type" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{format_float(value)}`"
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, list):
        return "sequence"
    return "map"


class Config:
    """The webhook's config for this plugin."""

    def __init__(self, path, above=None, below=None, missing="drop"):
        self.path = path  # dotted path to the numeric field
        self.above = above  # keep only values strictly greater than this
        self.below = below  # keep only values strictly less than this
        self.missing = missing  # "drop" or "keep" when absent or not numeric

    @staticmethod
    def parse(raw):
        """The config from its JSON, refused as serde refuses the Rust
        plugin's (unknown keys included)."""
        if not isinstance(raw, dict):
            raise PluginError.invalid_config(f"invalid type: {_unexpected(raw)}, expected struct Config")
        for key in raw:
            if key not in FIELDS:
                expected = ", ".join(f"`{f}`" for f in FIELDS)
                raise PluginError.invalid_config(f"unknown field `{key}`, expected one of {expected}")
        if "path" not in raw:
            raise PluginError.invalid_config("missing field `path`")
        path = raw["path"]
        if not isinstance(path, str):
            raise PluginError.invalid_config(f"invalid type: {_unexpected(path)}, expected a string")
        bounds = {}
        for key in ("above", "below"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise PluginError.invalid_config(f"invalid type: {_unexpected(value)}, expected f64")
            bounds[key] = None if value is None else float(value)
        missing = raw.get("missing", "drop")
        if missing not in ("drop", "keep"):
            raise PluginError.invalid_config(
                f"unknown variant `{missing}`, expected `drop` or `keep`"
                if isinstance(missing, str)
                else f"invalid type: {_unexpected(missing)}, expected `drop` or `keep`"
            )
        return Config(path, bounds["above"], bounds["below"], missing)


# What Rust's `str::parse::<f64>` accepts (ASCII digits, no `_`), after trim.
_FLOAT = re.compile(r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)", re.IGNORECASE)
# Unicode White_Space, what Rust's `str::trim` removes.
_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def number(value):
    """A JSON number, or a string holding one ("12.50"), as a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        if _FLOAT.fullmatch(text):
            return float(text)
    return None


def threshold(event: Event, config: Config) -> Verdict:
    """Keeps the event when the field at `config.path` is within the bounds."""
    value = number(event.get(config.path))
    if value is None:
        if config.missing == "keep":
            return keep()
        return drop(f"{config.path} is missing or not a number")
    if config.above is not None and value <= config.above:
        return drop(f"{config.path} = {format_float(value)} is not above {format_float(config.above)}")
    if config.below is not None and value >= config.below:
        return drop(f"{config.path} = {format_float(value)} is not below {format_float(config.below)}")
    return keep()


def check_config(config: Config) -> None:
    """Refuses a config no event could pass, when the webhook is saved."""
    if config.path.strip(_WHITESPACE) == "":
        raise PluginError.invalid_config("`path` must not be empty")
    a, b = config.above, config.below
    if a is None and b is None:
        raise PluginError.invalid_config("set `above`, `below` or both")
    if a is not None and b is not None and a >= b:
        raise PluginError.invalid_config(
            f"`above` ({format_float(a)}) must be less than `below` ({format_float(b)}): no value could pass"
        )


Filter = export_filter(threshold, config=Config.parse, check_config=check_config)
