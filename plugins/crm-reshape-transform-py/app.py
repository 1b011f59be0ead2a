"""CRM reshape transform (Python): maps an event onto a partner CRM's own
field names and structure, with a configured mapping, so one order event can
feed a CRM that expects e.g. {"properties": {"dealname": ..., "amount": ...}}.
The same plugin as plugins/crm-reshape-transform (Rust), config for config,
message for message and byte for byte.

Config:
    {"mapping": {"properties.dealname": "data.order.id", "properties.amount": "data.order.total",
                 "properties.email": "data.customer.email"},
     "constants": {"properties.pipeline": "webshop"},
     "required": ["data.order.id"],
     "headers": {"x-crm-object": "deal"}}
- mapping: target path in the new body -> source path in the event envelope
  (id, type, timestamp, environment, data...). Absent sources are skipped (or
  become null with "missing": "null").
- constants: target path -> fixed JSON value.
- required: source paths that must be present, else the call fails with a
  permanent invalid-event error (retrying cannot bring the field: Herald
  records the delivery as dead at once).
- headers: static headers to set on the request.
"""

import copy

from herald_sdk import Event, PluginError, Request, export_transform, format_float, path

FIELDS = ("mapping", "constants", "required", "headers", "missing")


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


def _map(raw, key, strings):
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise PluginError.invalid_config(f"invalid type: {_unexpected(value)}, expected a map")
    if strings:
        for item in value.values():
            if not isinstance(item, str):
                raise PluginError.invalid_config(f"invalid type: {_unexpected(item)}, expected a string")
    return value


def _debug(text):
    """A string as Rust's `{:?}` writes it."""
    escapes = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\", '"': '\\"', "\0": "\\0"}
    out = []
    for c in text:
        if c in escapes:
            out.append(escapes[c])
        elif ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0:
            out.append(f"\\u{{{ord(c):x}}}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


class Config:
    """The webhook's config for this plugin."""

    def __init__(self, mapping, constants=None, required=None, headers=None, missing="skip"):
        self.mapping = mapping  # target path -> source path
        self.constants = constants or {}  # target path -> fixed value
        self.required = required or []  # source paths that must be present
        self.headers = headers or {}  # static headers set on the request
        self.missing = missing  # "skip" or "null": what an absent source becomes

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
        if "mapping" not in raw:
            raise PluginError.invalid_config("missing field `mapping`")
        required = raw.get("required", [])
        if not isinstance(required, list):
            raise PluginError.invalid_config(f"invalid type: {_unexpected(required)}, expected a sequence")
        for item in required:
            if not isinstance(item, str):
                raise PluginError.invalid_config(f"invalid type: {_unexpected(item)}, expected a string")
        missing = raw.get("missing", "skip")
        if missing not in ("skip", "null"):
            raise PluginError.invalid_config(
                f"unknown variant `{missing}`, expected `skip` or `null`"
                if isinstance(missing, str)
                else f"invalid type: {_unexpected(missing)}, expected `skip` or `null`"
            )
        return Config(
            mapping=_map(raw, "mapping", strings=True),
            constants=_map(raw, "constants", strings=False),
            required=required,
            headers=_map(raw, "headers", strings=True),
            missing=missing,
        )


def reshape(envelope, config: Config):
    """Builds the CRM body from the event envelope (targets in sorted order,
    as the Rust plugin's BTreeMap walks them)."""
    for source in config.required:
        if not path.exists(envelope, source):
            raise PluginError.invalid_event(f"required field {source} is missing", permanent=True)
    out = {}
    for target in sorted(config.mapping):
        source = config.mapping[target]
        if path.exists(envelope, source):
            value = copy.deepcopy(path.lookup(envelope, source))
        elif config.missing == "null":
            value = None
        else:
            continue
        if not path.set(out, target, value):
            raise PluginError.failed(f"cannot write target {target}")
    for target in sorted(config.constants):
        if not path.set(out, target, copy.deepcopy(config.constants[target])):
            raise PluginError.failed(f"cannot write target {target}")
    return out


def crm_reshape(event: Event, request: Request, config: Config) -> Request:
    """Replaces the body with the reshaped event and sets the static headers."""
    body = reshape(event.envelope(), config)
    # Sorted keys: the same bytes as the Rust plugin (a serde_json map is sorted).
    request.set_json_body(body, sort_keys=True)
    for name in sorted(config.headers):
        request.set_header(name, config.headers[name])
    return request


def check_config(config: Config) -> None:
    """Refuses empty configs, malformed targets and targets that overlap."""
    if not config.mapping and not config.constants:
        raise PluginError.invalid_config("`mapping` or `constants` must have an entry")
    targets = sorted(config.mapping) + sorted(config.constants)
    for t in targets:
        if not path.is_valid(t):
            raise PluginError.invalid_config(f"target {_debug(t)} has an empty segment")
    # A target that is also a prefix of another would be overwritten.
    for a in targets:
        for b in targets:
            if b.startswith(a + "."):
                raise PluginError.invalid_config(f"target {_debug(a)} conflicts with {_debug(b)}")


Transform = export_transform(crm_reshape, config=Config.parse, check_config=check_config)
