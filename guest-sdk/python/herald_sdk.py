"""herald_sdk: write Herald webhook plugins in Python.

A Herald plugin is a small WebAssembly component that runs inside Herald's
delivery path for one webhook. A **filter** decides whether an event is
delivered; a **transform** rewrites the outgoing request (body and headers)
before Herald signs and sends it. Plugins are pure functions of the event and
the webhook's JSON config for the plugin: they get a log function and nothing
else (no files, network, environment or clock; under componentize-py's
``--stub-wasi``, ``print``, ``time`` and ``random`` trap: log with ``log``).

Writing one is: one function and one export line::

    from herald_sdk import Event, PluginError, export_filter, keep, drop

    def big_orders(event: Event, config: dict):
        total = event.get("data.order.total", 0)
        return keep() if total >= config["min"] else drop(f"total {total} is below {config['min']}")

    Filter = export_filter(big_orders)

This one file is the whole SDK (Herald's CLI embeds it next to the plugin when
it builds one). It mirrors the Rust crate ``herald-sdk``:

- ``Event``, ``Request``, ``Verdict`` (``keep()`` / ``drop(reason)``) and
  ``PluginError`` (``invalid_config`` / ``invalid_event`` / ``failed``);
- ``path``: the dotted-path syntax (``data.order.status``, ``items.0.sku``)
  Herald's native trigger filters use too, with lookups and edits;
- ``log``: ``log.trace/debug/info/warn/error(message)`` into Herald's log;
- ``export_filter`` / ``export_transform``: the one export line.

Outside a component (plain CPython, for unit tests) the module imports as well:
``log`` writes to stderr and the exported class takes SDK objects, returns a
``Verdict`` or ``Request`` and raises ``PluginError``.
"""

import json as _json
import sys as _sys

__all__ = [
    "Event",
    "Request",
    "Verdict",
    "keep",
    "drop",
    "PluginError",
    "PathError",
    "path",
    "log",
    "to_json",
    "to_text",
    "export_filter",
    "export_transform",
]

# Inside a componentize-py component the generated bindings (`wit_world`) and
# the runtime module exist; in plain CPython neither does.
try:
    import componentize_py_runtime as _runtime  # noqa: F401

    _GUEST = True
except ImportError:
    _GUEST = False

if _GUEST:
    from componentize_py_types import Err as _Err
    from wit_world.imports import log as _wit_log
    from wit_world.imports import types as _wit

    # Raised as they are: the WIT error itself, and memory exhaustion (left
    # to trap, so that Herald reports the call as out of memory).
    _PASS_THROUGH = (MemoryError, _Err)
else:
    _wit_log = _wit = None
    _PASS_THROUGH = (MemoryError,)


# ---------------------------------------------------------------------------
# JSON text in and out, with serde_json's rules (the Rust SDK's).


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _parse_json(text):
    """Parses JSON text strictly (no NaN / Infinity, as serde_json)."""
    return _json.loads(text, parse_constant=_reject_constant)


_encode_str = _json.encoder.encode_basestring  # non-ASCII as is, like serde_json


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


# ---------------------------------------------------------------------------
# Errors and verdicts.


class PluginError(Exception):
    """A plugin's own typed failure. Herald records it in the delivery log; a
    failure at delivery time fails that attempt (and is retried), a failure in
    ``check_config`` rejects the webhook's save with the message.

    ``kind`` is ``"invalid-config"``, ``"invalid-event"`` or ``"failed"``
    (the WIT variant's case); ``message`` the text. Make one with
    ``PluginError.invalid_config(msg)``, ``.invalid_event(msg)`` or
    ``.failed(msg)`` and ``raise`` it."""

    KINDS = ("invalid-config", "invalid-event", "failed")

    def __init__(self, kind, message):
        if kind not in self.KINDS:
            raise ValueError(f"PluginError kind must be one of {self.KINDS}, not {kind!r}")
        super().__init__(kind, message)
        self.kind = kind
        self.message = str(message)

    @classmethod
    def invalid_config(cls, message):
        """The webhook's config for this plugin is not acceptable."""
        return cls("invalid-config", message)

    @classmethod
    def invalid_event(cls, message):
        """The event cannot be handled by this plugin."""
        return cls("invalid-event", message)

    @classmethod
    def failed(cls, message):
        """Anything else went wrong."""
        return cls("failed", message)

    def __str__(self):
        return f"{self.kind.replace('-', ' ')}: {self.message}"

    def __repr__(self):
        return f"PluginError({self.kind!r}, {self.message!r})"

    def __eq__(self, other):
        return isinstance(other, PluginError) and (self.kind, self.message) == (other.kind, other.message)

    def __hash__(self):
        return hash((self.kind, self.message))


class Verdict:
    """What a filter decides: ``Verdict.keep()`` (deliver the event) or
    ``Verdict.drop(reason)`` (do not; the reason lands in the delivery log as
    status ``filtered``). The module-level ``keep()`` and ``drop(reason)`` are
    the same. ``kind`` is ``"keep"`` or ``"drop"``, ``reason`` the drop's
    reason (``None`` for keep)."""

    __slots__ = ("kind", "reason")

    def __init__(self, kind, reason=None):
        if kind == "keep" and reason is None:
            pass
        elif kind == "drop" and isinstance(reason, str):
            pass
        else:
            raise ValueError("a Verdict is Verdict.keep() or Verdict.drop(reason: str)")
        self.kind = kind
        self.reason = reason

    @staticmethod
    def keep():
        """Deliver the event."""
        return Verdict("keep")

    @staticmethod
    def drop(reason):
        """Do not deliver; `reason` is recorded in the delivery log."""
        return Verdict("drop", str(reason))

    @property
    def is_keep(self):
        return self.kind == "keep"

    @property
    def is_drop(self):
        return self.kind == "drop"

    def __eq__(self, other):
        return isinstance(other, Verdict) and (self.kind, self.reason) == (other.kind, other.reason)

    def __hash__(self):
        return hash((self.kind, self.reason))

    def __repr__(self):
        return "keep()" if self.kind == "keep" else f"drop({self.reason!r})"


def keep():
    """A filter's verdict: deliver the event."""
    return Verdict("keep")


def drop(reason):
    """A filter's verdict: do not deliver; `reason` is recorded in the
    delivery log (status ``filtered``)."""
    return Verdict("drop", str(reason))


# ---------------------------------------------------------------------------
# Dotted paths.


class PathError(ValueError):
    """Why a text is not a dotted path. ``index`` is the 0-based empty
    segment, or ``None`` when the whole path is empty."""

    def __init__(self, index=None):
        self.index = index
        if index is None:
            super().__init__("a path must not be empty")
        else:
            super().__init__(f"segment {index + 1} of the path is empty")

    def __eq__(self, other):
        return isinstance(other, PathError) and self.index == other.index

    def __hash__(self):
        return hash(self.index)


_ABSENT = object()
_DIGITS = frozenset("0123456789")


def _index(segment):
    """The array index a segment names, if it is one (ASCII digits only)."""
    if segment and _DIGITS.issuperset(segment):
        return int(segment)
    return None


def _child(current, segment):
    if isinstance(current, dict):
        return current.get(segment, _ABSENT)
    if isinstance(current, list):
        i = _index(segment)
        if i is not None and i < len(current):
            return current[i]
    return _ABSENT


class path:
    """The dotted-path syntax shared by Herald's native trigger filters and
    plugins (Rust's ``herald_sdk::path``), on parsed JSON values (dicts,
    lists, scalars).

    A path is one or more segments separated by ``.``: ``data.order.status``,
    ``data.items.0.sku``. Against an object a segment is a member name;
    against an array it is an element index written in ASCII digits (``0``,
    ``12``; not ``+1`` or ``-1``). No segment may be empty, so ``""``,
    ``a..b``, ``.a`` and ``a.`` are not paths, and a member whose name
    contains ``.`` cannot be addressed. ``for_each_match`` and ``remove``
    (and only they) also take ``*`` for "every member or element".

    Use it as a namespace: ``from herald_sdk import path`` then
    ``path.lookup(doc, "data.order.total")``.
    """

    def __new__(cls, *args, **kwargs):
        raise TypeError("herald_sdk.path is a namespace: call path.lookup(...), path.set(...), ...")

    @staticmethod
    def check(p):
        """Raises ``PathError`` unless `p` is a dotted path."""
        if not isinstance(p, str) or p == "":
            raise PathError(None)
        for i, segment in enumerate(p.split(".")):
            if segment == "":
                raise PathError(i)

    @staticmethod
    def is_valid(p):
        """Whether `p` is a dotted path."""
        try:
            path.check(p)
        except PathError:
            return False
        return True

    @staticmethod
    def lookup(document, p, default=None):
        """The value at `p` in `document`, or `default` when absent (a JSON
        ``null`` that is present is ``None``: use ``exists`` to tell them
        apart). A path that fails ``check`` finds nothing."""
        if not path.is_valid(p):
            return default
        current = document
        for segment in p.split("."):
            current = _child(current, segment)
            if current is _ABSENT:
                return default
        return current

    get = lookup

    @staticmethod
    def exists(document, p):
        """Whether `p` finds a value in `document` (``null`` included)."""
        return path.lookup(document, p, _ABSENT) is not _ABSENT

    @staticmethod
    def set(document, p, value):
        """Sets the value at `p`, creating intermediate objects as needed.
        Returns ``False`` (and changes nothing) when the path fails
        ``check``, a segment runs into a scalar, or an array index is out of
        range."""
        if not path.is_valid(p):
            return False
        segments = p.split(".")
        current = document
        for n, segment in enumerate(segments):
            last = n == len(segments) - 1
            if isinstance(current, dict):
                if last:
                    current[segment] = value
                    return True
                if segment not in current:
                    current[segment] = {}
                current = current[segment]
            elif isinstance(current, list):
                i = _index(segment)
                if i is None or i >= len(current):
                    return False
                if last:
                    current[i] = value
                    return True
                current = current[i]
            else:
                return False
        return False

    @staticmethod
    def for_each_match(document, p, f):
        """Calls ``f(parent, key)`` on the parent container and final key of
        every match of `p`, where a ``*`` segment matches every member of an
        object or element of an array (dicts in their own order; the key is
        a ``str`` for a dict, an ``int`` for a list). Returns the number of
        matches (0 for a path that fails ``check``)."""
        if not path.is_valid(p):
            return 0
        matches = []
        _walk(document, p.split("."), matches)
        for parent, key in matches:
            f(parent, key)
        return len(matches)

    @staticmethod
    def remove(document, p):
        """Removes every match of `p` (``*`` allowed, as in
        ``for_each_match``) from its object or array; returns how many."""
        if not path.is_valid(p):
            return 0
        matches = []
        _walk(document, p.split("."), matches)
        # Within one array, remove from the end so indexes stay right.
        for parent, key in sorted(
            matches, key=lambda m: m[1] if isinstance(m[0], list) else -1, reverse=True
        ):
            del parent[key]
        return len(matches)


def _walk(value, segments, matches):
    head, rest = segments[0], segments[1:]
    if not rest:
        if isinstance(value, dict):
            if head == "*":
                matches.extend((value, k) for k in list(value))
            elif head in value:
                matches.append((value, head))
        elif isinstance(value, list):
            if head == "*":
                matches.extend((value, i) for i in range(len(value)))
            else:
                i = _index(head)
                if i is not None and i < len(value):
                    matches.append((value, i))
        return
    if head == "*":
        if isinstance(value, dict):
            for child in list(value.values()):
                _walk(child, rest, matches)
        elif isinstance(value, list):
            for child in list(value):
                _walk(child, rest, matches)
        return
    child = _child(value, head)
    if child is not _ABSENT:
        _walk(child, rest, matches)


# ---------------------------------------------------------------------------
# Logging.

_LEVELS = ("trace", "debug", "info", "warn", "error")


def _host_log(level, message):
    if _GUEST:
        _wit_log.log(_wit_log.Level(_LEVELS.index(level)), message)
    else:
        _sys.stderr.write(f"[plugin {level.capitalize()}] {message}\n")


class log:
    """Logging into Herald's own log, tagged with the plugin and the webhook
    (``herald plugin run`` prints the lines; in plain CPython they go to
    stderr). Each line is capped by the host (a few KiB) and so is the
    number of lines per call. ``print`` does not work inside a plugin: use
    these.

    ``from herald_sdk import log`` then ``log.info("kept order 42")``.
    """

    LEVELS = _LEVELS

    def __new__(cls, *args, **kwargs):
        raise TypeError("herald_sdk.log is a namespace: call log.info(...), log.warn(...), ...")

    @staticmethod
    def log(level, message):
        """Writes one line at `level` (``"trace"``, ``"debug"``, ``"info"``,
        ``"warn"`` or ``"error"``)."""
        if level not in _LEVELS:
            raise ValueError(f"log level must be one of {_LEVELS}, not {level!r}")
        _host_log(level, str(message))

    @staticmethod
    def trace(message):
        """Logs at trace level."""
        _host_log("trace", str(message))

    @staticmethod
    def debug(message):
        """Logs at debug level."""
        _host_log("debug", str(message))

    @staticmethod
    def info(message):
        """Logs at info level."""
        _host_log("info", str(message))

    @staticmethod
    def warn(message):
        """Logs at warn level."""
        _host_log("warn", str(message))

    @staticmethod
    def error(message):
        """Logs at error level."""
        _host_log("error", str(message))


# ---------------------------------------------------------------------------
# The event and the request.


class Event:
    """The event being delivered, as the webhook's plugins see it (read it,
    do not change it).

    - ``id``: the producer's idempotency key, or one Herald assigned
    - ``event_type``: e.g. ``"order.created"``
    - ``timestamp``: RFC 3339 text, when Herald accepted it
    - ``org``: the organization (tenant) that published it
    - ``environment``: the producer's environment tag, or ``None``
    - ``webhook_id``: the webhook this delivery belongs to
    - ``data``: the payload, JSON text (``data_json()`` parses it)
    """

    __slots__ = ("id", "event_type", "timestamp", "org", "environment", "webhook_id", "data", "_json", "_envelope")

    def __init__(self, id, event_type, timestamp, org, environment, webhook_id, data):
        self.id = id
        self.event_type = event_type
        self.timestamp = timestamp
        self.org = org
        self.environment = environment
        self.webhook_id = webhook_id
        self.data = data
        self._json = _ABSENT
        self._envelope = None

    @classmethod
    def example(cls, event_type, data="{}"):
        """An event with placeholder ids and timestamp, for unit tests:
        ``Event.example("order.created", '{"order": {"total": 42}}')``.
        `data` is JSON text (a dict or list is written as JSON for you)."""
        if not isinstance(data, str):
            data = to_json(data)
        return cls(
            id="evt_example",
            event_type=event_type,
            timestamp="2026-01-01T00:00:00Z",
            org="org_example",
            environment=None,
            webhook_id="wh_example",
            data=data,
        )

    def data_json(self):
        """The payload parsed (dicts, lists, str, int, float, bool, None),
        once per event: later calls return the same object, so do not change
        it (``copy.deepcopy`` it first). Malformed JSON raises
        ``PluginError.invalid_event``."""
        if self._json is _ABSENT:
            try:
                self._json = _parse_json(self.data)
            except ValueError as e:
                raise PluginError.invalid_event(f"event data is not valid JSON: {e}") from None
        return self._json

    def envelope(self):
        """The event as the JSON envelope Herald sends by default:
        ``{"id", "type", "timestamp", "environment"?, "data"}``. Dotted paths
        such as ``data.order.total`` are relative to it, exactly like
        Herald's native trigger filters. Built once per event (do not change
        it)."""
        if self._envelope is None:
            envelope = {"id": self.id, "type": self.event_type, "timestamp": self.timestamp}
            if self.environment is not None:
                envelope["environment"] = self.environment
            envelope["data"] = self.data_json()
            self._envelope = envelope
        return self._envelope

    def get(self, p, default=None):
        """The value at dotted path `p` in the envelope (``"data.order.total"``,
        ``"type"``, ``"environment"``), or `default` when absent."""
        return path.lookup(self.envelope(), p, default)

    def __eq__(self, other):
        return isinstance(other, Event) and all(
            getattr(self, f) == getattr(other, f) for f in self.__slots__[:7]
        )

    __hash__ = None

    def __repr__(self):
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__[:7])
        return f"Event({fields})"


def _ascii_lower(text):
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class Request:
    """The outgoing HTTP request before Herald signs and sends it: what a
    transform receives and returns.

    - ``headers``: a list of ``(name, value)`` tuples; names compare
      case-insensitively (ASCII)
    - ``body``: the exact bytes Herald will sign and send

    ``Request()`` is an empty request (no header, empty body), for tests.
    """

    __slots__ = ("headers", "body")

    def __init__(self, headers=None, body=b""):
        self.headers = [(str(n), str(v)) for n, v in (headers or [])]
        self.body = _as_bytes(body)

    @classmethod
    def json(cls, value, sort_keys=False):
        """A request with `value` as its JSON body and
        ``content-type: application/json``."""
        request = cls()
        request.set_json_body(value, sort_keys=sort_keys)
        return request

    def header(self, name):
        """The value of the first header named `name` (case-insensitive), or
        ``None``."""
        wanted = _ascii_lower(name)
        for n, v in self.headers:
            if _ascii_lower(n) == wanted:
                return v
        return None

    def set_header(self, name, value):
        """Sets a header, replacing every existing header of that name."""
        self.remove_header(name)
        self.headers.append((str(name), str(value)))

    def remove_header(self, name):
        """Removes every header named `name`; returns whether one was present."""
        wanted = _ascii_lower(name)
        before = len(self.headers)
        self.headers = [(n, v) for n, v in self.headers if _ascii_lower(n) != wanted]
        return len(self.headers) != before

    def json_body(self):
        """The body parsed as JSON; malformed JSON (or UTF-8) raises
        ``PluginError.invalid_event``."""
        try:
            return _parse_json(self.body.decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError is a ValueError
            raise PluginError.invalid_event(f"request body is not valid JSON: {e}") from None

    def set_json_body(self, value, sort_keys=False):
        """Replaces the body with `value` as compact JSON (serde_json's
        spelling, see ``to_json``; dict keys in insertion order, or sorted
        with ``sort_keys=True`` as the Rust SDK's ``set_json_body`` writes
        them) and sets ``content-type: application/json``. A value JSON
        cannot hold raises ``PluginError.failed``."""
        try:
            text = to_json(value, sort_keys=sort_keys)
        except (TypeError, RecursionError) as e:
            raise PluginError.failed(f"cannot serialize the body: {e}") from None
        self.body = text.encode("utf-8")
        self.set_header("content-type", "application/json")

    def set_body(self, body, content_type):
        """Replaces the body (bytes, or text written as UTF-8) and sets its
        content type."""
        self.body = _as_bytes(body)
        self.set_header("content-type", content_type)

    def __eq__(self, other):
        return isinstance(other, Request) and (self.headers, self.body) == (other.headers, other.body)

    __hash__ = None

    def __repr__(self):
        return f"Request(headers={self.headers!r}, body={self.body!r})"


def _as_bytes(body):
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(f"a request body is bytes or str, not {type(body).__name__}")


# ---------------------------------------------------------------------------
# Exporting a plugin.


def _describe(e):
    message = str(e)
    return f"{type(e).__name__}: {message}" if message else type(e).__name__


class _ConfigCache:
    """Parses each distinct config text once (an instance normally only ever
    sees one webhook's config)."""

    LIMIT = 16

    def __init__(self, parse):
        self.parse = parse
        self.values = {}

    def get(self, text):
        if not isinstance(text, str):  # native tests may pass the value itself
            text = to_json(text)
        try:
            return self.values[text]
        except KeyError:
            pass
        try:
            raw = None if text.strip() == "" else _parse_json(text)
        except ValueError as e:
            raise PluginError.invalid_config(f"config is not valid JSON: {e}") from None
        if self.parse is None:
            value = raw
        else:
            try:
                value = self.parse(raw)
            except (PluginError,) + _PASS_THROUGH:
                raise
            except Exception as e:
                raise PluginError.invalid_config(_describe(e)) from None
        if len(self.values) >= self.LIMIT:
            self.values.clear()
        self.values[text] = value
        return value

    def check(self, text, check_config):
        value = self.get(text)
        if check_config is not None:
            try:
                check_config(value)
            except (PluginError,) + _PASS_THROUGH:
                raise
            except Exception as e:
                raise PluginError.invalid_config(_describe(e)) from None


def _event_of(e):
    """An SDK Event from the WIT record (or an SDK Event, as is)."""
    if isinstance(e, Event):
        return e
    return Event(e.id, e.event_type, e.timestamp, e.org, e.environment, e.webhook_id, e.data)


def _request_of(r):
    if isinstance(r, Request):
        return r
    return Request(r.headers, r.body)


def _call(body):
    """Runs `body`, turning any exception but a PluginError into a failed
    one (memory exhaustion is left to trap: the host reports it as such)."""
    try:
        return body()
    except (PluginError,) + _PASS_THROUGH:
        raise
    except Exception as e:
        raise PluginError.failed(_describe(e)) from None


if _GUEST:

    def _guest(body):
        """Runs `body` inside the component: a PluginError becomes the WIT
        error variant (componentize-py's Err)."""
        try:
            return body(_wit)
        except PluginError as e:
            variant = {
                "invalid-config": _wit.Error_InvalidConfig,
                "invalid-event": _wit.Error_InvalidEvent,
                "failed": _wit.Error_Failed,
            }[e.kind]
            raise _Err(variant(e.message)) from None

    def _export_base(name):
        from wit_world import exports

        return getattr(exports, name, object)

else:

    def _guest(body):
        return body(None)

    def _export_base(name):
        return object


def _verdict_out(verdict, wit):
    if not isinstance(verdict, Verdict):
        raise PluginError.failed(
            f"the filter returned {type(verdict).__name__}, not a Verdict: return keep() or drop(reason)"
        )
    if wit is None:
        return verdict
    return wit.Verdict_Keep() if verdict.kind == "keep" else wit.Verdict_Drop(verdict.reason)


def _request_out(request, wit):
    if not isinstance(request, Request):
        raise PluginError.failed(
            f"the transform returned {type(request).__name__}, not a Request: return the request"
        )
    try:
        headers = [(str(n), str(v)) for n, v in request.headers]
        body = _as_bytes(request.body)
    except (TypeError, ValueError) as e:
        raise PluginError.failed(f"the transform returned a malformed Request: {e}") from None
    if wit is None:
        return Request(headers, body)
    return wit.Request(headers=headers, body=body)


def export_filter(fn, config=None, check_config=None):
    """Exports ``fn(event: Event, config) -> Verdict`` as this component's
    filter. Assign the result to ``Filter`` at the top level of the main
    module (componentize-py looks for that name)::

        Filter = export_filter(my_filter, config=Config.parse, check_config=Config.check)

    - `config`: turns the webhook's parsed JSON config (a dict; ``None`` for
      an empty config) into what `fn` receives; called once per distinct
      config text. Raise ``PluginError.invalid_config`` for a bad config (any
      other exception also becomes an invalid-config error). Without it `fn`
      gets the parsed JSON.
    - `check_config`: ``check_config(parsed_config)`` runs when a webhook is
      saved (after `config`), for checks beyond parsing; raise
      ``PluginError.invalid_config`` to refuse.

    A ``PluginError`` raised by `fn` becomes Herald's typed error; any other
    exception becomes ``failed("<ExceptionType>: <message>")``.

    In plain CPython the returned class works the same on SDK objects:
    ``Filter().filter(Event.example(...), '{"min": 1}')`` returns a
    ``Verdict`` or raises ``PluginError``.
    """
    cache = _ConfigCache(config)

    class Filter(_export_base("Filter")):
        plugin = staticmethod(fn)

        def check_config(self, config_text):
            _guest(lambda wit: _call(lambda: cache.check(config_text, check_config)))

        def filter(self, event, config_text):
            def run():
                cfg = cache.get(config_text)
                return fn(_event_of(event), cfg)

            return _guest(lambda wit: _verdict_out(_call(run), wit))

    Filter.__qualname__ = "Filter"
    Filter.__doc__ = fn.__doc__
    return Filter


def export_transform(fn, config=None, check_config=None):
    """Exports ``fn(event: Event, request: Request, config) -> Request`` as
    this component's transform. Assign the result to ``Transform`` at the
    top level of the main module::

        Transform = export_transform(my_transform, config=Config.parse)

    `config` and `check_config` work as for ``export_filter``; so do errors.
    `fn` may change `request` in place and return it, or return a new one.
    """
    cache = _ConfigCache(config)

    class Transform(_export_base("Transform")):
        plugin = staticmethod(fn)

        def check_config(self, config_text):
            _guest(lambda wit: _call(lambda: cache.check(config_text, check_config)))

        def transform(self, event, request, config_text):
            def run():
                cfg = cache.get(config_text)
                return fn(_event_of(event), _request_of(request), cfg)

            return _guest(lambda wit: _request_out(_call(run), wit))

    Transform.__qualname__ = "Transform"
    Transform.__doc__ = fn.__doc__
    return Transform
